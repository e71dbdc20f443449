"""Logging to runs: log-metric, log-parameter, set-tag, delete-tag and log-batch.

Covers MLflow's value encodings (NaN and the infinities as JSON strings, int64 as strings), the
run_id / run_uuid alias, param immutability, the batch limits, and that a refused batch leaves
nothing behind.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from .api import T0, Api, assert_error, kv, metric, metrics_of, ok, params_of, tags_of

pytestmark = pytest.mark.anyio

INT64_MAX = 2**63 - 1


async def _history(api: Api, run_id: str, key: str) -> list[dict[str, Any]]:
    response = await api.get("/metrics/get-history", {"run_id": run_id, "metric_key": key})
    points: list[dict[str, Any]] = ok(response).get("metrics", [])
    return points


async def _nothing_logged(api: Api, run_id: str) -> bool:
    run = await api.get_run(run_id)
    user_tags = {key for key in tags_of(run) if not key.startswith("mlflow.")}
    return not metrics_of(run) and not params_of(run) and not user_tags


# -- log-metric --------------------------------------------------------------------------------


async def test_log_metric_sets_the_latest_value(api: Api) -> None:
    run_id = await api.create_run_id()
    body = {"run_id": run_id, "key": "acc", "value": 0.5, "timestamp": T0, "step": 3}
    ok(await api.post("/runs/log-metric", body))
    latest = metrics_of(await api.get_run(run_id))["acc"]
    assert (latest["value"], latest["timestamp"], latest["step"]) == (0.5, T0, 3)


async def test_log_metric_step_defaults_to_zero(api: Api) -> None:
    run_id = await api.create_run_id()
    await api.log_metric(run_id, "m", 1)
    assert metrics_of(await api.get_run(run_id))["m"]["step"] == 0


async def test_latest_metric_is_the_highest_step_not_the_last_logged(api: Api) -> None:
    run_id = await api.create_run_id()
    for step, value in ((5, 50.0), (2, 20.0)):
        body = {"run_id": run_id, "key": "m", "value": value, "timestamp": T0, "step": step}
        ok(await api.post("/runs/log-metric", body))
    assert metrics_of(await api.get_run(run_id))["m"]["value"] == 50.0


async def test_latest_metric_breaks_a_step_tie_by_timestamp(api: Api) -> None:
    run_id = await api.create_run_id()
    for timestamp, value in ((T0 + 9, 9.0), (T0 + 1, 1.0)):
        body = {"run_id": run_id, "key": "m", "value": value, "timestamp": timestamp, "step": 1}
        ok(await api.post("/runs/log-metric", body))
    assert metrics_of(await api.get_run(run_id))["m"]["value"] == 9.0


async def test_history_keeps_two_values_logged_at_the_same_step(api: Api) -> None:
    run_id = await api.create_run_id()
    await api.log_batch(run_id, metrics=[metric("m", 1.0, step=1), metric("m", 2.0, step=1)])
    assert sorted(point["value"] for point in await _history(api, run_id, "m")) == [1.0, 2.0]


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity"])
async def test_special_metric_value_round_trips_in_get_run(api: Api, value: str) -> None:
    run_id = await api.create_run_id()
    await api.log_metric(run_id, "m", value)
    assert metrics_of(await api.get_run(run_id))["m"]["value"] == value


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity"])
async def test_special_metric_value_round_trips_in_the_history(api: Api, value: str) -> None:
    run_id = await api.create_run_id()
    await api.log_metric(run_id, "m", value)
    assert [point["value"] for point in await _history(api, run_id, "m")] == [value]


async def test_log_metric_accepts_int64_fields_as_strings(api: Api) -> None:
    run_id = await api.create_run_id()
    body = {"run_id": run_id, "key": "m", "value": 1, "timestamp": str(T0), "step": str(INT64_MAX)}
    ok(await api.post("/runs/log-metric", body))
    latest = metrics_of(await api.get_run(run_id))["m"]
    assert (latest["timestamp"], latest["step"]) == (T0, INT64_MAX)


async def test_log_metric_accepts_the_most_negative_step(api: Api) -> None:
    run_id = await api.create_run_id()
    body = {"run_id": run_id, "key": "m", "value": 1, "timestamp": T0, "step": -(2**63)}
    ok(await api.post("/runs/log-metric", body))
    assert [point["step"] for point in await _history(api, run_id, "m")] == [-(2**63)]


@pytest.mark.parametrize("step", [2**63, str(2**63), 2**64, -(2**63) - 1])
async def test_log_metric_step_outside_int64_is_refused(api: Api, step: object) -> None:
    run_id = await api.create_run_id()
    body = {"run_id": run_id, "key": "m", "value": 1, "timestamp": T0, "step": step}
    assert_error(await api.post("/runs/log-metric", body), 400, "INVALID_PARAMETER_VALUE", "step")


async def test_log_metric_with_a_negative_timestamp_is_refused(api: Api) -> None:
    run_id = await api.create_run_id()
    body = {"run_id": run_id, "key": "m", "value": 1, "timestamp": -1}
    response = await api.post("/runs/log-metric", body)
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "timestamp")


@pytest.mark.parametrize("value", ["abc", True, None, [1], {"v": 1}])
async def test_log_metric_with_a_non_numeric_value_is_refused(api: Api, value: object) -> None:
    run_id = await api.create_run_id()
    body = {"run_id": run_id, "key": "m", "value": value, "timestamp": T0}
    assert_error(await api.post("/runs/log-metric", body), 400, "INVALID_PARAMETER_VALUE", "value")


async def test_log_metric_without_a_timestamp_names_it(api: Api) -> None:
    run_id = await api.create_run_id()
    response = await api.post("/runs/log-metric", {"run_id": run_id, "key": "m", "value": 1})
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "'timestamp'")


@pytest.mark.parametrize("key", ["", "a//b", "../x", "/abs", "a/./b", ".", "semi;colon", "k" * 251])
async def test_log_metric_with_an_invalid_key_is_refused(api: Api, key: str) -> None:
    run_id = await api.create_run_id()
    body = {"run_id": run_id, "key": key, "value": 1, "timestamp": T0}
    assert_error(await api.post("/runs/log-metric", body), 400, "INVALID_PARAMETER_VALUE")


@pytest.mark.parametrize("key", ["a/b", "with space", "x:y", "dash-ed.dot_ted", "k" * 250])
async def test_log_metric_accepts_every_allowed_key_character(api: Api, key: str) -> None:
    run_id = await api.create_run_id()
    await api.log_metric(run_id, key, 1)
    assert key in metrics_of(await api.get_run(run_id))


async def test_log_metric_to_an_unknown_run_is_resource_does_not_exist(api: Api) -> None:
    body = {"run_id": "b" * 32, "key": "m", "value": 1, "timestamp": T0}
    assert_error(await api.post("/runs/log-metric", body), 404, "RESOURCE_DOES_NOT_EXIST")


async def test_log_metric_to_a_deleted_run_is_refused(api: Api) -> None:
    run_id = await api.create_run_id()
    ok(await api.post("/runs/delete", {"run_id": run_id}))
    body = {"run_id": run_id, "key": "m", "value": 1, "timestamp": T0}
    assert_error(await api.post("/runs/log-metric", body), 400, "INVALID_PARAMETER_VALUE", "active")


async def test_log_metric_to_a_finished_run_is_allowed(api: Api) -> None:
    run_id = await api.create_run_id()
    ok(await api.post("/runs/update", {"run_id": run_id, "status": "FINISHED"}))
    await api.log_metric(run_id, "m", 1)
    assert "m" in metrics_of(await api.get_run(run_id))


# -- the run id alias --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "fields", "logged"),
    [
        ("/runs/log-metric", {"key": "m", "value": 1, "timestamp": T0}, metrics_of),
        ("/runs/log-parameter", {"key": "m", "value": "v"}, params_of),
        ("/runs/set-tag", {"key": "m", "value": "v"}, tags_of),
    ],
    ids=["log-metric", "log-parameter", "set-tag"],
)
async def test_run_uuid_alone_names_the_run(
    api: Api, path: str, fields: dict[str, Any], logged: Callable[[dict[str, Any]], dict[str, Any]]
) -> None:
    run_id = await api.create_run_id()
    ok(await api.post(path, {"run_uuid": run_id, **fields}))
    assert "m" in logged(await api.get_run(run_id))


async def test_run_id_and_run_uuid_together_are_accepted(api: Api) -> None:
    run_id = await api.create_run_id()
    body = {"run_id": run_id, "run_uuid": run_id, "key": "p", "value": "v"}
    ok(await api.post("/runs/log-parameter", body))
    assert params_of(await api.get_run(run_id)) == {"p": "v"}


async def test_logging_without_a_run_id_names_run_id(api: Api) -> None:
    response = await api.post("/runs/log-parameter", {"key": "p", "value": "v"})
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "'run_id'")


# -- log-parameter -----------------------------------------------------------------------------


async def test_log_parameter_stores_the_value(api: Api) -> None:
    run_id = await api.create_run_id()
    ok(await api.post("/runs/log-parameter", {"run_id": run_id, "key": "lr", "value": "0.1"}))
    assert params_of(await api.get_run(run_id)) == {"lr": "0.1"}


async def test_log_parameter_again_with_the_same_value_is_accepted(api: Api) -> None:
    run_id = await api.create_run_id()
    for _ in range(2):
        ok(await api.post("/runs/log-parameter", {"run_id": run_id, "key": "lr", "value": "0.1"}))
    assert params_of(await api.get_run(run_id)) == {"lr": "0.1"}


async def test_log_parameter_with_a_different_value_is_refused(api: Api) -> None:
    run_id = await api.create_run_id()
    ok(await api.post("/runs/log-parameter", {"run_id": run_id, "key": "lr", "value": "0.1"}))
    response = await api.post(
        "/runs/log-parameter", {"run_id": run_id, "key": "lr", "value": "0.2"}
    )
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "Changing param values is not allowed")


async def test_refused_param_change_keeps_the_first_value(api: Api) -> None:
    run_id = await api.create_run_id()
    ok(await api.post("/runs/log-parameter", {"run_id": run_id, "key": "lr", "value": "0.1"}))
    await api.post("/runs/log-parameter", {"run_id": run_id, "key": "lr", "value": "0.2"})
    assert params_of(await api.get_run(run_id)) == {"lr": "0.1"}


async def test_log_parameter_accepts_an_empty_value(api: Api) -> None:
    run_id = await api.create_run_id()
    ok(await api.post("/runs/log-parameter", {"run_id": run_id, "key": "blank", "value": ""}))
    assert params_of(await api.get_run(run_id)) == {"blank": ""}


async def test_log_parameter_truncates_values_over_6000_characters(api: Api) -> None:
    run_id = await api.create_run_id()
    body = {"run_id": run_id, "key": "long", "value": "x" * 7000}
    ok(await api.post("/runs/log-parameter", body))
    assert params_of(await api.get_run(run_id))["long"] == "x" * 6000


async def test_log_parameter_with_a_numeric_value_is_refused(api: Api) -> None:
    run_id = await api.create_run_id()
    response = await api.post("/runs/log-parameter", {"run_id": run_id, "key": "lr", "value": 0.1})
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "'value'")


async def test_log_parameter_to_a_deleted_run_is_refused(api: Api) -> None:
    run_id = await api.create_run_id()
    ok(await api.post("/runs/delete", {"run_id": run_id}))
    response = await api.post("/runs/log-parameter", {"run_id": run_id, "key": "p", "value": "v"})
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "active")


# -- set-tag and delete-tag --------------------------------------------------------------------


async def test_set_tag_overwrites_the_value(api: Api) -> None:
    run_id = await api.create_run_id()
    for value in ("one", "two"):
        ok(await api.post("/runs/set-tag", {"run_id": run_id, "key": "k", "value": value}))
    assert tags_of(await api.get_run(run_id))["k"] == "two"


async def test_set_tag_truncates_values_over_8000_characters(api: Api) -> None:
    run_id = await api.create_run_id()
    ok(await api.post("/runs/set-tag", {"run_id": run_id, "key": "long", "value": "y" * 9000}))
    assert tags_of(await api.get_run(run_id))["long"] == "y" * 8000


async def test_set_tag_with_an_invalid_key_is_refused(api: Api) -> None:
    run_id = await api.create_run_id()
    response = await api.post("/runs/set-tag", {"run_id": run_id, "key": "a//b", "value": "v"})
    assert_error(response, 400, "INVALID_PARAMETER_VALUE")


async def test_delete_tag_removes_it(api: Api) -> None:
    run_id = await api.create_run_id()
    ok(await api.post("/runs/set-tag", {"run_id": run_id, "key": "k", "value": "v"}))
    ok(await api.post("/runs/delete-tag", {"run_id": run_id, "key": "k"}))
    assert "k" not in tags_of(await api.get_run(run_id))


async def test_delete_of_a_missing_tag_is_resource_does_not_exist(api: Api) -> None:
    run_id = await api.create_run_id()
    response = await api.post("/runs/delete-tag", {"run_id": run_id, "key": "absent"})
    assert_error(response, 404, "RESOURCE_DOES_NOT_EXIST", "absent")


async def test_delete_tag_on_a_deleted_run_is_refused(api: Api) -> None:
    run_id = await api.create_run_id()
    ok(await api.post("/runs/set-tag", {"run_id": run_id, "key": "k", "value": "v"}))
    ok(await api.post("/runs/delete", {"run_id": run_id}))
    response = await api.post("/runs/delete-tag", {"run_id": run_id, "key": "k"})
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "active")


# -- log-batch ---------------------------------------------------------------------------------


async def test_log_batch_stores_metrics_params_and_tags(api: Api) -> None:
    run_id = await api.create_run_id()
    await api.log_batch(
        run_id,
        metrics=[metric("acc", 0.9, step=1), metric("loss", 0.1, step=1)],
        params=[kv("lr", "0.1"), kv("depth", "3")],
        tags=[kv("team", "ml")],
    )
    run = await api.get_run(run_id)
    assert {key: m["value"] for key, m in metrics_of(run).items()} == {"acc": 0.9, "loss": 0.1}
    assert params_of(run) == {"lr": "0.1", "depth": "3"}
    assert tags_of(run)["team"] == "ml"


async def test_empty_log_batch_is_accepted(api: Api) -> None:
    run_id = await api.create_run_id()
    ok(await api.post("/runs/log-batch", {"run_id": run_id}))


async def test_log_batch_keeps_every_point_of_a_metric(api: Api) -> None:
    run_id = await api.create_run_id()
    await api.log_batch(run_id, metrics=[metric("m", float(step), step=step) for step in range(10)])
    assert [point["step"] for point in await _history(api, run_id, "m")] == list(range(10))


@pytest.mark.parametrize(
    ("metrics", "params", "tags"),
    [(1000, 0, 0), (0, 100, 0), (0, 0, 100), (900, 50, 50)],
    ids=["1000-metrics", "100-params", "100-tags", "1000-entities"],
)
async def test_log_batch_at_its_limits_is_accepted(
    api: Api, metrics: int, params: int, tags: int
) -> None:
    run_id = await api.create_run_id()
    await api.log_batch(
        run_id,
        metrics=[metric("m", float(i), step=i) for i in range(metrics)],
        params=[kv(f"p{i}", "v") for i in range(params)],
        tags=[kv(f"t{i}", "v") for i in range(tags)],
    )
    run = await api.get_run(run_id)
    assert len(params_of(run)) == params
    assert len([key for key in tags_of(run) if key.startswith("t")]) == tags


@pytest.mark.parametrize(
    ("metrics", "params", "tags", "named"),
    [
        (1001, 0, 0, "1000 metrics"),
        (0, 101, 0, "100 params"),
        (0, 0, 101, "100 tags"),
        (901, 50, 50, "1000"),
    ],
    ids=["1001-metrics", "101-params", "101-tags", "1001-entities"],
)
async def test_log_batch_over_its_limits_is_refused_and_stores_nothing(
    api: Api, metrics: int, params: int, tags: int, named: str
) -> None:
    run_id = await api.create_run_id()
    body = {
        "run_id": run_id,
        "metrics": [metric("m", float(i), step=i) for i in range(metrics)],
        "params": [kv(f"p{i}", "v") for i in range(params)],
        "tags": [kv(f"t{i}", "v") for i in range(tags)],
    }
    response = await api.post("/runs/log-batch", body)
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", named)
    assert await _nothing_logged(api, run_id)


@pytest.mark.parametrize(
    "bad",
    [
        {"metrics": [metric("ok", 1), metric("bad//key", 2)]},
        {"metrics": [metric("ok", 1), metric("neg", 2, timestamp=-1)]},
        {"params": [kv("ok", "v"), kv("../bad", "v")]},
        {"tags": [kv("ok", "v"), kv("bad key;", "v")]},
    ],
    ids=["metric-key", "metric-timestamp", "param-key", "tag-key"],
)
async def test_log_batch_with_one_bad_item_stores_nothing(api: Api, bad: dict[str, Any]) -> None:
    run_id = await api.create_run_id()
    body = {
        "run_id": run_id,
        "metrics": [metric("good", 1.0)],
        "params": [kv("good", "v")],
        "tags": [kv("good", "v")],
    }
    for field, items in bad.items():
        body[field] = body[field] + items
    assert_error(await api.post("/runs/log-batch", body), 400, "INVALID_PARAMETER_VALUE")
    assert await _nothing_logged(api, run_id)


async def test_log_batch_with_a_wrongly_typed_item_stores_nothing(api: Api) -> None:
    run_id = await api.create_run_id()
    body = {
        "run_id": run_id,
        "metrics": [metric("good", 1.0), metric("bad", "not a number")],
        "params": [kv("good", "v")],
    }
    response = await api.post("/runs/log-batch", body)
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "metrics[1].value")
    assert await _nothing_logged(api, run_id)


async def test_log_batch_changing_a_logged_param_stores_nothing_else(api: Api) -> None:
    run_id = await api.create_run_id()
    await api.log_batch(run_id, params=[kv("fixed", "1")])
    body = {
        "run_id": run_id,
        "metrics": [metric("m", 1.0)],
        "params": [kv("new", "v"), kv("fixed", "2")],
        "tags": [kv("t", "v")],
    }
    response = await api.post("/runs/log-batch", body)
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "Changing param values is not allowed")
    run = await api.get_run(run_id)
    assert params_of(run) == {"fixed": "1"}
    assert metrics_of(run) == {}
    assert "t" not in tags_of(run)


async def test_log_batch_failing_in_the_database_stores_nothing(api: Api) -> None:
    # The metric for an unknown logged model is only found out after the rows before it are
    # written, so this checks the transaction, not the up-front validation.
    run_id = await api.create_run_id()
    orphan = {**metric("m2", 2.0), "model_id": "m-" + "0" * 32}
    body = {
        "run_id": run_id,
        "metrics": [metric("m1", 1.0), orphan],
        "params": [kv("p", "v")],
        "tags": [kv("t", "v")],
    }
    response = await api.post("/runs/log-batch", body)
    assert 400 <= response.status_code < 500, response.text
    assert await _nothing_logged(api, run_id)


async def test_log_batch_with_a_repeated_param_key_is_refused(api: Api) -> None:
    run_id = await api.create_run_id()
    body = {"run_id": run_id, "params": [kv("p", "1"), kv("p", "1")]}
    response = await api.post("/runs/log-batch", body)
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "'p'")
    assert await _nothing_logged(api, run_id)


async def test_log_batch_repeating_a_logged_param_with_its_value_is_accepted(api: Api) -> None:
    run_id = await api.create_run_id()
    await api.log_batch(run_id, params=[kv("p", "1")])
    await api.log_batch(run_id, params=[kv("p", "1"), kv("q", "2")])
    assert params_of(await api.get_run(run_id)) == {"p": "1", "q": "2"}


async def test_log_batch_retried_does_not_duplicate_points(api: Api) -> None:
    run_id = await api.create_run_id()
    batch = [metric("m", 1.0, step=1), metric("m", 2.0, step=2)]
    for _ in range(2):
        await api.log_batch(run_id, metrics=batch)
    assert len(await _history(api, run_id, "m")) == 2


async def test_log_batch_to_an_unknown_run_is_resource_does_not_exist(api: Api) -> None:
    body = {"run_id": "c" * 32, "metrics": [metric("m", 1.0)]}
    assert_error(await api.post("/runs/log-batch", body), 404, "RESOURCE_DOES_NOT_EXIST")


async def test_log_batch_to_a_deleted_run_is_refused(api: Api) -> None:
    run_id = await api.create_run_id()
    ok(await api.post("/runs/delete", {"run_id": run_id}))
    body = {"run_id": run_id, "params": [kv("p", "v")]}
    assert_error(await api.post("/runs/log-batch", body), 400, "INVALID_PARAMETER_VALUE", "active")


async def test_log_batch_param_without_a_value_names_it(api: Api) -> None:
    run_id = await api.create_run_id()
    body = {"run_id": run_id, "params": [{"key": "p"}]}
    response = await api.post("/runs/log-batch", body)
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "params[0].value")
