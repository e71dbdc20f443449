"""Metric histories: get-history with paging, and chart-sized get-history-bulk-interval."""

from __future__ import annotations

from typing import Any

import pytest

from .api import T0, Api, assert_error, metric, ok

pytestmark = pytest.mark.anyio

HISTORY = "/metrics/get-history"
BULK = "/metrics/get-history-bulk-interval"
SPIKE_STEP, SPIKE = 500, 1000.0
DIP_STEP, DIP = 700, -1000.0


async def _log_series(api: Api, run_id: str, key: str, steps: range) -> None:
    """A smooth series over ``steps``, with one spike and one dip if they fall inside it."""
    points = []
    for step in steps:
        value = SPIKE if step == SPIKE_STEP else DIP if step == DIP_STEP else step / 1000
        points.append(metric(key, value, step=step, timestamp=T0 + step))
    for start in range(0, len(points), 1000):
        await api.log_batch(run_id, metrics=points[start : start + 1000])


async def _bulk(api: Api, params: Any) -> list[dict[str, Any]]:
    points: list[dict[str, Any]] = ok(await api.get(BULK, params)).get("metrics", [])
    return points


# -- get-history -------------------------------------------------------------------------------


async def test_history_returns_every_point_oldest_first(api: Api) -> None:
    run_id = await api.create_run_id()
    await api.log_batch(
        run_id,
        metrics=[metric("m", float(i), step=i, timestamp=T0 + 10 - i) for i in range(5)],
    )
    points = ok(await api.get(HISTORY, {"run_id": run_id, "metric_key": "m"}))["metrics"]
    assert [point["timestamp"] for point in points] == [T0 + 6, T0 + 7, T0 + 8, T0 + 9, T0 + 10]


async def test_history_points_carry_key_value_timestamp_and_step(api: Api) -> None:
    run_id = await api.create_run_id()
    await api.log_batch(run_id, metrics=[metric("m", 0.25, step=7, timestamp=T0 + 1)])
    points = ok(await api.get(HISTORY, {"run_id": run_id, "metric_key": "m"}))["metrics"]
    assert points == [{"key": "m", "value": 0.25, "timestamp": T0 + 1, "step": 7}]


async def test_history_accepts_run_uuid(api: Api) -> None:
    run_id = await api.create_run_id()
    await api.log_batch(run_id, metrics=[metric("m", 1.0)])
    points = ok(await api.get(HISTORY, {"run_uuid": run_id, "metric_key": "m"}))["metrics"]
    assert len(points) == 1


async def test_history_of_a_metric_never_logged_is_empty(api: Api) -> None:
    run_id = await api.create_run_id()
    payload = ok(await api.get(HISTORY, {"run_id": run_id, "metric_key": "nothing"}))
    assert payload.get("metrics", []) == []
    assert "next_page_token" not in payload


async def test_history_only_returns_the_asked_key(api: Api) -> None:
    run_id = await api.create_run_id()
    await api.log_batch(run_id, metrics=[metric("a", 1.0), metric("b", 2.0)])
    points = ok(await api.get(HISTORY, {"run_id": run_id, "metric_key": "a"}))["metrics"]
    assert {point["key"] for point in points} == {"a"}


async def test_history_pages_return_every_point_once_in_order(api: Api) -> None:
    run_id = await api.create_run_id()
    await api.log_batch(
        run_id, metrics=[metric("m", float(i), step=i, timestamp=T0 + i) for i in range(25)]
    )
    steps: list[int] = []
    sizes: list[int] = []
    token = None
    for _ in range(10):
        params = {"run_id": run_id, "metric_key": "m", "max_results": 10}
        if token:
            params["page_token"] = token
        payload = ok(await api.get(HISTORY, params))
        sizes.append(len(payload["metrics"]))
        steps += [point["step"] for point in payload["metrics"]]
        token = payload.get("next_page_token")
        if not token:
            break
    assert sizes == [10, 10, 5]
    assert steps == list(range(25))


async def test_history_pages_through_points_that_share_timestamp_and_step(api: Api) -> None:
    # Only the value (and NaN-ness) tells these points apart, so the page position must too.
    run_id = await api.create_run_id()
    values: list[Any] = [3.0, 1.0, "NaN", 2.0, -1.0]
    await api.log_batch(run_id, metrics=[metric("m", value, step=4) for value in values])
    seen: list[Any] = []
    token = None
    for _ in range(10):
        params = {"run_id": run_id, "metric_key": "m", "max_results": 1}
        if token:
            params["page_token"] = token
        payload = ok(await api.get(HISTORY, params))
        seen += [point["value"] for point in payload["metrics"]]
        token = payload.get("next_page_token")
        if not token:
            break
    assert sorted(seen, key=str) == sorted(values, key=str)


async def test_history_page_that_ends_exactly_has_no_token(api: Api) -> None:
    run_id = await api.create_run_id()
    await api.log_batch(run_id, metrics=[metric("m", float(i), step=i) for i in range(4)])
    payload = ok(await api.get(HISTORY, {"run_id": run_id, "metric_key": "m", "max_results": 4}))
    assert len(payload["metrics"]) == 4
    assert "next_page_token" not in payload


