"""Artifact stores for the tests: a folder on local disk, and a bucket on a real S3 protocol server.

The S3 server is moto's server mode, started once per test session (per xdist worker) on a free
loopback port, with dummy AWS credentials in the environment for as long as it runs; each test
gets a bucket of its own. ``file_touches`` records, through Python's audit hooks, every path the
process opens, lists, creates, renames or deletes, so a test can prove that nothing outside an
artifact root was read or written.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest

from shipyard.artifacts.local import LocalArtifactStore
from shipyard.artifacts.s3 import S3ArtifactStore
from shipyard.artifacts.store import ArtifactStore

HOST = "127.0.0.1"
MOTO_STARTUP_TIMEOUT_S = 30.0
S3_PREFIX = "some/prefix"
DUMMY_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}
# Nothing from the developer's own AWS setup may leak into the tests.
FOREIGN_AWS_ENV = (
    "AWS_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_S3",
    "MLFLOW_S3_ENDPOINT_URL",
)


# -- databases --------------------------------------------------------------------------------


@pytest.fixture
def db_uri(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated SQLite tracking database.

    Artifact behaviour does not depend on the tracking database (the store and server suites
    cover PostgreSQL), so these tests run on SQLite only.
    """
    path = tmp_path / "tracking.db"
    shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
    return f"sqlite:///{path}"


# -- the S3 protocol server ---------------------------------------------------------------------


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def moto_command(port: int) -> list[str]:
    """moto's server mode on ``port``: the venv's console script, or the module."""
    script = Path(sys.executable).parent / "moto_server"
    if script.exists():
        return [str(script), "-H", HOST, "-p", str(port)]
    return [sys.executable, "-m", "moto.server", "-H", HOST, "-p", str(port)]


def _log_tail(path: Path) -> str:
    text = path.read_text(errors="replace") if path.exists() else ""
    return text[-3000:] or "<empty>"


def _stop(process: subprocess.Popen[bytes]) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=10)
            return
        except subprocess.TimeoutExpired:
            continue


@contextlib.contextmanager
def running_moto(log_dir: Path) -> Iterator[str]:
    """Run moto's S3 server on a free loopback port; yield its endpoint URL."""
    port = free_port()
    endpoint = f"http://{HOST}:{port}"
    log_path = log_dir / "moto.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            moto_command(port),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + MOTO_STARTUP_TIMEOUT_S
        while True:
            if process.poll() is not None:
                pytest.fail(f"moto exited with code {process.returncode}:\n{_log_tail(log_path)}")
            try:
                httpx.get(endpoint, timeout=1)
                break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"moto did not answer within {MOTO_STARTUP_TIMEOUT_S:.0f}s")
            time.sleep(0.05)
        yield endpoint
    finally:
        _stop(process)


class S3Server:
    """A running S3 protocol server and a client for it (dummy credentials)."""

    def __init__(self, endpoint_url: str) -> None:
        self.endpoint_url = endpoint_url
        self._client: Any = None

    def client(self) -> Any:
        """A boto3 S3 client on this server (one per session: clients are slow to build)."""
        if self._client is None:
            self._client = boto3.client(
                "s3", endpoint_url=self.endpoint_url, region_name="us-east-1"
            )
        return self._client

    def keys(self, bucket: str) -> dict[str, str]:
        """Every key in ``bucket`` with its ETag."""
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket)
        return {item["Key"]: item["ETag"] for page in pages for item in page.get("Contents", [])}

    def pending_uploads(self, bucket: str) -> list[str]:
        """Keys of multipart uploads started in ``bucket`` and neither completed nor aborted."""
        listed = self.client().list_multipart_uploads(Bucket=bucket)
        return [upload["Key"] for upload in listed.get("Uploads", [])]


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """moto's S3 server on loopback, with dummy AWS credentials set for the session."""
    with pytest.MonkeyPatch.context() as env:
        for name in FOREIGN_AWS_ENV:
            env.delenv(name, raising=False)
        for name, value in DUMMY_AWS_ENV.items():
            env.setenv(name, value)
        missing = str(tmp_path_factory.getbasetemp() / "no-aws-config")
        env.setenv("AWS_CONFIG_FILE", missing)
        env.setenv("AWS_SHARED_CREDENTIALS_FILE", missing)
        with running_moto(tmp_path_factory.mktemp("moto")) as endpoint:
            yield S3Server(endpoint)


