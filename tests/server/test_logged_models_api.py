"""Logged models (MLflow 3): create, get, finalize, delete, tags, params, search, metrics."""

from __future__ import annotations

import re
from typing import Any

import anyio
import pytest

from .api import AJAX, T0, Api, assert_error, key_values, kv, metric, ok

pytestmark = pytest.mark.anyio

MODELS = "/logged-models"
UNKNOWN_MODEL = "m-" + "0" * 32


async def _get(api: Api, model_id: str) -> dict[str, Any]:
    model: dict[str, Any] = ok(await api.get(f"{MODELS}/{model_id}"))["model"]
    return model


async def _search(api: Api, **body: Any) -> list[dict[str, Any]]:
    body.setdefault("experiment_ids", ["0"])
    models: list[dict[str, Any]] = ok(await api.post(f"{MODELS}/search", body)).get("models", [])
    return models


def _names(models: list[dict[str, Any]]) -> list[str]:
    return [model["info"]["name"] for model in models]


# -- create and get ----------------------------------------------------------------------------


async def test_create_returns_a_pending_model_with_an_m_id(api: Api) -> None:
    info = (await api.create_logged_model(name="clf"))["info"]
    assert re.fullmatch(r"m-[0-9a-f]{32}", info["model_id"])
    assert info["status"] == "LOGGED_MODEL_PENDING"
    assert info["name"] == "clf"


async def test_create_places_artifacts_under_the_experiment(api: Api) -> None:
    experiment_id = await api.create_experiment("models")
    info = (await api.create_logged_model(experiment_id))["info"]
    expected = f"mlflow-artifacts:/{experiment_id}/models/{info['model_id']}/artifacts"
    assert (info["experiment_id"], info["artifact_uri"]) == (experiment_id, expected)


async def test_create_keeps_source_run_model_type_tags_and_params(api: Api) -> None:
    run_id = await api.create_run_id()
    model = await api.create_logged_model(
        source_run_id=run_id,
        model_type="sklearn",
        tags=[kv("stage", "dev")],
        params=[kv("alpha", "0.5")],
    )
    fetched = await _get(api, model["info"]["model_id"])
    assert fetched["info"]["source_run_id"] == run_id
    assert fetched["info"]["model_type"] == "sklearn"
    assert key_values(fetched["info"]["tags"]) == {"stage": "dev"}
    assert key_values(fetched["data"]["params"]) == {"alpha": "0.5"}


async def test_create_without_a_name_generates_one(api: Api) -> None:
    info = (await api.create_logged_model())["info"]
    assert isinstance(info["name"], str) and info["name"]


async def test_create_sets_creation_and_update_timestamps(api: Api) -> None:
    info = (await api.create_logged_model())["info"]
    assert info["creation_timestamp_ms"] > 0
    assert info["last_updated_timestamp_ms"] >= info["creation_timestamp_ms"]


async def test_create_without_an_experiment_names_it(api: Api) -> None:
    response = await api.post(MODELS, {"name": "orphan"})
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "'experiment_id'")


async def test_create_in_an_unknown_experiment_is_resource_does_not_exist(api: Api) -> None:
    response = await api.post(MODELS, {"experiment_id": "9090"})
    assert_error(response, 404, "RESOURCE_DOES_NOT_EXIST")


async def test_create_in_a_deleted_experiment_is_refused(api: Api) -> None:
    experiment_id = await api.create_experiment("closed")
    ok(await api.post("/experiments/delete", {"experiment_id": experiment_id}))
    response = await api.post(MODELS, {"experiment_id": experiment_id})
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "active")


async def test_create_with_an_invalid_param_key_is_refused(api: Api) -> None:
    response = await api.post(MODELS, {"experiment_id": "0", "params": [kv("../p", "v")]})
    assert_error(response, 400, "INVALID_PARAMETER_VALUE")
    assert await _search(api) == []


async def test_get_of_an_unknown_model_is_resource_does_not_exist(api: Api) -> None:
    response = await api.get(f"{MODELS}/{UNKNOWN_MODEL}")
    assert_error(response, 404, "RESOURCE_DOES_NOT_EXIST", UNKNOWN_MODEL)


async def test_get_works_under_the_ajax_api_prefix(api: Api) -> None:
    model_id = (await api.create_logged_model(name="ui"))["info"]["model_id"]
    response = await Api(api.http, AJAX).get(f"{MODELS}/{model_id}")
    assert ok(response)["model"]["info"]["name"] == "ui"


