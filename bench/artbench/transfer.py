"""MLflow's proxied artifact API, called over HTTP the way the ``mlflow`` client calls it.

Mirrors ``mlflow/store/artifact/http_artifact_repo.py`` (mlflow 3.17): one shared
``requests.Session`` with a pool of 10 connections (``MLFLOW_HTTP_POOL_MAXSIZE``), an upload is
one ``PUT`` whose body is the open file (requests streams it with a Content-Length), a download
is one streaming ``GET`` written to disk in 1 MiB ``iter_content`` pieces, a listing is
``GET /artifacts?path=<folder>``. Unlike the client this does not retry, so that every failure
shows. Shipyard's folder archive is one streaming ``GET`` of a zip; its upload twin is one
``PUT`` of a tar streamed from disk as it is built.
"""

from __future__ import annotations

import mimetypes
import tarfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, urlparse

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from trackbench.rest import API, RestClient, create_experiment, create_run, field

ARTIFACTS_API = "/api/2.0/mlflow-artifacts/artifacts"
ARCHIVE_API = "/api/2.0/shipyard/artifacts/archive"
USER_AGENT = "mlflow-python-client/3.17.2"
POOL_SIZE = 10  # MLFLOW_HTTP_POOL_CONNECTIONS and MLFLOW_HTTP_POOL_MAXSIZE
DOWNLOAD_PIECE = 1024 * 1024  # the client's iter_content chunk size
TAR_PIECE = 1024 * 1024  # pieces of the streamed tar body
TIMEOUT = (5.0, 600.0)  # connect, read; MLflow answers a large PUT only once it is all stored
PROXY_SCHEME = "mlflow-artifacts"

T = TypeVar("T")


class ArtifactClient:
    """One server's proxied artifact API over one pooled ``requests.Session``."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()
        # Only failures to connect are retried: a resent PUT would stream a half-read file.
        retry = Retry(total=2, connect=2, read=0, status=0, other=0, redirect=0)
        adapter = HTTPAdapter(pool_connections=POOL_SIZE, pool_maxsize=POOL_SIZE, max_retries=retry)
        self.session.mount("http://", adapter)
        self.session.headers["User-Agent"] = USER_AGENT

    def close(self) -> None:
        """Close the pooled connections."""
        self.session.close()

    def _url(self, prefix: str, path: str) -> str:
        return f"{self.base_url}{prefix}/{quote(path)}"

    def upload(self, remote: str, local: Path) -> None:
        """``PUT`` the file at ``local`` to ``remote`` (a path under the artifact root)."""
        content_type = mimetypes.guess_type(local.name)[0] or "application/octet-stream"
        with local.open("rb") as body:
            response = self.session.put(
                self._url(ARTIFACTS_API, remote),
                data=body,
                headers={"Content-Type": content_type},
                timeout=TIMEOUT,
            )
        response.raise_for_status()

    def download(self, remote: str, local: Path) -> int:
        """Stream ``remote`` into the file ``local``; the number of bytes received."""
        return self._stream_to(self._url(ARTIFACTS_API, remote), local)

    def download_archive(self, folder: str, local: Path) -> int:
        """Stream Shipyard's zip of ``folder`` into ``local``; the number of bytes received."""
        return self._stream_to(self._url(ARCHIVE_API, folder), local)

    def upload_archive(self, folder: str, local: Path, names: Sequence[str]) -> int:
        """``PUT`` the files ``names`` of the folder ``local`` as one tar into Shipyard's
        ``folder``; the number of files the server reports written."""
        headers = []
        for name in names:
            info = tarfile.TarInfo(name)
            info.size = (local / name).stat().st_size
            info.mode = 0o644
            headers.append((info.tobuf(format=tarfile.PAX_FORMAT), info.size))

        def body() -> Iterator[bytes]:
            pending = bytearray()
            for name, (header, size) in zip(names, headers, strict=True):
                pending += header
                pending += (local / name).read_bytes()
                pending += bytes(_blocks(size) - size)
                if len(pending) >= TAR_PIECE:
                    yield bytes(pending)
                    pending.clear()
            pending += bytes(2 * tarfile.BLOCKSIZE)
            yield bytes(pending)

        response = self.session.put(
            self._url(ARCHIVE_API, folder),
            data=body(),
            headers={"Content-Type": "application/x-tar"},  # chunked: built as it is sent
            timeout=TIMEOUT,
        )
        response.raise_for_status()
        files: int = response.json()["files"]
        return files

    def _stream_to(self, url: str, local: Path) -> int:
        received = 0
        with self.session.get(url, stream=True, timeout=TIMEOUT) as response:
            response.raise_for_status()
            with local.open("wb") as handle:
                for piece in response.iter_content(chunk_size=DOWNLOAD_PIECE):
                    handle.write(piece)
                    received += len(piece)
        return received

    def list(self, folder: str) -> list[dict[str, Any]]:
        """The entries of ``folder`` (names relative to it); [] for an empty answer."""
        response = self.session.get(
            f"{self.base_url}{ARTIFACTS_API}", params={"path": folder}, timeout=TIMEOUT
        )
        response.raise_for_status()
        files: list[dict[str, Any]] = response.json().get("files", [])
        return files


def _blocks(size: int) -> int:
    """``size`` rounded up to whole tar blocks."""
    return -(-size // tarfile.BLOCKSIZE) * tarfile.BLOCKSIZE


def create_run_root(base_url: str, experiment_name: str) -> str:
    """Create an experiment and a run; the run's artifact path under the artifact root.

    The path comes from the run's ``artifact_uri`` as the server hands it out
    (``mlflow-artifacts:/<experiment>/<run>/artifacts``), which is what the client would use.
    """
    client = RestClient(base_url)
    try:
        experiment_id = create_experiment(client, experiment_name)
        run_id = create_run(
            client, experiment_id, run_name="artifacts", start_time=int(time.time() * 1000)
        )
        run = client.get(f"{API}/runs/get", {"run_id": run_id})
        uri = str(field(run, "run", "info", "artifact_uri"))
    finally:
        client.close()
    parsed = urlparse(uri)
    if parsed.scheme != PROXY_SCHEME:
        raise RuntimeError(f"{base_url} does not proxy artifacts: run artifact_uri is {uri!r}")
    return parsed.path.strip("/")


def run_pool(items: Sequence[T], work: Callable[[T], object], threads: int) -> None:
    """Run ``work`` on every item with ``threads`` threads.

    The first failure is raised once the work already in flight has finished; items not yet
    started are skipped.
    """
    failed = threading.Event()

    def guarded(item: T) -> None:
        if failed.is_set():
            return
        try:
            work(item)
        except BaseException:
            failed.set()
            raise

    with ThreadPoolExecutor(max_workers=threads) as pool:
        futures = [pool.submit(guarded, item) for item in items]
        try:
            wait(futures)
        except BaseException:  # Ctrl-C: let the threads stop after their current request
            failed.set()
            raise
    for future in futures:
        future.result()
