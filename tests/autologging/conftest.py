"""The autologging tests train small real models against the live server of the compat suite.

The server, the ``mlflow`` client settings and the naming helpers come from
``tests/compat/conftest.py`` (bound here as ``tests/client/conftest.py`` does); the fluent API is
pointed at that server before each test, and after it every autologging integration is switched
off (restoring the frameworks' methods) and any run left active is ended.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

import compat.conftest as compat
from shipyard import fluent
from shipyard.autologging import autolog
from shipyard.domain.entities import RunStatus

# Keras picks its backend at import: torch is the one installed here.
os.environ.setdefault("KERAS_BACKEND", "torch")
# Nothing may be fetched from a model hub: the tests build their models from configs.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

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
    monkeypatch.delenv("SHIPYARD_TRACKING_URI", raising=False)
    monkeypatch.delenv("MLFLOW_EXPERIMENT_NAME", raising=False)
    monkeypatch.setattr(fluent, "_experiment_id", None)
    fluent.set_tracking_uri(tracking_server)
    yield
    autolog(disable=True)
    while fluent.active_run() is not None:
        fluent.end_run(RunStatus.KILLED)
    fluent.set_tracking_uri(None)


@pytest.fixture
def current_experiment(experiment_id: str) -> str:
    """A fresh experiment made current, so the runs autologging starts land in it alone."""
    fluent.set_experiment(experiment_id=experiment_id)
    return experiment_id
