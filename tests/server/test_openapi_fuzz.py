"""Schemathesis over the server's own OpenAPI spec: no generated request gets a 5xx.

The spec is the app's own (what ``/openapi.json`` serves), taken at import time from an app whose
store is never opened, so collecting this module touches no database. Each operation is a test
of its own, once with valid inputs and, where its schema can be broken, once with invalid ones,
so a failure names the operation and xdist can spread them. The requests go to a second app on a
store of its own (SQLite only: the point is the request handling, and one backend keeps the
module fast), seeded with a run and a logged model so that some requests pass existence checks.

``case.call_and_validate`` is not used: the spec documents FastAPI's 422 for validation errors,
while the server deliberately answers 400 with MLflow's error body. Shrinking is off to keep the
module fast; a failure reports the input as generated, with a curl command to replay it.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import schemathesis
from fastapi import FastAPI
from schemathesis.generation import GenerationMode
from schemathesis.python import asgi

from shipyard.server.app import create_app
from shipyard.server.settings import ServerSettings
from shipyard.store.engine import Database
from shipyard.store.tracking import TrackingStore

# About 25 generated requests per operation, split between valid and invalid inputs.
MAX_EXAMPLES = {GenerationMode.POSITIVE: 15, GenerationMode.NEGATIVE: 10}

_NOWHERE = Path(tempfile.gettempdir()) / "shipyard-fuzz-spec-never-opened"
_spec_app = create_app(
    ServerSettings(
        backend_store_uri=f"sqlite:///{_NOWHERE}.db", artifacts_destination=str(_NOWHERE)
    )
)
schema = schemathesis.openapi.from_dict(_spec_app.openapi())
OPERATIONS = [result.ok() for result in schema.get_all_operations()]


def _can_be_invalid(operation: schemathesis.APIOperation) -> bool:
    # Only query parameters and JSON bodies have a schema that an input can break; string path
    # parameters and raw bodies accept anything, so no invalid input can be generated for them.
    has_json_body = any(body.media_type == "application/json" for body in operation.body)
    return bool(len(operation.query)) or has_json_body


CASES = [
    pytest.param(operation, mode, id=f"{operation.label}-{mode.value}")
    for operation in OPERATIONS
    for mode in GenerationMode
    if mode is GenerationMode.POSITIVE or _can_be_invalid(operation)
]


def _settings(mode: GenerationMode) -> hypothesis.settings:
    return hypothesis.settings(
        max_examples=MAX_EXAMPLES[mode],
        deadline=None,
        database=None,  # no .hypothesis folder in the working tree
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
        suppress_health_check=list(hypothesis.HealthCheck),
    )


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[FastAPI]:
    """The app under fuzz, on a SQLite store of its own with a run and a logged model in it."""
    folder = tmp_path_factory.mktemp("fuzz")
    shutil.copyfile(sqlite_template, folder / "tracking.db")
    uri = f"sqlite:///{folder / 'tracking.db'}"
    store = TrackingStore(Database(uri), "mlflow-artifacts:")
    try:
        store.ensure_default_experiment()
        run = store.create_run(experiment_id="0", user_id="fuzz", start_time=0, run_name="seed")
        store.create_logged_model(experiment_id="0", name="seed", source_run_id=run.info.run_id)
        settings = ServerSettings(
            backend_store_uri=uri, artifacts_destination=str(folder / "artifacts")
        )
        yield create_app(settings, store=store)
    finally:
        store.close()


@pytest.fixture(scope="module")
def fuzz_session(fuzz_app: FastAPI) -> Iterator[Any]:
    """One in-process HTTP session on the app for every generated request."""
    with asgi.get_client(fuzz_app) as session:
        yield session
    # Schemathesis keeps an app's lifespan running until the process exits; end it with the module.
    asgi.shutdown_lifespans()


def test_spec_has_operations() -> None:
    assert any(op.path == "/api/2.0/mlflow/runs/log-batch" for op in OPERATIONS)


@pytest.mark.parametrize(("operation", "mode"), CASES)
def test_generated_request_never_gets_a_server_error(
    operation: schemathesis.APIOperation, mode: GenerationMode, fuzz_session: Any
) -> None:
    @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
    @_settings(mode)
    def check(case: schemathesis.Case) -> None:
        response = case.call(session=fuzz_session)
        assert response.status_code < 500, (
            f"{case.method} {case.formatted_path} -> {response.status_code}: "
            f"{response.text[:300]}\n{case.as_curl_command()}"
        )

    check()
