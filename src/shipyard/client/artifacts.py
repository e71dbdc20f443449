"""A run's artifacts through a server's proxied artifact API: list, upload, download.

Transfers stream from and to disk in chunks; a ``progress`` callback receives byte counts as
they move, so callers can draw progress bars.
"""

from __future__ import annotations

import builtins
import os
import posixpath
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

from shipyard.artifacts.paths import join, safe_relative_path
from shipyard.artifacts.uris import PROXY_ROOT, managed_path
from shipyard.client.backend import Progress, RemoteFile
from shipyard.client.http import TrackingHTTP, raise_for_error
from shipyard.domain.errors import InvalidParameter, NotFound

__all__ = ["ArtifactFolder", "Progress", "RemoteFile", "RunArtifacts"]

CHUNK = 1024 * 1024

PROXY = "/api/2.0/mlflow-artifacts"


def _ignore(_: int) -> None:
    pass


class ArtifactFolder:
    """A folder under a server's artifact root, through its proxied artifact API."""

    def __init__(self, http: TrackingHTTP, root: str) -> None:
        self.http = http
        self.root = safe_relative_path(root)
        self.label = f"mlflow-artifacts:/{self.root}" if self.root else "the artifact root"

    def _url(self, path: str) -> str:
        return f"{PROXY}/artifacts/{quote(join(self.root, path))}"

    def list(self, path: str = "") -> builtins.list[RemoteFile]:
        """The files and folders directly in ``path`` (paths relative to the run root)."""
        folder = safe_relative_path(path)
        payload = self.http.request(
            "GET", f"{PROXY}/artifacts", params={"path": join(self.root, folder)}
        ).json()
        return [
            RemoteFile(
                posixpath.join(folder, item["path"]) if folder else item["path"],
                bool(item.get("is_dir", False)),
                int(item["file_size"]) if "file_size" in item else None,
            )
            for item in payload.get("files", [])
        ]

    def walk(self, path: str = "") -> Iterator[RemoteFile]:
        """Every file below ``path``."""
        for item in self.list(path):
            if item.is_dir:
                yield from self.walk(item.path)
            else:
                yield item

    def upload_file(self, local: Path, path: str, progress: Progress = _ignore) -> None:
        """Send one local file to ``path`` (relative to the run root), streaming it."""
        target = safe_relative_path(path, allow_empty=False)

        def chunks() -> Iterator[bytes]:
            with open(local, "rb") as handle:
                while data := handle.read(CHUNK):
                    progress(len(data))
                    yield data

        self.http.request(
            "PUT",
            self._url(target),
            content=chunks(),
            headers={"Content-Length": str(local.stat().st_size)},
        )

    def upload(
        self, local: Path, artifact_path: str = "", progress: Progress = _ignore
    ) -> builtins.list[str]:
        """Upload a file, or a folder with everything in it; return the paths written."""
        base = safe_relative_path(artifact_path)
        if local.is_file():
            target = join(base, local.name)
            self.upload_file(local, target, progress)
            return [target]
        if not local.is_dir():
            raise InvalidParameter(f"{local} is neither a file nor a folder.")
        written = []
        for folder, _dirs, names in os.walk(local):
            for name in sorted(names):
                full = Path(folder) / name
                relative = full.relative_to(local).as_posix()
                target = join(base, relative)
                self.upload_file(full, target, progress)
                written.append(target)
        return written

    def download_file(self, path: str, local: Path, progress: Progress = _ignore) -> None:
        """Stream one file to ``local`` (written to a temporary name, then renamed)."""
        local.parent.mkdir(parents=True, exist_ok=True)
        partial = local.with_name(local.name + ".partial")
        with self.http.http.stream("GET", self._url(path)) as response:
            if response.status_code >= 400:
                response.read()
                raise_for_error(response)
            with open(partial, "wb") as handle:
                for data in response.iter_bytes(CHUNK):
                    handle.write(data)
                    progress(len(data))
        partial.replace(local)

    def download(
        self,
        path: str,
        destination: Path,
        progress: Progress = _ignore,
        workers: int = 4,
    ) -> builtins.list[Path]:
        """Download a file or folder into ``destination``; return the local files."""
        source = safe_relative_path(path)
        files = list(self.walk(source))
        if not files:
            listing_parent = self.list(posixpath.dirname(source)) if source else []
            match = [f for f in listing_parent if f.path == source and not f.is_dir]
            if not match:
                where = f"{path!r} in {self.label}" if path else self.label
                raise NotFound(f"No artifacts at {where}: nothing has been stored there.")
            files = match
            source = posixpath.dirname(source)
        targets = []
        jobs = []
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for item in files:
                relative = posixpath.relpath(item.path, source) if source else item.path
                target = destination.joinpath(*safe_relative_path(relative).split("/"))
                targets.append(target)
                jobs.append(pool.submit(self.download_file, item.path, target, progress))
            for job in jobs:
                job.result()
        return targets

    def total_size(self, path: str = "") -> int:
        """Bytes in all files below ``path``."""
        return sum(item.size or 0 for item in self.walk(path))

    def download_archive(self, path: str, local: Path, progress: Progress = _ignore) -> None:
        """Save a folder as one zip file, built and streamed by the server."""
        folder = join(self.root, safe_relative_path(path))
        with self.http.http.stream(
            "GET", f"/api/2.0/shipyard/artifacts/archive/{quote(folder)}"
        ) as response:
            if response.status_code >= 400:
                response.read()
                raise_for_error(response)
            with open(local, "wb") as handle:
                for data in response.iter_bytes(CHUNK):
                    handle.write(data)
                    progress(len(data))
        with zipfile.ZipFile(local) as archive:
            bad = archive.testzip()
        if bad is not None:
            raise InvalidParameter(f"The archive is corrupt at {bad!r}.")


class RunArtifacts(ArtifactFolder):
    """The artifacts of one run."""

    def __init__(self, http: TrackingHTTP, run_id: str) -> None:
        run = http.call("GET", "/runs/get", params={"run_id": run_id})["run"]
        uri: str = run["info"]["artifact_uri"]
        if not uri.startswith(PROXY_ROOT):
            raise InvalidParameter(
                f"The run's artifacts are at {uri}, which this server does not proxy; "
                "read and write that location directly."
            )
        super().__init__(http, managed_path(uri, "") or "")
        self.run_id = run_id
        self.uri = uri
        self.label = f"run {run_id}"
