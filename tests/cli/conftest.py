"""Fixtures for the command-line tests: real ``shipyard server`` processes and an isolated home.

Every test runs with ``SHIPYARD_HOME`` in a temporary folder and no server setting or tracking
URI inherited from the developer's shell, and fails if the repository root gains a file. Servers
are real processes started on ``--port 0``; their port is read from the URL they print.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner, Result

from shipyard.cli.main import cli
from shipyard.server.settings import SETTINGS

REPO_ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
STARTUP_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 15.0
SERVING_LINE = re.compile(r"serving:\s+(http://\S+)")
SETTING_ENV = frozenset(name for setting in SETTINGS for name in setting.envvars)
CLIENT_ENV = frozenset(
    {
        "SHIPYARD_TRACKING_URI",
        "MLFLOW_TRACKING_URI",
        "SHIPYARD_TRACKING_TOKEN",
        "MLFLOW_TRACKING_TOKEN",
    }
)


@dataclass
class ServerProcess:
    """A ``shipyard server`` process started by a test, its output kept in files."""

    process: subprocess.Popen[bytes]
    stdout_path: Path
    stderr_path: Path
    url: str = ""

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def stdout(self) -> str:
        return self.stdout_path.read_text(errors="replace")

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def wait_until_serving(self) -> str:
        """Wait for the printed URL, then for GET /health to answer; return the URL."""
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not self.url:
            match = SERVING_LINE.search(self.stdout())
            if match:
                self.url = match.group(1)
                break
            self._check_alive(deadline)
            time.sleep(0.05)
        while True:
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{self.url}/health", timeout=2).status_code == 200:
                    return self.url
            self._check_alive(deadline)
            time.sleep(0.05)

    def _check_alive(self, deadline: float) -> None:
        if self.process.poll() is not None:
            pytest.fail(
                f"server exited with code {self.process.returncode} before serving;\n"
                f"stdout:\n{self.stdout()}\nstderr:\n{self.stderr()[-4000:]}"
            )
        if time.monotonic() > deadline:
            self.kill()
            pytest.fail(f"server did not serve within {STARTUP_TIMEOUT_S:.0f}s:\n{self.stderr()}")

    def terminate(self, sig: signal.Signals = signal.SIGTERM) -> int:
        """Send a signal (SIGTERM: as a process manager does) to the server process alone;
        return its exit code."""
        self.process.send_signal(sig)
        try:
            return self.process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail(f"server did not stop within {STOP_TIMEOUT_S:.0f}s of {sig.name}")

    def kill(self) -> None:
        """Stop the server and any worker it forked (they share its process group)."""
        for sig in (signal.SIGTERM, signal.SIGKILL):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=STOP_TIMEOUT_S)
                return


def _shipyard_command() -> str:
    beside_python = Path(sys.executable).parent / "shipyard"
    if not beside_python.exists():
        pytest.fail(f"cannot find the shipyard command next to {sys.executable}")
    return str(beside_python)


def _server_env(home: Path, extra: dict[str, str] | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SETTING_ENV | CLIENT_ENV}
    env["SHIPYARD_HOME"] = str(home)
    env.update(extra or {})
    return env


def _launch(
    args: Sequence[str], home: Path, workdir: Path, env: dict[str, str] | None
) -> ServerProcess:
    workdir.mkdir(parents=True, exist_ok=True)
    stdout_path = workdir / "server.stdout"
    stderr_path = workdir / "server.stderr"
    with stdout_path.open("wb") as stdout, stderr_path.open("wb") as stderr:
        process = subprocess.Popen(
            [_shipyard_command(), "server", *args],
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=stderr,
            env=_server_env(home, env),
            cwd=workdir,
            start_new_session=True,
        )
    return ServerProcess(process, stdout_path, stderr_path)


LaunchServer = Callable[..., ServerProcess]


@pytest.fixture(scope="session")
def launch_server() -> Iterator[LaunchServer]:
    """``launch_server(*args, home=, workdir=, env=None, wait=True)`` starts ``shipyard server
    ARGS`` with SHIPYARD_HOME=home in workdir; every server still running is stopped at the end."""
    started: list[ServerProcess] = []

    def launch(
        *args: str,
        home: Path,
        workdir: Path,
        env: dict[str, str] | None = None,
        wait: bool = True,
    ) -> ServerProcess:
        process = _launch(args, home, workdir, env)
        started.append(process)
        if wait:
            process.wait_until_serving()
        return process

    yield launch
    for process in started:
        process.kill()


@pytest.fixture
def start_server(launch_server: LaunchServer, tmp_path: Path) -> Iterator[LaunchServer]:
    """Like ``launch_server`` with home and workdir in tmp_path; stopped after the test."""
    started: list[ServerProcess] = []

    def start(*args: str, home: Path | None = None, **kwargs: object) -> ServerProcess:
        process = launch_server(
            *args, home=home or tmp_path / "home", workdir=tmp_path / "cwd", **kwargs
        )
        started.append(process)
        return process

    yield start
    for process in started:
        process.kill()


@dataclass(frozen=True)
class LiveServer:
    """A running server and the storage it was started on."""

    url: str
    backend_store_uri: str
    artifacts_destination: Path


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


# -- fixtures for every test --------------------------------------------------------------------


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """SHIPYARD_HOME in a temporary folder; no server setting or tracking URI from the shell."""
    for name in SETTING_ENV | CLIENT_ENV:
        monkeypatch.delenv(name, raising=False)
    home = tmp_path / "shipyard-home"
    monkeypatch.setenv("SHIPYARD_HOME", str(home))
    return home


@pytest.fixture(scope="session", autouse=True)
def repo_root_at_start() -> set[str]:
    """What the repository root held before any fixture of the session ran."""
    return set(os.listdir(REPO_ROOT))


@pytest.fixture(autouse=True)
def repo_root_untouched(repo_root_at_start: set[str]) -> Iterator[None]:
    """Neither the test nor a fixture it uses may write into the repository root (the current
    directory): mlflow's default tracking URI, for one, is ``sqlite:///mlflow.db`` there."""
    yield
    added = set(os.listdir(REPO_ROOT)) - repo_root_at_start
    assert not added, f"the repository root gained {sorted(added)}"


