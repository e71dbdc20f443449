"""The client tests run Shipyard's client against the live server of the compat suite.

The server, the ``mlflow`` client settings and the naming helpers come from
``tests/compat/conftest.py``; here the fluent API's process-wide state is pointed at that server
before each test and cleared after it, so no run, experiment or connection leaks between tests.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

import compat.conftest as compat
from shipyard import fluent
from shipyard.domain.entities import RunStatus

# The compat suite's fixtures, registered for this folder by being bound here.
target = compat.target
tracking_server = compat.tracking_server
mlflow_client_env = compat.mlflow_client_env
client = compat.client
unique_name = compat.unique_name
experiment_id = compat.experiment_id


@pytest.fixture(autouse=True)
def shipyard_fluent(tracking_server: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The fluent API on the live server, with no active run and no current experiment."""
    # $SHIPYARD_TRACKING_URI outranks the URI the compat fixtures set for the mlflow client.
    monkeypatch.delenv("SHIPYARD_TRACKING_URI", raising=False)
    monkeypatch.delenv("MLFLOW_EXPERIMENT_NAME", raising=False)
    # set_experiment() keeps its choice for the whole process; a test must not inherit it.
    monkeypatch.setattr(fluent, "_experiment_id", None)
    fluent.set_tracking_uri(tracking_server)
    yield
    while fluent.active_run() is not None:
        fluent.end_run(RunStatus.KILLED)
    fluent.set_tracking_uri(None)


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A stock ``mlflow server`` (sqlite, proxied artifacts), started for this session."""
    from client.servers import ServerProcess

    server = ServerProcess.of("mlflow", tmp_path_factory.mktemp("mlflow-server")).start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def unused_port() -> int:
    """A loopback port nothing listens on (bound, read, released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