async def test_history_token_of_another_metric_is_refused(api: Api) -> None:
    run_id = await api.create_run_id()
    await api.log_batch(
        run_id, metrics=[metric(key, 1.0, step=i) for key in ("a", "b") for i in range(3)]
    )
    first = ok(await api.get(HISTORY, {"run_id": run_id, "metric_key": "a", "max_results": 1}))
    params = {"run_id": run_id, "metric_key": "b", "page_token": first["next_page_token"]}
    assert_error(await api.get(HISTORY, params), 400, "INVALID_PARAMETER_VALUE", "page token")


@pytest.mark.parametrize("token", ["garbage", "e30", "!!!", "eyJxIjogMX0"])
async def test_history_with_a_garbage_page_token_is_refused(api: Api, token: str) -> None:
    run_id = await api.create_run_id()
    params = {"run_id": run_id, "metric_key": "m", "page_token": token}
    assert_error(await api.get(HISTORY, params), 400, "INVALID_PARAMETER_VALUE", "page token")


@pytest.mark.parametrize("max_results", [0, -1, 25001])
async def test_history_max_results_out_of_range_is_refused(api: Api, max_results: int) -> None:
    run_id = await api.create_run_id()
    params = {"run_id": run_id, "metric_key": "m", "max_results": max_results}
    assert_error(await api.get(HISTORY, params), 400, "INVALID_PARAMETER_VALUE", "max_results")


async def test_history_of_an_unknown_run_is_resource_does_not_exist(api: Api) -> None:
    response = await api.get(HISTORY, {"run_id": "d" * 32, "metric_key": "m"})
    assert_error(response, 404, "RESOURCE_DOES_NOT_EXIST")


async def test_history_without_a_metric_key_names_it(api: Api) -> None:
    run_id = await api.create_run_id()
    response = await api.get(HISTORY, {"run_id": run_id})
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "'metric_key'")


async def test_history_of_a_deleted_run_is_still_readable(api: Api) -> None:
    run_id = await api.create_run_id()
    await api.log_batch(run_id, metrics=[metric("m", 1.0)])
    ok(await api.post("/runs/delete", {"run_id": run_id}))
    assert len(ok(await api.get(HISTORY, {"run_id": run_id, "metric_key": "m"}))["metrics"]) == 1


# -- get-history-bulk-interval -----------------------------------------------------------------


async def test_bulk_interval_returns_a_short_history_whole(api: Api) -> None:
    run_id = await api.create_run_id()
    await _log_series(api, run_id, "m", range(10))
    points = await _bulk(api, {"run_ids": run_id, "metric_key": "m", "max_results": 50})
    assert [point["step"] for point in points] == list(range(10))


async def test_bulk_interval_points_carry_their_run_id(api: Api) -> None:
    run_id = await api.create_run_id()
    await _log_series(api, run_id, "m", range(3))
    points = await _bulk(api, {"run_ids": run_id, "metric_key": "m"})
    assert {point["run_id"] for point in points} == {run_id}


@pytest.mark.parametrize("max_results", [2, 3, 10, 51, 320])
async def test_bulk_interval_never_exceeds_max_results(api: Api, max_results: int) -> None:
    run_id = await api.create_run_id()
    await _log_series(api, run_id, "m", range(1000))
    points = await _bulk(api, {"run_ids": run_id, "metric_key": "m", "max_results": max_results})
    assert 0 < len(points) <= max_results


@pytest.mark.parametrize("max_results", [2, 3, 10, 51])
async def test_bulk_interval_keeps_the_first_and_last_points(api: Api, max_results: int) -> None:
    run_id = await api.create_run_id()
    await _log_series(api, run_id, "m", range(1000))
    points = await _bulk(api, {"run_ids": run_id, "metric_key": "m", "max_results": max_results})
    steps = [point["step"] for point in points]
    assert (steps[0], steps[-1]) == (0, 999)


async def test_bulk_interval_points_are_in_step_order(api: Api) -> None:
    run_id = await api.create_run_id()
    await _log_series(api, run_id, "m", range(1000))
    points = await _bulk(api, {"run_ids": run_id, "metric_key": "m", "max_results": 40})
    steps = [point["step"] for point in points]
    assert steps == sorted(steps)


async def test_bulk_interval_keeps_spikes_and_dips(api: Api) -> None:
    run_id = await api.create_run_id()
    await _log_series(api, run_id, "m", range(1000))
    points = await _bulk(api, {"run_ids": run_id, "metric_key": "m", "max_results": 50})
    by_step = {point["step"]: point["value"] for point in points}
    assert by_step.get(SPIKE_STEP) == SPIKE
    assert by_step.get(DIP_STEP) == DIP


