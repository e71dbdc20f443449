"""The client tests run Shipyard's client against the live server of the compat suite.

The server, the ``mlflow`` client settings and the naming helpers come from
``tests/compat/conftest.py``; here the fluent API's process-wide state is pointed at that server
before each test and cleared after it, so no run, experiment or connection leaks between tests.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from compat.conftest import (  # noqa: F401  (fixtures, registered by being imported here)
    client,
    experiment_id,
    mlflow_client_env,
    target,
    tracking_server,
    unique_name,
)
from shipyard import fluent
from shipyard.domain.entities import RunStatus


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