@pytest.fixture
def s3_bucket(s3_server: S3Server) -> str:
    """A new, empty bucket."""
    name = f"test-{uuid.uuid4().hex[:24]}"
    s3_server.client().create_bucket(Bucket=name)
    return name


# -- artifact stores -----------------------------------------------------------------------------


@pytest.fixture
def local_store(tmp_path: Path) -> LocalArtifactStore:
    """A local store on an empty folder."""
    return LocalArtifactStore(tmp_path / "artifact-root")


@pytest.fixture
def s3_store(s3_server: S3Server, s3_bucket: str) -> S3ArtifactStore:
    """An S3 store on ``s3://<new bucket>/some/prefix`` on the moto server."""
    return S3ArtifactStore(f"s3://{s3_bucket}/{S3_PREFIX}", endpoint_url=s3_server.endpoint_url)


@pytest.fixture(params=["local", "s3"])
def artifact_store(request: pytest.FixtureRequest) -> ArtifactStore:
    """An empty artifact store: on local disk, then on S3."""
    store: ArtifactStore = request.getfixturevalue(f"{request.param}_store")
    return store


# -- watching the file system ---------------------------------------------------------------------

# Audit events that name paths: where in their arguments the paths are, and whether the event acts
# on the file a path finally resolves to (open, list) or on the directory entry itself (remove).
_PATH_ARGUMENTS = {
    "open": (0,),
    "os.listdir": (0,),
    "os.scandir": (0,),
    "os.truncate": (0,),
    "os.utime": (0,),
    "os.chmod": (0,),
    "os.mkdir": (0,),
    "os.remove": (0,),
    "os.rmdir": (0,),
    "os.rename": (0, 1),
    "os.link": (0, 1),
    "os.symlink": (1,),
    "shutil.rmtree": (0,),
    "shutil.copyfile": (0, 1),
    "shutil.move": (0, 1),
}
_FOLLOWING_EVENTS = {"open", "os.listdir", "os.scandir", "os.truncate", "os.utime", "os.chmod"}


