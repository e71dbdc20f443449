"""JSON details on the wire that the lenient Python client hides but other clients (the UI) see."""

from __future__ import annotations

import math

import pytest
from mlflow import MlflowClient

from .conftest import RestApi

pytestmark = pytest.mark.compat


@pytest.fixture
def run_id(client: MlflowClient, experiment_id: str) -> str:
    return client.create_run(experiment_id, start_time=1_700_000_000_000).info.run_id


def test_run_info_carries_run_id_and_run_uuid(rest: RestApi, run_id: str) -> None:
    info = rest.get("runs/get", {"run_id": run_id}).json()["run"]["info"]

    assert info["run_id"] == run_id
    assert info["run_uuid"] == run_id


def test_int64_fields_are_json_numbers_and_enums_are_names(rest: RestApi, run_id: str) -> None:
    info = rest.get("runs/get", {"run_id": run_id}).json()["run"]["info"]

    assert info["start_time"] == 1_700_000_000_000
    assert info["status"] == "RUNNING"


def test_nan_metric_value_is_the_string_nan(
    client: MlflowClient, rest: RestApi, run_id: str
) -> None:
    client.log_metric(run_id, "unstable", math.nan, timestamp=1000, step=2)

    history = rest.get("metrics/get-history", {"run_id": run_id, "metric_key": "unstable"}).json()

    assert history["metrics"] == [{"key": "unstable", "value": "NaN", "timestamp": 1000, "step": 2}]


def test_infinite_metric_value_is_infinity_string_or_double_max(
    client: MlflowClient, rest: RestApi, run_id: str
) -> None:
    client.log_metric(run_id, "overflow", -math.inf)

    [metric] = rest.get("runs/get", {"run_id": run_id}).json()["run"]["data"]["metrics"]

    # MLflow clamps to -DBL_MAX in SQL; keeping -inf exactly must use protobuf's "-Infinity".
    assert metric["value"] in ("-Infinity", -1.7976931348623157e308)


def test_ajax_api_prefix_serves_the_same_endpoint(rest: RestApi, experiment_id: str) -> None:
    params = {"experiment_id": experiment_id}

    api = rest.get("experiments/get", params)
    ajax = rest.session.get(
        f"{rest.base_url}/ajax-api/2.0/mlflow/experiments/get", params=params, timeout=30
    )

    assert ajax.status_code == 200
    assert ajax.json() == api.json()


def test_version_endpoint_answers_a_version_string(rest: RestApi) -> None:
    response = rest.session.get(f"{rest.base_url}/version", timeout=10)

    assert response.status_code == 200
    assert response.text.strip()[0].isdigit()
