"""The autologging tests train small real models against the live server of the compat suite.

The server, the ``mlflow`` client settings and the naming helpers come from
``tests/compat/conftest.py`` and the fluent API's set-up from ``tests/client/conftest.py``: the
fluent API is pointed at that server before each test, and after it every autologging
integration is switched off (restoring the frameworks' methods) and any run left active is
ended.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

import client.conftest as client_setup
from shipyard import fluent
from shipyard.autologging import autolog

# Keras picks its backend at import: torch is the one installed here.
os.environ.setdefault("KERAS_BACKEND", "torch")
# Nothing may be fetched from a model hub: the tests build their models from configs.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

# The compat suite's fixtures and the client suite's fluent set-up, registered for this folder
# by being bound here.
target = client_setup.target
tracking_server = client_setup.tracking_server
mlflow_client_env = client_setup.mlflow_client_env
client = client_setup.client
unique_name = client_setup.unique_name
experiment_id = client_setup.experiment_id
shipyard_fluent = client_setup.shipyard_fluent


@pytest.fixture(autouse=True)
def autologging_off() -> Iterator[None]:
    """After each test every integration is switched off (the frameworks' methods restored)."""
    yield
    autolog(disable=True)


@pytest.fixture
def current_experiment(experiment_id: str) -> str:
    """A fresh experiment made current, so the runs autologging starts land in it alone."""
    fluent.set_experiment(experiment_id=experiment_id)
    return experiment_id