class FileTouches:
    """Paths the process touches while recording, from Python's audit events (all threads)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._recording = 0
        self.events: list[tuple[str, str]] = []

    def __call__(self, event: str, args: tuple[Any, ...]) -> None:
        if not self._recording or event not in _PATH_ARGUMENTS:
            return
        for index in _PATH_ARGUMENTS[event]:
            arg = args[index] if index < len(args) else None
            if isinstance(arg, str | bytes | os.PathLike):
                self.events.append((event, os.fsdecode(arg)))

    @contextlib.contextmanager
    def recording(self) -> Iterator[list[tuple[str, str]]]:
        """Record touched paths inside the block; yields the (event, path) list."""
        with self._lock:
            self.events = []
            self._recording += 1
        try:
            yield self.events
        finally:
            with self._lock:
                self._recording -= 1

    def landing_places(self, event: str, path: str) -> set[Path]:
        """Where an event on ``path`` can have acted, symlinks resolved."""
        absolute = Path(os.path.abspath(path))
        places = {absolute, Path(os.path.realpath(absolute.parent)) / absolute.name}
        if event in _FOLLOWING_EVENTS:
            places.add(Path(os.path.realpath(absolute)))
        return places


_TOUCHES: FileTouches | None = None


@pytest.fixture(scope="session")
def file_touches() -> FileTouches:
    """The process-wide recorder of touched paths (its audit hook is installed once)."""
    global _TOUCHES
    if _TOUCHES is None:
        _TOUCHES = FileTouches()
        sys.addaudithook(_TOUCHES)
    return _TOUCHES


def within(path: Path, folder: Path) -> bool:
    """Whether ``path`` is ``folder`` or below it."""
    return path == folder or folder in path.parents


@dataclass(frozen=True)
class Entry:
    """What a snapshot remembers of one file or folder."""

    kind: str
    mtime_ns: int
    digest: str


def snapshot(folder: Path, *, skip: Path) -> dict[str, Entry]:
    """Every entry below ``folder`` except ``skip``, with its kind, mtime and content hash."""
    entries: dict[str, Entry] = {}
    for current, folders, files in os.walk(folder, followlinks=False):
        here = Path(current)
        folders[:] = [name for name in folders if here / name != skip]
        for name in [*folders, *files]:
            path = here / name
            info = path.lstat()
            if path.is_symlink():
                kind, digest = "link", os.readlink(path)
            elif path.is_dir():
                kind, digest = "dir", ""
            else:
                kind, digest = "file", hashlib.sha256(path.read_bytes()).hexdigest()
            entries[str(path.relative_to(folder))] = Entry(kind, info.st_mtime_ns, digest)
    return entries


SECRET = b"the secret outside the artifact root"
SYSTEM_FILES = (Path("/etc/passwd"),)


@dataclass(frozen=True)
class GuardedSite:
    """An artifact root with things beside it that no artifact operation may read or write.

    ``base/artifacts`` is the root; ``base/canary.txt`` sits next to it and ``base/outside/``
    holds ``secret.txt``, the target of the symlinks tests plant inside the root.
    """

    base: Path
    touches: FileTouches

    @property
    def root(self) -> Path:
        return self.base / "artifacts"

    @property
    def canary(self) -> Path:
        return self.base / "canary.txt"

    @property
    def outside(self) -> Path:
        return self.base / "outside"

    @property
    def secret(self) -> Path:
        return self.outside / "secret.txt"

    def plant_symlinks(self, folder: Path) -> None:
        """Symlinks in ``folder`` (inside the root) leading out: to a folder, a file, nothing.

        Links already there are kept, so it can be called again to restore them.
        """
        folder.mkdir(parents=True, exist_ok=True)
        links = {
            "planted-dir": self.outside,
            "planted-file": self.secret,
            "planted-dangling": self.outside / "created-through-a-link.txt",
        }
        for name, target in links.items():
            if not (folder / name).is_symlink():
                (folder / name).symlink_to(target)

    def is_outside(self, place: Path) -> bool:
        """Whether ``place`` is beside the root (not in it) or a system file."""
        return place in SYSTEM_FILES or (within(place, self.base) and not within(place, self.root))

    @contextlib.contextmanager
    def untouched(self) -> Iterator[None]:
        """Fail unless the block leaves everything beside the root unread and unchanged."""
        before = snapshot(self.base, skip=self.root)
        with self.touches.recording() as events:
            yield
        intrusions = sorted(
            {
                (event, path)
                for event, path in events
                if any(self.is_outside(p) for p in self.touches.landing_places(event, path))
            }
        )
        assert intrusions == [], f"touched outside the artifact root: {intrusions}"
        assert snapshot(self.base, skip=self.root) == before, "something beside the root changed"


@pytest.fixture(scope="session")
def make_guarded_site(file_touches: FileTouches) -> Callable[[Path], GuardedSite]:
    """Build a ``GuardedSite`` in an empty folder (for fixtures wider than one test)."""

    def make(base: Path) -> GuardedSite:
        site = GuardedSite(base, file_touches)
        site.root.mkdir(parents=True)
        site.outside.mkdir()
        site.secret.write_bytes(SECRET)
        site.canary.write_bytes(b"canary")
        return site

    return make


@pytest.fixture
def guarded_site(tmp_path: Path, make_guarded_site: Callable[[Path], GuardedSite]) -> GuardedSite:
    """An empty artifact root with a canary file and a secret folder beside it."""
    return make_guarded_site(tmp_path / "site")
