"""Metrics: ``log_metric``, special float values, the latest value and the full, paged history."""

from __future__ import annotations

import math
import sys

import pytest
from mlflow import MlflowClient
from mlflow.entities import Metric
from mlflow.exceptions import MlflowException

pytestmark = pytest.mark.compat

# MLflow's SQL store clamps +/-inf to the largest finite double; Shipyard may keep inf exactly.
# Both satisfy the client, so tests on infinities accept either.
DOUBLE_MAX = sys.float_info.max
HISTORY_POINTS = 30_000  # more than one 25,000-point page of get-history


@pytest.fixture
def run_id(client: MlflowClient, experiment_id: str) -> str:
    return client.create_run(experiment_id).info.run_id


def _points(client: MlflowClient, run_id: str, key: str) -> list[tuple[int, int, float]]:
    return [(m.step, m.timestamp, m.value) for m in client.get_metric_history(run_id, key)]


def test_log_metric_keeps_step_and_timestamp(client: MlflowClient, run_id: str) -> None:
    client.log_metric(run_id, "loss", 0.25, timestamp=1_700_000_000_000, step=7)

    [metric] = client.get_metric_history(run_id, "loss")

    assert (metric.key, metric.value, metric.timestamp, metric.step) == (
        "loss",
        0.25,
        1_700_000_000_000,
        7,
    )


def test_log_metric_without_step_uses_step_zero_and_current_time(
    client: MlflowClient, run_id: str
) -> None:
    client.log_metric(run_id, "accuracy", 0.5)

    [metric] = client.get_metric_history(run_id, "accuracy")

    assert metric.step == 0
    assert metric.timestamp > 1_600_000_000_000


def test_run_data_metrics_holds_value_at_highest_step(client: MlflowClient, run_id: str) -> None:
    client.log_metric(run_id, "loss", 0.9, timestamp=3000, step=1)
    client.log_metric(run_id, "loss", 0.1, timestamp=1000, step=5)
    client.log_metric(run_id, "loss", 0.5, timestamp=2000, step=3)

    assert client.get_run(run_id).data.metrics == {"loss": 0.1}


def test_run_data_metrics_breaks_step_tie_by_latest_timestamp(
    client: MlflowClient, run_id: str
) -> None:
    client.log_metric(run_id, "loss", 0.7, timestamp=2000, step=4)
    client.log_metric(run_id, "loss", 0.3, timestamp=1000, step=4)

    assert client.get_run(run_id).data.metrics == {"loss": 0.7}


def test_nan_metric_round_trips_as_nan(client: MlflowClient, run_id: str) -> None:
    client.log_metric(run_id, "unstable", math.nan)

    [metric] = client.get_metric_history(run_id, "unstable")

    assert math.isnan(metric.value)
    assert math.isnan(client.get_run(run_id).data.metrics["unstable"])


def test_positive_infinity_metric_reads_back_as_inf_or_double_max(
    client: MlflowClient, run_id: str
) -> None:
    client.log_metric(run_id, "overflow", math.inf)

    [metric] = client.get_metric_history(run_id, "overflow")

    assert metric.value in (math.inf, DOUBLE_MAX)
    assert client.get_run(run_id).data.metrics["overflow"] in (math.inf, DOUBLE_MAX)


def test_negative_infinity_metric_reads_back_as_minus_inf_or_minus_double_max(
    client: MlflowClient, run_id: str
) -> None:
    client.log_metric(run_id, "underflow", -math.inf)

    [metric] = client.get_metric_history(run_id, "underflow")

    assert metric.value in (-math.inf, -DOUBLE_MAX)


def test_extreme_finite_metric_values_round_trip_exactly(client: MlflowClient, run_id: str) -> None:
    values = [DOUBLE_MAX, -DOUBLE_MAX, 5e-324, -0.0, 1e-300, 123456789.123456789]
    client.log_batch(
        run_id, metrics=[Metric("edge", value, 1000 + i, i) for i, value in enumerate(values)]
    )

    assert [value for _, _, value in _points(client, run_id, "edge")] == values


def test_metric_history_of_missing_key_is_empty(client: MlflowClient, run_id: str) -> None:
    client.log_metric(run_id, "present", 1.0)

    assert client.get_metric_history(run_id, "absent") == []


def test_metric_history_keeps_every_point_logged_at_the_same_step(
    client: MlflowClient, run_id: str
) -> None:
    client.log_metric(run_id, "score", 0.5, timestamp=1000, step=1)
    client.log_metric(run_id, "score", 0.7, timestamp=1000, step=1)
    client.log_metric(run_id, "score", 0.5, timestamp=1001, step=1)

    # Identical (step, timestamp, value) points are not asserted: MLflow's primary key folds them.
    assert _points(client, run_id, "score") == [(1, 1000, 0.5), (1, 1000, 0.7), (1, 1001, 0.5)]


def test_metric_history_is_ordered_by_timestamp_then_step(
    client: MlflowClient, run_id: str
) -> None:
    logged = [(3, 2000, 0.3), (1, 3000, 0.1), (2, 2000, 0.2), (0, 1000, 0.0)]
    client.log_batch(run_id, metrics=[Metric("x", v, ts, step) for step, ts, v in logged])

    assert _points(client, run_id, "x") == [
        (0, 1000, 0.0),
        (2, 2000, 0.2),
        (3, 2000, 0.3),
        (1, 3000, 0.1),
    ]


def test_metric_history_pages_through_30000_points_in_order(
    client: MlflowClient, run_id: str
) -> None:
    start = 1_700_000_000_000
    expected = [(step, start + step, math.sin(step) * 1000.0) for step in range(HISTORY_POINTS)]
    client.log_batch(run_id, metrics=[Metric("wave", v, ts, step) for step, ts, v in expected])

    history = _points(client, run_id, "wave")

    assert len(history) == HISTORY_POINTS
    assert history == expected


def test_log_metric_to_missing_run_raises_resource_does_not_exist(client: MlflowClient) -> None:
    with pytest.raises(MlflowException) as raised:
        client.log_metric("0123456789abcdef0123456789abcdef", "m", 1.0)

    assert raised.value.error_code == "RESOURCE_DOES_NOT_EXIST"