# -- finalize ----------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["LOGGED_MODEL_READY", "LOGGED_MODEL_UPLOAD_FAILED"])
async def test_finalize_sets_the_final_status(api: Api, status: str) -> None:
    model_id = (await api.create_logged_model())["info"]["model_id"]
    response = await api.patch(f"{MODELS}/{model_id}", {"model_id": model_id, "status": status})
    assert ok(response)["model"]["info"]["status"] == status
    assert (await _get(api, model_id))["info"]["status"] == status


@pytest.mark.parametrize("status", ["LOGGED_MODEL_PENDING", "LOGGED_MODEL_STATUS_UNSPECIFIED"])
async def test_finalize_to_a_non_final_status_is_refused(api: Api, status: str) -> None:
    model_id = (await api.create_logged_model())["info"]["model_id"]
    response = await api.patch(f"{MODELS}/{model_id}", {"status": status})
    assert_error(response, 400, "INVALID_PARAMETER_VALUE")


async def test_finalize_with_an_unknown_status_is_refused(api: Api) -> None:
    model_id = (await api.create_logged_model())["info"]["model_id"]
    response = await api.patch(f"{MODELS}/{model_id}", {"status": "DONE"})
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "status")


async def test_finalize_of_an_unknown_model_is_resource_does_not_exist(api: Api) -> None:
    response = await api.patch(f"{MODELS}/{UNKNOWN_MODEL}", {"status": "LOGGED_MODEL_READY"})
    assert_error(response, 404, "RESOURCE_DOES_NOT_EXIST")


# -- delete ------------------------------------------------------------------------------------


async def test_delete_with_a_json_body_hides_the_model(api: Api) -> None:
    model_id = (await api.create_logged_model())["info"]["model_id"]
    ok(await api.delete(f"{MODELS}/{model_id}", {"model_id": model_id}))
    assert_error(await api.get(f"{MODELS}/{model_id}"), 404, "RESOURCE_DOES_NOT_EXIST")


async def test_delete_without_a_body_is_accepted(api: Api) -> None:
    model_id = (await api.create_logged_model())["info"]["model_id"]
    ok(await api.http.delete(f"{api.prefix}{MODELS}/{model_id}"))
    assert_error(await api.get(f"{MODELS}/{model_id}"), 404, "RESOURCE_DOES_NOT_EXIST")


async def test_deleted_model_is_left_out_of_search(api: Api) -> None:
    await api.create_logged_model(name="kept")
    gone = (await api.create_logged_model(name="gone"))["info"]["model_id"]
    ok(await api.delete(f"{MODELS}/{gone}", {"model_id": gone}))
    assert _names(await _search(api)) == ["kept"]


async def test_delete_of_an_unknown_model_is_resource_does_not_exist(api: Api) -> None:
    response = await api.delete(f"{MODELS}/{UNKNOWN_MODEL}", {"model_id": UNKNOWN_MODEL})
    assert_error(response, 404, "RESOURCE_DOES_NOT_EXIST")


# -- tags and params ---------------------------------------------------------------------------


async def test_set_tags_returns_the_model_with_them(api: Api) -> None:
    model_id = (await api.create_logged_model(tags=[kv("a", "1")]))["info"]["model_id"]
    body = {"model_id": model_id, "tags": [kv("a", "2"), kv("b", "3")]}
    model = ok(await api.patch(f"{MODELS}/{model_id}/tags", body))["model"]
    assert key_values(model["info"]["tags"]) == {"a": "2", "b": "3"}


async def test_set_tags_on_an_unknown_model_is_resource_does_not_exist(api: Api) -> None:
    response = await api.patch(f"{MODELS}/{UNKNOWN_MODEL}/tags", {"tags": [kv("a", "1")]})
    assert_error(response, 404, "RESOURCE_DOES_NOT_EXIST")


async def test_set_tags_with_an_invalid_key_is_refused(api: Api) -> None:
    model_id = (await api.create_logged_model())["info"]["model_id"]
    response = await api.patch(f"{MODELS}/{model_id}/tags", {"tags": [kv("a//b", "1")]})
    assert_error(response, 400, "INVALID_PARAMETER_VALUE")


@pytest.mark.parametrize("key", ["plain", "with.dots", "nested/path.key"])
async def test_delete_tag_removes_it(api: Api, key: str) -> None:
    model_id = (await api.create_logged_model(tags=[kv(key, "v"), kv("other", "w")]))["info"][
        "model_id"
    ]
    ok(await api.delete(f"{MODELS}/{model_id}/tags/{key}", {"model_id": model_id}))
    assert key_values((await _get(api, model_id))["info"]["tags"]) == {"other": "w"}


