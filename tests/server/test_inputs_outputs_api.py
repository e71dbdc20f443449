"""What runs used and produced: log-inputs (datasets, models) and runs/outputs."""

from __future__ import annotations

from typing import Any

import pytest

from .api import Api, assert_error, key_values, kv, ok

pytestmark = pytest.mark.anyio

CONTEXT_TAG = "mlflow.data.context"


def _dataset(name: str = "train", digest: str = "abc123", **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "digest": digest,
        "source_type": "local",
        "source": '{"uri": "x"}',
    } | extra


def _input(dataset: dict[str, Any], context: str | None = "training") -> dict[str, Any]:
    tags = [kv(CONTEXT_TAG, context)] if context else []
    return {"tags": tags, "dataset": dataset}


async def _dataset_inputs(api: Api, run_id: str) -> list[dict[str, Any]]:
    inputs: list[dict[str, Any]] = (
        (await api.get_run(run_id)).get("inputs", {}).get("dataset_inputs", [])
    )
    return inputs


async def _model_id(api: Api) -> str:
    model_id: str = (await api.create_logged_model())["info"]["model_id"]
    return model_id


# -- datasets ----------------------------------------------------------------------------------


async def test_log_inputs_records_the_dataset(api: Api) -> None:
    run_id = await api.create_run_id()
    dataset = _dataset(schema='{"cols": ["a"]}', profile='{"rows": 3}')
    ok(await api.post("/runs/log-inputs", {"run_id": run_id, "datasets": [_input(dataset)]}))
    (recorded,) = await _dataset_inputs(api, run_id)
    assert recorded["dataset"] == dataset


async def test_log_inputs_records_the_input_tags(api: Api) -> None:
    run_id = await api.create_run_id()
    body = {"run_id": run_id, "datasets": [_input(_dataset(), context="eval")]}
    ok(await api.post("/runs/log-inputs", body))
    (recorded,) = await _dataset_inputs(api, run_id)
    assert key_values(recorded["tags"]) == {CONTEXT_TAG: "eval"}


async def test_log_inputs_records_several_datasets(api: Api) -> None:
    run_id = await api.create_run_id()
    body = {
        "run_id": run_id,
        "datasets": [_input(_dataset("a", "d1")), _input(_dataset("b", "d2"))],
    }
    ok(await api.post("/runs/log-inputs", body))
    names = sorted(item["dataset"]["name"] for item in await _dataset_inputs(api, run_id))
    assert names == ["a", "b"]


async def test_logging_the_same_dataset_twice_records_it_once(api: Api) -> None:
    run_id = await api.create_run_id()
    for _ in range(2):
        ok(await api.post("/runs/log-inputs", {"run_id": run_id, "datasets": [_input(_dataset())]}))
    assert len(await _dataset_inputs(api, run_id)) == 1


async def test_same_dataset_is_shared_by_two_runs(api: Api) -> None:
    runs = [await api.create_run_id(), await api.create_run_id()]
    for run_id in runs:
        ok(await api.post("/runs/log-inputs", {"run_id": run_id, "datasets": [_input(_dataset())]}))
    for run_id in runs:
        assert [item["dataset"]["name"] for item in await _dataset_inputs(api, run_id)] == ["train"]


async def test_log_inputs_with_a_digest_over_36_characters_is_refused(api: Api) -> None:
    run_id = await api.create_run_id()
    body = {"run_id": run_id, "datasets": [_input(_dataset(digest="d" * 37))]}
    response = await api.post("/runs/log-inputs", body)
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "digest")
    assert await _dataset_inputs(api, run_id) == []


async def test_log_inputs_with_a_name_over_500_characters_is_refused(api: Api) -> None:
    run_id = await api.create_run_id()
    body = {"run_id": run_id, "datasets": [_input(_dataset(name="n" * 501))]}
    assert_error(await api.post("/runs/log-inputs", body), 400, "INVALID_PARAMETER_VALUE", "name")


async def test_log_inputs_with_an_input_tag_value_over_500_characters_is_refused(
    api: Api,
) -> None:
    run_id = await api.create_run_id()
    body = {"run_id": run_id, "datasets": [_input(_dataset(), context="c" * 501)]}
    assert_error(await api.post("/runs/log-inputs", body), 400, "INVALID_PARAMETER_VALUE")


async def test_log_inputs_without_a_dataset_source_names_it(api: Api) -> None:
    run_id = await api.create_run_id()
    dataset = {"name": "d", "digest": "x", "source_type": "local"}
    body = {"run_id": run_id, "datasets": [{"dataset": dataset}]}
    response = await api.post("/runs/log-inputs", body)
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "source")


