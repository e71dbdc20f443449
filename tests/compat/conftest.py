"""A live tracking server per test session, and the client-side settings every compat test uses.

``SHIPYARD_COMPAT_TARGET`` picks the server: ``shipyard`` (default) or ``mlflow``, the reference
``mlflow server``. The suite is written against MLflow's real behaviour, so running it on the
``mlflow`` target checks the tests themselves; running it on ``shipyard`` checks the server.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import mlflow
import mlflow.tracking.fluent
import pytest
import requests
from mlflow import MlflowClient

TARGETS = ("shipyard", "mlflow")
HOST = "127.0.0.1"
STARTUP_TIMEOUT_S = 90.0
SHUTDOWN_TIMEOUT_S = 10.0
STDERR_TAIL_CHARS = 4000


def compat_target() -> str:
    """The server the suite runs against, from ``SHIPYARD_COMPAT_TARGET``."""
    target = os.environ.get("SHIPYARD_COMPAT_TARGET", "shipyard").strip().lower()
    if target not in TARGETS:
        raise pytest.UsageError(
            f"SHIPYARD_COMPAT_TARGET={target!r} is not one of {', '.join(TARGETS)}"
        )
    return target


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _console_script(name: str) -> str:
    # Prefer the script installed next to this interpreter, so the venv under test is the one run.
    beside_python = Path(sys.executable).parent / name
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"cannot find the {name!r} command next to {sys.executable} or on PATH")
    return found


def _server_command(target: str, port: int, data_dir: Path) -> list[str]:
    artifacts = str(data_dir / "artifacts")
    if target == "shipyard":
        return [
            _console_script("shipyard"),
            "server",
            "--host",
            HOST,
            "--port",
            str(port),
            "--backend-store-uri",
            f"sqlite:///{data_dir / 'db.sqlite'}",
            "--artifacts-destination",
            artifacts,
        ]
    return [
        _console_script("mlflow"),
        "server",
        "--host",
        HOST,
        "--port",
        str(port),
        "--backend-store-uri",
        f"sqlite:///{data_dir / 'mlflow.db'}",
        "--artifacts-destination",
        artifacts,
        "--workers",
        "1",
    ]


def _server_env() -> dict[str, str]:
    env = dict(os.environ)
    # The server must not inherit a client-side tracking target from the developer's shell.
    env.pop("MLFLOW_TRACKING_URI", None)
    env["MLFLOW_DISABLE_TELEMETRY"] = "true"
    env["DO_NOT_TRACK"] = "true"
    return env


def _stderr_tail(path: Path) -> str:
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return "<no stderr captured>"
    return text[-STDERR_TAIL_CHARS:] or "<empty stderr>"


def _stop(process: subprocess.Popen[bytes]) -> None:
    # The server runs in its own session, so its workers (uvicorn, gunicorn) share its group id.
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=SHUTDOWN_TIMEOUT_S)
            return
        except subprocess.TimeoutExpired:
            continue


def _wait_until_healthy(process: subprocess.Popen[bytes], url: str, stderr_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while True:
        if process.poll() is not None:
            pytest.fail(
                f"server exited with code {process.returncode} before answering /health; "
                f"stderr tail:\n{_stderr_tail(stderr_path)}"
            )
        try:
            if requests.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            _stop(process)
            pytest.fail(
                f"server did not answer GET /health within {STARTUP_TIMEOUT_S:.0f}s; "
                f"stderr tail:\n{_stderr_tail(stderr_path)}"
            )
        time.sleep(0.1)


@pytest.fixture(scope="session")
def target() -> str:
    """``shipyard`` or ``mlflow``: the kind of server under test."""
    return compat_target()


@pytest.fixture(scope="session")
def tracking_server(target: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Start the target server on a free loopback port with a fresh data dir; yield its URL."""
    data_dir = tmp_path_factory.mktemp(f"compat-{target}-server")
    port = _free_port()
    url = f"http://{HOST}:{port}"
    stdout_path = data_dir / "server.stdout"
    stderr_path = data_dir / "server.stderr"
    with stdout_path.open("wb") as stdout, stderr_path.open("wb") as stderr:
        process = subprocess.Popen(
            _server_command(target, port, data_dir),
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=stderr,
            env=_server_env(),
            cwd=data_dir,
            start_new_session=True,
        )
    try:
        _wait_until_healthy(process, url, stderr_path)
        yield url
    finally:
        died_early = process.poll() is not None
        _stop(process)
    if died_early:
        pytest.fail(
            f"the {target} server died during the session (exit code {process.returncode}); "
            f"stderr tail:\n{_stderr_tail(stderr_path)}"
        )


@pytest.fixture(autouse=True)
def mlflow_client_env(tracking_server: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Point the fluent API and new clients at the live server, failing fast on server errors."""
    monkeypatch.setenv("MLFLOW_TRACKING_URI", tracking_server)
    # Without this a 5xx is retried with backoff for minutes before the test sees it.
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "30")
    monkeypatch.setenv("MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT", "true")
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    # mlflow.set_experiment() sets both of these; snapshot them so monkeypatch restores them.
    monkeypatch.delenv("MLFLOW_EXPERIMENT_ID", raising=False)
    # A registry URI left by another test (mlflow.set_registry_uri writes it to os.environ)
    # would send registry calls to another server.
    monkeypatch.delenv("MLFLOW_REGISTRY_URI", raising=False)
    mlflow.set_registry_uri(None)
    monkeypatch.setattr(mlflow.tracking.fluent, "_active_experiment_id", None)
    mlflow.set_tracking_uri(tracking_server)
    yield
    # A test that failed inside `with mlflow.start_run()` must not leak its run into the next one.
    while mlflow.active_run() is not None:
        mlflow.end_run(status="KILLED")
    mlflow.set_tracking_uri(None)


@pytest.fixture
def shipyard_only(target: str) -> None:
    """Skip on the reference server: the test covers a Shipyard extension of the protocol."""
    if target == "mlflow":
        pytest.skip("Shipyard-only behaviour; the reference MLflow server does not implement it")


@pytest.fixture
def client(tracking_server: str) -> MlflowClient:
    return MlflowClient(tracking_uri=tracking_server)


@pytest.fixture
def unique_name() -> Callable[[str], str]:
    """Make a name no other test (or earlier session on the same server) can have used."""

    def make(prefix: str) -> str:
        return f"{prefix}-{uuid.uuid4().hex}"

    return make


@pytest.fixture
def experiment_id(
    client: MlflowClient, request: pytest.FixtureRequest, unique_name: Callable[[str], str]
) -> str:
    """A fresh experiment owned by this test; searches scoped to it see only this test's runs."""
    return client.create_experiment(unique_name(f"compat-{request.node.name[:200]}"))


class RestApi:
    """Raw HTTP against the server, for wire details the client hides (status codes, bodies)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.session = requests.Session()

    def url(self, path: str) -> str:
        return f"{self.base_url}/api/2.0/mlflow/{path}"

    def get(self, path: str, params: dict[str, str] | None = None) -> requests.Response:
        return self.session.get(self.url(path), params=params, timeout=30)

    def post(
        self,
        path: str,
        json: object | None = None,
        *,
        data: str | bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> requests.Response:
        return self.session.post(self.url(path), json=json, data=data, headers=headers, timeout=30)


@pytest.fixture
def rest(tracking_server: str) -> Iterator[RestApi]:
    api = RestApi(tracking_server)
    yield api
    api.session.close()