async def test_delete_of_a_missing_tag_is_resource_does_not_exist(api: Api) -> None:
    model_id = (await api.create_logged_model())["info"]["model_id"]
    response = await api.delete(f"{MODELS}/{model_id}/tags/absent")
    assert_error(response, 404, "RESOURCE_DOES_NOT_EXIST", "absent")


async def test_log_params_adds_params(api: Api) -> None:
    model_id = (await api.create_logged_model(params=[kv("a", "1")]))["info"]["model_id"]
    body = {"model_id": model_id, "params": [kv("b", "2")]}
    ok(await api.post(f"{MODELS}/{model_id}/params", body))
    assert key_values((await _get(api, model_id))["data"]["params"]) == {"a": "1", "b": "2"}


async def test_log_params_with_the_same_value_is_accepted(api: Api) -> None:
    model_id = (await api.create_logged_model(params=[kv("a", "1")]))["info"]["model_id"]
    ok(await api.post(f"{MODELS}/{model_id}/params", {"params": [kv("a", "1")]}))
    assert key_values((await _get(api, model_id))["data"]["params"]) == {"a": "1"}


async def test_log_params_changing_a_value_is_refused(api: Api) -> None:
    model_id = (await api.create_logged_model(params=[kv("a", "1")]))["info"]["model_id"]
    response = await api.post(f"{MODELS}/{model_id}/params", {"params": [kv("a", "2")]})
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "Changing param values")
    assert key_values((await _get(api, model_id))["data"]["params"]) == {"a": "1"}


async def test_log_params_on_an_unknown_model_is_resource_does_not_exist(api: Api) -> None:
    response = await api.post(f"{MODELS}/{UNKNOWN_MODEL}/params", {"params": [kv("a", "1")]})
    assert_error(response, 404, "RESOURCE_DOES_NOT_EXIST")


# -- metrics linked to models ------------------------------------------------------------------


async def test_run_metric_with_a_model_id_is_linked_to_the_model(api: Api) -> None:
    run_id = await api.create_run_id()
    model_id = (await api.create_logged_model(source_run_id=run_id))["info"]["model_id"]
    body = {
        "run_id": run_id,
        "key": "acc",
        "value": 0.75,
        "timestamp": T0,
        "step": 2,
        "model_id": model_id,
        "dataset_name": "eval",
        "dataset_digest": "abc123",
    }
    ok(await api.post("/runs/log-metric", body))
    (point,) = (await _get(api, model_id))["data"]["metrics"]
    assert point["key"] == "acc" and point["value"] == 0.75 and point["step"] == 2
    assert (point["run_id"], point["model_id"]) == (run_id, model_id)
    assert (point["dataset_name"], point["dataset_digest"]) == ("eval", "abc123")


async def test_run_metric_for_an_unknown_model_is_resource_does_not_exist(api: Api) -> None:
    run_id = await api.create_run_id()
    body = {"run_id": run_id, "key": "m", "value": 1, "timestamp": T0, "model_id": UNKNOWN_MODEL}
    response = await api.post("/runs/log-metric", body)
    assert_error(response, 404, "RESOURCE_DOES_NOT_EXIST", UNKNOWN_MODEL)


async def test_model_metric_nan_is_a_string(api: Api) -> None:
    run_id = await api.create_run_id()
    model_id = (await api.create_logged_model())["info"]["model_id"]
    await api.log_batch(run_id, metrics=[{**metric("m", "NaN"), "model_id": model_id}])
    assert [p["value"] for p in (await _get(api, model_id))["data"]["metrics"]] == ["NaN"]


# -- search ------------------------------------------------------------------------------------


async def test_search_returns_models_newest_first(api: Api) -> None:
    for name in ("first", "second", "third"):
        await api.create_logged_model(name=name)
        await anyio.sleep(0.005)  # distinct creation times
    assert _names(await _search(api)) == ["third", "second", "first"]


async def test_search_is_scoped_to_the_experiments_asked(api: Api) -> None:
    other = await api.create_experiment("other")
    await api.create_logged_model(name="here")
    await api.create_logged_model(other, name="there")
    assert _names(await _search(api, experiment_ids=[other])) == ["there"]


async def test_search_filters_by_name(api: Api) -> None:
    await api.create_logged_model(name="wanted")
    await api.create_logged_model(name="unwanted")
    assert _names(await _search(api, filter="name = 'wanted'")) == ["wanted"]


async def test_search_filters_by_source_run_id(api: Api) -> None:
    run_id = await api.create_run_id()
    await api.create_logged_model(name="from run", source_run_id=run_id)
    await api.create_logged_model(name="loose")
    found = await _search(api, filter=f"source_run_id = '{run_id}'")
    assert _names(found) == ["from run"]