async def test_bulk_interval_default_size_is_at_most_320_points(api: Api) -> None:
    run_id = await api.create_run_id()
    await _log_series(api, run_id, "m", range(1000))
    assert len(await _bulk(api, {"run_ids": run_id, "metric_key": "m"})) <= 320


async def test_bulk_interval_samples_each_run_separately(api: Api) -> None:
    first, second = await api.create_run_id(), await api.create_run_id()
    for run_id in (first, second):
        await _log_series(api, run_id, "m", range(1000))
    points = await _bulk(
        api, [("run_ids", first), ("run_ids", second), ("metric_key", "m"), ("max_results", 30)]
    )
    per_run = {run_id: [p for p in points if p["run_id"] == run_id] for run_id in (first, second)}
    assert all(0 < len(run_points) <= 30 for run_points in per_run.values())
    assert len(points) == sum(len(run_points) for run_points in per_run.values())


async def test_bulk_interval_zooms_into_a_step_range(api: Api) -> None:
    run_id = await api.create_run_id()
    await _log_series(api, run_id, "m", range(1000))
    params = {"run_ids": run_id, "metric_key": "m", "max_results": 20}
    points = await _bulk(api, {**params, "start_step": 200, "end_step": 300})
    steps = [point["step"] for point in points]
    assert len(steps) <= 20
    assert all(200 <= step <= 300 for step in steps)
    assert (steps[0], steps[-1]) == (200, 300)


async def test_bulk_interval_zoom_returns_a_small_range_whole(api: Api) -> None:
    run_id = await api.create_run_id()
    await _log_series(api, run_id, "m", range(1000))
    params = {"run_ids": run_id, "metric_key": "m", "start_step": 10, "end_step": 14}
    assert [point["step"] for point in await _bulk(api, params)] == [10, 11, 12, 13, 14]


async def test_bulk_interval_special_values_are_strings(api: Api) -> None:
    run_id = await api.create_run_id()
    await api.log_batch(
        run_id, metrics=[metric("m", "NaN", step=0), metric("m", "Infinity", step=1)]
    )
    points = await _bulk(api, {"run_ids": run_id, "metric_key": "m"})
    assert [point["value"] for point in points] == ["NaN", "Infinity"]


@pytest.mark.parametrize(
    "bounds", [{"start_step": 5}, {"end_step": 5}], ids=["only-start", "only-end"]
)
async def test_bulk_interval_with_half_a_step_range_is_refused(
    api: Api, bounds: dict[str, int]
) -> None:
    run_id = await api.create_run_id()
    response = await api.get(BULK, {"run_ids": run_id, "metric_key": "m", **bounds})
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "start_step")


async def test_bulk_interval_with_start_after_end_is_refused(api: Api) -> None:
    run_id = await api.create_run_id()
    params = {"run_ids": run_id, "metric_key": "m", "start_step": 9, "end_step": 3}
    assert_error(await api.get(BULK, params), 400, "INVALID_PARAMETER_VALUE", "start_step")


async def test_bulk_interval_without_run_ids_is_refused(api: Api) -> None:
    response = await api.get(BULK, {"metric_key": "m"})
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "run_ids")


async def test_bulk_interval_with_more_than_100_runs_is_refused(api: Api) -> None:
    params = [("run_ids", f"{i:032x}") for i in range(101)] + [("metric_key", "m")]
    assert_error(await api.get(BULK, params), 400, "INVALID_PARAMETER_VALUE", "100")


@pytest.mark.parametrize("max_results", [0, -1, 5001])
async def test_bulk_interval_max_results_out_of_range_is_refused(
    api: Api, max_results: int
) -> None:
    run_id = await api.create_run_id()
    params = {"run_ids": run_id, "metric_key": "m", "max_results": max_results}
    assert_error(await api.get(BULK, params), 400, "INVALID_PARAMETER_VALUE", "max_results")


async def test_bulk_interval_accepts_mlflows_largest_max_results(api: Api) -> None:
    run_id = await api.create_run_id()
    await _log_series(api, run_id, "m", range(3))
    params = {"run_ids": run_id, "metric_key": "m", "max_results": 2500}
    assert len(await _bulk(api, params)) == 3


async def test_bulk_interval_of_an_unknown_run_is_resource_does_not_exist(api: Api) -> None:
    response = await api.get(BULK, {"run_ids": "e" * 32, "metric_key": "m"})
    assert_error(response, 404, "RESOURCE_DOES_NOT_EXIST")


async def test_bulk_interval_with_a_malformed_run_id_is_refused(api: Api) -> None:
    response = await api.get(BULK, {"run_ids": "../x", "metric_key": "m"})
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "run_ids")


async def test_bulk_interval_works_under_the_ajax_api_prefix(api: Api) -> None:
    run_id = await api.create_run_id()
    await _log_series(api, run_id, "m", range(3))
    response = await api.http.get(
        "/ajax-api/2.0/mlflow" + BULK, params={"run_ids": run_id, "metric_key": "m"}
    )
    assert len(ok(response)["metrics"]) == 3
