"""``log_batch`` at the server's limits, past them (raw HTTP) and split by the client."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from mlflow import MlflowClient
from mlflow.entities import Metric, Param, RunTag
from mlflow.exceptions import MlflowException

from .conftest import RestApi

pytestmark = pytest.mark.compat

MAX_METRICS = 1000
MAX_PARAMS = 100
MAX_TAGS = 100
MAX_ENTITIES = 1000


@pytest.fixture
def run_id(client: MlflowClient, experiment_id: str) -> str:
    return client.create_run(experiment_id).info.run_id


def _metrics(count: int, key_prefix: str = "m") -> list[Metric]:
    return [Metric(f"{key_prefix}{i}", float(i), 1_700_000_000_000 + i, i) for i in range(count)]


def _params(count: int) -> list[Param]:
    return [Param(f"p{i}", f"value-{i}") for i in range(count)]


def _tags(count: int) -> list[RunTag]:
    return [RunTag(f"t{i}", f"tag-{i}") for i in range(count)]


def _wire_metrics(count: int) -> list[dict[str, object]]:
    return [{"key": "m", "value": float(i), "timestamp": 1000 + i, "step": i} for i in range(count)]


def _wire_params(count: int) -> list[dict[str, str]]:
    return [{"key": f"p{i}", "value": "v"} for i in range(count)]


def test_log_batch_stores_1000_metrics(client: MlflowClient, run_id: str) -> None:
    client.log_batch(run_id, metrics=_metrics(MAX_METRICS))

    metrics = client.get_run(run_id).data.metrics
    assert len(metrics) == MAX_METRICS
    assert metrics["m999"] == 999.0


def test_log_batch_stores_100_params_and_100_tags(client: MlflowClient, run_id: str) -> None:
    client.log_batch(run_id, params=_params(MAX_PARAMS), tags=_tags(MAX_TAGS))

    data = client.get_run(run_id).data
    assert data.params == {f"p{i}": f"value-{i}" for i in range(MAX_PARAMS)}
    assert {key: data.tags[key] for key in data.tags if key.startswith("t")} == {
        f"t{i}": f"tag-{i}" for i in range(MAX_TAGS)
    }


def test_log_batch_stores_1000_mixed_entities(client: MlflowClient, run_id: str) -> None:
    metric_count = MAX_ENTITIES - MAX_PARAMS - MAX_TAGS

    client.log_batch(
        run_id, metrics=_metrics(metric_count), params=_params(MAX_PARAMS), tags=_tags(MAX_TAGS)
    )

    data = client.get_run(run_id).data
    assert len(data.metrics) == metric_count
    assert len(data.params) == MAX_PARAMS
    assert sum(key.startswith("t") for key in data.tags) == MAX_TAGS


def test_client_splits_batch_larger_than_limits(client: MlflowClient, run_id: str) -> None:
    # 2,500 metrics + 250 params + 250 tags: the client sends several requests within the limits.
    client.log_batch(run_id, metrics=_metrics(2500), params=_params(250), tags=_tags(250))

    data = client.get_run(run_id).data
    assert len(data.metrics) == 2500
    assert len(data.params) == 250
    assert sum(key.startswith("t") for key in data.tags) == 250


def test_log_batch_with_changed_param_raises_and_stores_nothing(
    client: MlflowClient, run_id: str
) -> None:
    client.log_param(run_id, "fixed", "1")

    with pytest.raises(MlflowException) as raised:
        client.log_batch(
            run_id,
            metrics=[Metric("side_effect", 1.0, 1000, 0)],
            params=[Param("fixed", "2")],
            tags=[RunTag("side_effect", "x")],
        )

    assert raised.value.error_code == "INVALID_PARAMETER_VALUE"
    data = client.get_run(run_id).data
    assert data.params == {"fixed": "1"}
    assert "side_effect" not in data.metrics
    assert "side_effect" not in data.tags


def test_log_batch_with_duplicate_param_keys_raises_invalid_parameter_value(
    client: MlflowClient, run_id: str
) -> None:
    with pytest.raises(MlflowException) as raised:
        client.log_batch(run_id, params=[Param("twice", "1"), Param("twice", "1")])

    assert raised.value.error_code == "INVALID_PARAMETER_VALUE"


def test_log_batch_truncates_long_param_and_tag_values(client: MlflowClient, run_id: str) -> None:
    client.log_batch(run_id, params=[Param("long", "p" * 7000)], tags=[RunTag("long", "t" * 9000)])

    data = client.get_run(run_id).data
    assert data.params["long"] == "p" * 6000
    assert data.tags["long"] == "t" * 8000


def test_concurrent_batches_to_one_run_all_land(
    client: MlflowClient, tracking_server: str, run_id: str
) -> None:
    writers, batches, points = 8, 5, 100

    def write(writer: int) -> None:
        own_client = MlflowClient(tracking_uri=tracking_server)
        for batch in range(batches):
            steps = range(batch * points, (batch + 1) * points)
            own_client.log_batch(
                run_id, metrics=[Metric(f"w{writer}", float(s), 1000 + s, s) for s in steps]
            )

    with ThreadPoolExecutor(max_workers=writers) as pool:
        list(pool.map(write, range(writers)))

    for writer in range(writers):
        history = client.get_metric_history(run_id, f"w{writer}")
        assert [m.step for m in history] == list(range(batches * points))
    assert client.get_run(run_id).data.metrics == {
        f"w{writer}": float(batches * points - 1) for writer in range(writers)
    }


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"metrics": _wire_metrics(MAX_METRICS + 1)}, id="1001-metrics"),
        pytest.param({"params": _wire_params(MAX_PARAMS + 1)}, id="101-params"),
        pytest.param(
            {"tags": [{"key": f"t{i}", "value": "v"} for i in range(MAX_TAGS + 1)]}, id="101-tags"
        ),
        pytest.param(
            {"metrics": _wire_metrics(901), "params": _wire_params(100)}, id="1001-entities"
        ),
    ],
)
def test_server_rejects_log_batch_over_limits(
    client: MlflowClient, rest: RestApi, run_id: str, body: dict[str, object]
) -> None:
    # The client never sends such a request; a raw POST checks that the server enforces limits.
    response = rest.post("runs/log-batch", {"run_id": run_id, **body})

    assert response.status_code == 400
    assert response.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    data = client.get_run(run_id).data
    assert (data.metrics, data.params) == ({}, {})