async def test_log_inputs_with_one_bad_dataset_records_none(api: Api) -> None:
    run_id = await api.create_run_id()
    good, bad = _input(_dataset("good", "g")), _input(_dataset("bad", "b" * 40))
    response = await api.post("/runs/log-inputs", {"run_id": run_id, "datasets": [good, bad]})
    assert_error(response, 400, "INVALID_PARAMETER_VALUE")
    assert await _dataset_inputs(api, run_id) == []


async def test_log_inputs_to_a_deleted_run_is_refused(api: Api) -> None:
    run_id = await api.create_run_id()
    ok(await api.post("/runs/delete", {"run_id": run_id}))
    body = {"run_id": run_id, "datasets": [_input(_dataset())]}
    assert_error(await api.post("/runs/log-inputs", body), 400, "INVALID_PARAMETER_VALUE", "active")


async def test_log_inputs_to_an_unknown_run_is_resource_does_not_exist(api: Api) -> None:
    body = {"run_id": "1" * 32, "datasets": [_input(_dataset())]}
    assert_error(await api.post("/runs/log-inputs", body), 404, "RESOURCE_DOES_NOT_EXIST")


# -- model inputs ------------------------------------------------------------------------------


async def test_log_inputs_records_model_inputs(api: Api) -> None:
    run_id = await api.create_run_id()
    model_id = await _model_id(api)
    ok(await api.post("/runs/log-inputs", {"run_id": run_id, "models": [{"model_id": model_id}]}))
    inputs = (await api.get_run(run_id))["inputs"]
    assert inputs["model_inputs"] == [{"model_id": model_id}]


async def test_log_inputs_with_a_malformed_model_id_is_refused(api: Api) -> None:
    run_id = await api.create_run_id()
    body = {"run_id": run_id, "models": [{"model_id": "not-a-model"}]}
    assert_error(await api.post("/runs/log-inputs", body), 400, "INVALID_PARAMETER_VALUE")


# -- outputs -----------------------------------------------------------------------------------


async def test_outputs_records_the_model_and_step(api: Api) -> None:
    run_id = await api.create_run_id()
    model_id = await _model_id(api)
    body = {"run_id": run_id, "models": [{"model_id": model_id, "step": 7}]}
    ok(await api.post("/runs/outputs", body))
    outputs = (await api.get_run(run_id))["outputs"]
    assert outputs["model_outputs"] == [{"model_id": model_id, "step": 7}]


async def test_outputs_step_defaults_to_zero(api: Api) -> None:
    run_id = await api.create_run_id()
    model_id = await _model_id(api)
    ok(await api.post("/runs/outputs", {"run_id": run_id, "models": [{"model_id": model_id}]}))
    assert (await api.get_run(run_id))["outputs"]["model_outputs"][0]["step"] == 0


async def test_outputs_accepts_run_uuid(api: Api) -> None:
    run_id = await api.create_run_id()
    model_id = await _model_id(api)
    ok(await api.post("/runs/outputs", {"run_uuid": run_id, "models": [{"model_id": model_id}]}))
    assert len((await api.get_run(run_id))["outputs"]["model_outputs"]) == 1


async def test_run_without_outputs_has_no_model_outputs(api: Api) -> None:
    run = await api.get_run(await api.create_run_id())
    assert run.get("outputs", {}).get("model_outputs", []) == []


async def test_outputs_with_a_malformed_model_id_is_refused(api: Api) -> None:
    run_id = await api.create_run_id()
    body = {"run_id": run_id, "models": [{"model_id": "m-xyz"}]}
    assert_error(await api.post("/runs/outputs", body), 400, "INVALID_PARAMETER_VALUE", "model_id")


async def test_outputs_to_a_deleted_run_is_refused(api: Api) -> None:
    run_id = await api.create_run_id()
    model_id = await _model_id(api)
    ok(await api.post("/runs/delete", {"run_id": run_id}))
    body = {"run_id": run_id, "models": [{"model_id": model_id}]}
    assert_error(await api.post("/runs/outputs", body), 400, "INVALID_PARAMETER_VALUE", "active")


async def test_outputs_with_a_non_integer_step_is_refused(api: Api) -> None:
    run_id = await api.create_run_id()
    model_id = await _model_id(api)
    body = {"run_id": run_id, "models": [{"model_id": model_id, "step": "later"}]}
    response = await api.post("/runs/outputs", body)
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "models[0].step")
