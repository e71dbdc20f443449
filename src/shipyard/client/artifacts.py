"""A run's artifacts through a server's proxied artifact API: list, upload, download.

Transfers stream from and to disk in chunks; a ``progress`` callback receives byte counts as
they move, so callers can draw progress bars.

A folder of many files goes to a Shipyard server as one streamed tar archive
(``PUT /api/2.0/shipyard/artifacts/archive/<folder>``), which saves a request per file; whether
the server has that route is asked once per connection, with an empty archive. A stock
``mlflow server`` gets one ``PUT`` per file.
"""

from __future__ import annotations

import builtins
import io
import os
import posixpath
import tarfile
import threading
import weakref
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

from shipyard.artifacts.paths import join, safe_relative_path
from shipyard.artifacts.uris import PROXY_ROOT, managed_path
from shipyard.client.backend import Progress, RemoteFile, TransientError
from shipyard.client.http import TrackingHTTP, raise_for_error
from shipyard.domain.errors import InvalidParameter, NotFound, ShipyardError

__all__ = ["ArtifactFolder", "Progress", "RemoteFile", "RunArtifacts"]

CHUNK = 1024 * 1024

PROXY = "/api/2.0/mlflow-artifacts"
ARCHIVE = "/api/2.0/shipyard/artifacts/archive"
ARCHIVE_MIN_FILES = 16
"""A folder with at least this many files goes up as one tar archive (Shipyard servers)."""
_BLOCK = tarfile.BLOCKSIZE

# Whether the server behind a connection takes tar archives: asked once per connection.
_archive_support: weakref.WeakKeyDictionary[TrackingHTTP, bool] = weakref.WeakKeyDictionary()
_archive_support_lock = threading.Lock()


def _ignore(_: int) -> None:
    pass


def _padded(size: int) -> int:
    """A member's data size rounded up to whole tar blocks."""
    return -(-size // _BLOCK) * _BLOCK


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
        files: builtins.list[tuple[Path, str]] = []
        for folder, _dirs, names in os.walk(local):
            for name in sorted(names):
                full = Path(folder) / name
                files.append((full, safe_relative_path(full.relative_to(local).as_posix())))
        if len(files) >= ARCHIVE_MIN_FILES and self.takes_archives():
            self.upload_archive(files, base, progress)
            return [join(base, relative) for _, relative in files]
        written = []
        for full, relative in files:
            target = join(base, relative)
            self.upload_file(full, target, progress)
            written.append(target)
        return written

    def takes_archives(self) -> bool:
        """Whether the server unpacks tar archives into folders (Shipyard does, MLflow not).

        Asked once per connection by sending an empty archive to the run's folder: a Shipyard
        server answers with what it wrote (nothing); any other answer means no.
        """
        with _archive_support_lock:
            known = _archive_support.get(self.http)
            if known is None:
                known = self._probe_archive_route()
                _archive_support[self.http] = known
            return known

    def _probe_archive_route(self) -> bool:
        empty = io.BytesIO()
        with tarfile.open(fileobj=empty, mode="w", format=tarfile.PAX_FORMAT):
            pass
        try:
            response = self.http.request(
                "PUT", f"{ARCHIVE}/{quote(self.root)}", content=empty.getvalue()
            )
            answer = response.json()
        except TransientError:
            raise  # unreachable or busy: ask again next time
        except (ShipyardError, ValueError):
            return False
        return isinstance(answer, dict) and answer.get("files") == 0

    def upload_archive(
        self, files: builtins.list[tuple[Path, str]], base: str = "", progress: Progress = _ignore
    ) -> None:
        """Send local files as one streamed tar archive, unpacked by the server under ``base``.

        ``files`` pairs each local file with its relative path in the archive. ``progress``
        receives the files' bytes as they are sent.
        """
        headers: builtins.list[bytes] = []
        sizes: builtins.list[int] = []
        for full, relative in files:
            status = full.stat()
            size = status.st_size
            info = tarfile.TarInfo(relative)
            info.size = size
            info.mode = 0o644
            info.mtime = int(status.st_mtime)
            headers.append(info.tobuf(format=tarfile.PAX_FORMAT, encoding="utf-8"))
            sizes.append(size)
        length = sum(
            len(header) + _padded(size) for header, size in zip(headers, sizes, strict=True)
        )
        length += 2 * _BLOCK

        def chunks() -> Iterator[bytes]:
            pending = bytearray()
            counted = 0
            for (full, _relative), header, size in zip(files, headers, sizes, strict=True):
                pending += header
                left = size
                with open(full, "rb") as handle:
                    while left > 0:
                        data = handle.read(min(CHUNK, left))
                        if not data:
                            raise InvalidParameter(f"{full} shrank while it was being uploaded.")
                        pending += data
                        counted += len(data)
                        left -= len(data)
                        if len(pending) >= CHUNK:
                            yield bytes(pending)
                            pending.clear()
                            progress(counted)
                            counted = 0
                pending += bytes(_padded(size) - size)
            pending += bytes(2 * _BLOCK)
            yield bytes(pending)
            progress(counted)

        self.http.request(
            "PUT",
            f"{ARCHIVE}/{quote(join(self.root, base))}",
            content=chunks(),
            headers={"Content-Length": str(length), "Content-Type": "application/x-tar"},
        )

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