async def test_search_filters_by_status(api: Api) -> None:
    ready = (await api.create_logged_model(name="ready"))["info"]["model_id"]
    await api.create_logged_model(name="pending")
    ok(await api.patch(f"{MODELS}/{ready}", {"status": "LOGGED_MODEL_READY"}))
    assert _names(await _search(api, filter="status = 'READY'")) == ["ready"]


async def test_search_filters_by_param_and_tag(api: Api) -> None:
    await api.create_logged_model(name="a", params=[kv("k", "1")], tags=[kv("t", "x")])
    await api.create_logged_model(name="b", params=[kv("k", "1")], tags=[kv("t", "y")])
    await api.create_logged_model(name="c", params=[kv("k", "2")], tags=[kv("t", "x")])
    assert _names(await _search(api, filter="params.k = '1' AND tags.t = 'x'")) == ["a"]


async def _model_with_metric(api: Api, run_id: str, name: str, value: float, **extra: Any) -> str:
    model_id: str = (await api.create_logged_model(name=name))["info"]["model_id"]
    await api.log_batch(run_id, metrics=[{**metric("acc", value), "model_id": model_id, **extra}])
    return model_id


async def test_search_filters_by_metric(api: Api) -> None:
    run_id = await api.create_run_id()
    for name, value in (("low", 0.2), ("high", 0.9)):
        await _model_with_metric(api, run_id, name, value)
    assert _names(await _search(api, filter="metrics.acc > 0.5")) == ["high"]


async def test_search_orders_by_metric(api: Api) -> None:
    run_id = await api.create_run_id()
    for name, value in (("mid", 0.5), ("low", 0.2), ("high", 0.9)):
        await _model_with_metric(api, run_id, name, value)
    await api.create_logged_model(name="none")
    order = [{"field_name": "metrics.acc", "ascending": False}]
    assert _names(await _search(api, order_by=order)) == ["high", "mid", "low", "none"]


async def test_search_orders_by_name_ascending(api: Api) -> None:
    for name in ("b", "c", "a"):
        await api.create_logged_model(name=name)
    order = [{"field_name": "name", "ascending": True}]
    assert _names(await _search(api, order_by=order)) == ["a", "b", "c"]


async def test_search_datasets_scope_keeps_models_with_metrics_on_that_dataset(api: Api) -> None:
    run_id = await api.create_run_id()
    await _model_with_metric(api, run_id, "on eval", 0.5, dataset_name="eval", dataset_digest="d1")
    await _model_with_metric(api, run_id, "on train", 0.5, dataset_name="train")
    found = await _search(api, datasets=[{"dataset_name": "eval"}])
    assert _names(found) == ["on eval"]


async def test_search_pages_through_every_model_once(api: Api) -> None:
    for index in range(5):
        await api.create_logged_model(name=f"m{index}")
    names: list[str] = []
    token = None
    for _ in range(10):
        body: dict[str, Any] = {
            "experiment_ids": ["0"],
            "max_results": 2,
            "order_by": [{"field_name": "name", "ascending": True}],
        }
        if token:
            body["page_token"] = token
        payload = ok(await api.post(f"{MODELS}/search", body))
        names += _names(payload["models"])
        token = payload.get("next_page_token")
        if not token:
            break
    assert names == [f"m{index}" for index in range(5)]


async def test_search_max_results_over_the_cap_is_refused(api: Api) -> None:
    response = await api.post(f"{MODELS}/search", {"experiment_ids": ["0"], "max_results": 1001})
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "max_results")


async def test_search_with_an_invalid_filter_is_refused(api: Api) -> None:
    body = {"experiment_ids": ["0"], "filter": "name === 'x'"}
    assert_error(await api.post(f"{MODELS}/search", body), 400, "INVALID_PARAMETER_VALUE", "'==='")


async def test_search_order_by_an_unknown_field_is_refused(api: Api) -> None:
    body = {"experiment_ids": ["0"], "order_by": [{"field_name": "colour"}]}
    response = await api.post(f"{MODELS}/search", body)
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "'colour'")


async def test_search_with_a_garbage_page_token_is_refused(api: Api) -> None:
    body = {"experiment_ids": ["0"], "page_token": "xyz"}
    response = await api.post(f"{MODELS}/search", body)
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "page token")


async def test_search_datasets_scope_without_a_name_is_refused(api: Api) -> None:
    body = {"experiment_ids": ["0"], "datasets": [{"dataset_digest": "d1"}]}
    response = await api.post(f"{MODELS}/search", body)
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "dataset_name")