# -- a live server and its clients --------------------------------------------------------------


def serve_fresh_storage(launch_server: LaunchServer, folder: Path) -> Iterator[LiveServer]:
    """A live server on a new database and artifact folder in ``folder``, for a fixture."""
    uri = f"sqlite:///{folder / 'tracking.db'}"
    artifacts = folder / "artifact-store"
    process = launch_server(
        "--host",
        HOST,
        "--port",
        "0",
        "--backend-store-uri",
        uri,
        "--artifacts-destination",
        str(artifacts),
        home=folder / "home",
        workdir=folder / "cwd",
    )
    try:
        yield LiveServer(process.url, uri, artifacts)
    finally:
        died = process.process.poll() is not None
        process.kill()
    if died:
        pytest.fail(f"the live server died during the tests:\n{process.stderr()[-4000:]}")


@pytest.fixture(scope="session")
def live_server(
    launch_server: LaunchServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """One live server per test session (per xdist worker), shared by read-mostly tests."""
    yield from serve_fresh_storage(launch_server, tmp_path_factory.mktemp("cli-live-server"))


@pytest.fixture(scope="module")
def module_server(
    launch_server: LaunchServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """A live server of the test module's own, for tests that change what others would see."""
    yield from serve_fresh_storage(launch_server, tmp_path_factory.mktemp("cli-module-server"))


@pytest.fixture
def unused_port() -> int:
    """A loopback port nothing listens on (it was free a moment ago)."""
    return _free_port()


@pytest.fixture
def shipyard(monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    """``shipyard(*args)`` runs the command in process, its output piped as in a script (tables
    as wide as a pipe gets, 80 columns); stdout and stderr are kept apart and an uncaught
    exception fails the test with its traceback."""
    monkeypatch.delenv("COLUMNS", raising=False)

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(cli, list(args), catch_exceptions=False)

    return invoke


# -- shipyard ui ---------------------------------------------------------------------------------


@pytest.fixture
def launch_ui(tmp_path: Path) -> Iterator[Callable[..., ServerProcess]]:
    """``launch_ui(*args, env=None, wait=True)`` starts ``shipyard ui ARGS`` as a process with
    SHIPYARD_HOME at ``tmp_path / "home"``; it prints its URL on the same ``serving:`` line as
    the server. Every process still running is stopped after the test."""
    started: list[ServerProcess] = []

    def launch(*args: str, env: dict[str, str] | None = None, wait: bool = True) -> ServerProcess:
        workdir = tmp_path / "ui-cwd"
        workdir.mkdir(parents=True, exist_ok=True)
        stdout_path, stderr_path = workdir / "ui.stdout", workdir / "ui.stderr"
        with stdout_path.open("wb") as stdout, stderr_path.open("wb") as stderr:
            process = subprocess.Popen(
                [_shipyard_command(), "ui", *args],
                stdin=subprocess.DEVNULL,
                stdout=stdout,
                stderr=stderr,
                env=_server_env(tmp_path / "home", env),
                cwd=workdir,
                start_new_session=True,
            )
        ui = ServerProcess(process, stdout_path, stderr_path)
        started.append(ui)
        if wait:
            ui.wait_until_serving()
        return ui

    yield launch
    for process in started:
        process.kill()


# -- the light install (no server packages) -----------------------------------------------------

SERVER_ONLY_PACKAGES = ("fastapi", "starlette", "uvicorn", "jinja2", "plotly", "pydantic")
_HIDE_SERVER_PACKAGES = f"""
import importlib.abc, importlib.util, sys

class HideServerPackages(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in {SERVER_ONLY_PACKAGES!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None

sys.meta_path.insert(0, HideServerPackages())
_find_spec = importlib.util.find_spec
importlib.util.find_spec = lambda name, package=None: (
    None if name.split(".")[0] in {SERVER_ONLY_PACKAGES!r} else _find_spec(name, package)
)
"""


@pytest.fixture
def shipyard_without_server_packages(
    tmp_path: Path,
) -> Callable[..., subprocess.CompletedProcess[str]]:
    """``run(*args)`` runs ``shipyard ARGS`` in a process where the server's packages cannot be
    imported, as after ``pip install shipyard`` (the client alone)."""

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        script = _HIDE_SERVER_PACKAGES + "from shipyard.cli.main import cli\ncli()\n"
        return subprocess.run(
            [sys.executable, "-c", script, *args],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            cwd=tmp_path,
            env=_server_env(tmp_path / "light-home", None),
        )

    return run
