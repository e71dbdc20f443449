"""Runs over the wire: create, get, update, delete, restore, the run name, log-model."""

from __future__ import annotations

import json
import re

import pytest

from .api import AJAX, T0, Api, assert_error, kv, ok, tags_of

pytestmark = pytest.mark.anyio

RUN_NAME_TAG = "mlflow.runName"


# -- create ------------------------------------------------------------------------------------


async def test_create_returns_a_running_active_run(api: Api) -> None:
    info = (await api.create_run())["info"]
    assert info["status"] == "RUNNING"
    assert info["lifecycle_stage"] == "active"
    assert info["start_time"] == T0
    assert "end_time" not in info


async def test_create_returns_a_32_hex_run_id_repeated_as_run_uuid(api: Api) -> None:
    info = (await api.create_run())["info"]
    assert re.fullmatch(r"[0-9a-f]{32}", info["run_id"])
    assert info["run_uuid"] == info["run_id"]


async def test_create_places_artifacts_under_the_experiment(api: Api) -> None:
    experiment_id = await api.create_experiment("artifacts")
    info = (await api.create_run(experiment_id))["info"]
    assert info["experiment_id"] == experiment_id
    assert info["artifact_uri"] == f"mlflow-artifacts:/{experiment_id}/{info['run_id']}/artifacts"


async def test_create_without_an_experiment_uses_the_default_one(api: Api) -> None:
    run = ok(await api.post("/runs/create", {"start_time": T0}))["run"]
    assert run["info"]["experiment_id"] == "0"


async def test_create_keeps_the_user_id(api: Api) -> None:
    info = (await api.create_run(user_id="ana"))["info"]
    assert info["user_id"] == "ana"


async def test_create_stores_the_given_tags(api: Api) -> None:
    run = await api.create_run(tags=[kv("team", "ml"), kv("mlflow.user", "ana")])
    assert tags_of(run)["team"] == "ml"
    assert tags_of(await api.get_run(run["info"]["run_id"]))["mlflow.user"] == "ana"


async def test_create_with_a_run_name_sets_the_run_name_tag(api: Api) -> None:
    run = await api.create_run(run_name="named")
    assert run["info"]["run_name"] == "named"
    assert tags_of(await api.get_run(run["info"]["run_id"]))[RUN_NAME_TAG] == "named"


async def test_create_without_a_name_generates_one_and_tags_it(api: Api) -> None:
    run = await api.get_run(await api.create_run_id())
    name = run["info"]["run_name"]
    assert re.fullmatch(r"[a-z]+-[a-z]+-\d+", name)
    assert tags_of(run)[RUN_NAME_TAG] == name


async def test_create_with_only_the_run_name_tag_uses_it_as_the_name(api: Api) -> None:
    run = await api.create_run(tags=[kv(RUN_NAME_TAG, "from-tag")])
    assert run["info"]["run_name"] == "from-tag"


async def test_create_with_a_run_name_and_a_different_name_tag_is_refused(api: Api) -> None:
    body = {"experiment_id": "0", "run_name": "a", "tags": [kv(RUN_NAME_TAG, "b")]}
    assert_error(await api.post("/runs/create", body), 400, "INVALID_PARAMETER_VALUE")


async def test_create_accepts_start_time_as_a_string(api: Api) -> None:
    run = ok(await api.post("/runs/create", {"experiment_id": "0", "start_time": str(T0)}))
    assert run["run"]["info"]["start_time"] == T0


async def test_create_in_an_unknown_experiment_is_resource_does_not_exist(api: Api) -> None:
    response = await api.post("/runs/create", {"experiment_id": "4040"})
    assert_error(response, 404, "RESOURCE_DOES_NOT_EXIST", "4040")


async def test_create_with_a_non_integer_experiment_id_is_refused(api: Api) -> None:
    response = await api.post("/runs/create", {"experiment_id": "zero"})
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "experiment_id")


async def test_create_with_a_negative_start_time_is_refused(api: Api) -> None:
    response = await api.post("/runs/create", {"experiment_id": "0", "start_time": -1})
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "start_time")


async def test_create_with_an_invalid_tag_key_is_refused(api: Api) -> None:
    body = {"experiment_id": "0", "tags": [kv("bad//key", "v")]}
    assert_error(await api.post("/runs/create", body), 400, "INVALID_PARAMETER_VALUE")


# -- get ---------------------------------------------------------------------------------------


async def test_get_returns_the_created_run(api: Api) -> None:
    created = await api.create_run(run_name="fetch me")
    fetched = await api.get_run(created["info"]["run_id"])
    assert fetched["info"] == created["info"]


async def test_get_accepts_run_uuid(api: Api) -> None:
    run_id = await api.create_run_id()
    response = await api.get("/runs/get", {"run_uuid": run_id})
    assert ok(response)["run"]["info"]["run_id"] == run_id


async def test_get_of_an_unknown_run_is_resource_does_not_exist(api: Api) -> None:
    response = await api.get("/runs/get", {"run_id": "0" * 32})
    assert_error(response, 404, "RESOURCE_DOES_NOT_EXIST", "0" * 32)


async def test_get_without_a_run_id_names_the_missing_parameter(api: Api) -> None:
    assert_error(await api.get("/runs/get"), 400, "INVALID_PARAMETER_VALUE", "'run_id'")


@pytest.mark.parametrize("run_id", ["../etc/passwd", "-starts-with-dash", "has space", "x" * 300])
async def test_get_with_a_malformed_run_id_is_refused(api: Api, run_id: str) -> None:
    response = await api.get("/runs/get", {"run_id": run_id})
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "run_id")


async def test_get_works_under_the_ajax_api_prefix(api: Api) -> None:
    run_id = await api.create_run_id()
    response = await Api(api.http, AJAX).get("/runs/get", {"run_id": run_id})
    assert ok(response)["run"]["info"]["run_id"] == run_id


# -- update ------------------------------------------------------------------------------------


async def test_update_sets_status_and_end_time(api: Api) -> None:
    run_id = await api.create_run_id()
    body = {"run_id": run_id, "status": "FINISHED", "end_time": T0 + 5}
    info = ok(await api.post("/runs/update", body))["run_info"]
    assert (info["status"], info["end_time"]) == ("FINISHED", T0 + 5)


async def test_update_is_visible_in_get(api: Api) -> None:
    run_id = await api.create_run_id()
    ok(await api.post("/runs/update", {"run_id": run_id, "status": "FAILED", "end_time": T0 + 1}))
    info = (await api.get_run(run_id))["info"]
    assert (info["status"], info["end_time"]) == ("FAILED", T0 + 1)


@pytest.mark.parametrize("status", ["RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED"])
async def test_update_accepts_every_run_status(api: Api, status: str) -> None:
    run_id = await api.create_run_id()
    info = ok(await api.post("/runs/update", {"run_id": run_id, "status": status}))["run_info"]
    assert info["status"] == status


async def test_update_accepts_the_status_enum_number(api: Api) -> None:
    run_id = await api.create_run_id()
    info = ok(await api.post("/runs/update", {"run_id": run_id, "status": 5}))["run_info"]
    assert info["status"] == "KILLED"


async def test_update_with_an_unknown_status_is_refused(api: Api) -> None:
    run_id = await api.create_run_id()
    response = await api.post("/runs/update", {"run_id": run_id, "status": "DONE"})
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "status")
    assert (await api.get_run(run_id))["info"]["status"] == "RUNNING"


async def test_update_run_name_renames_the_run_and_its_tag(api: Api) -> None:
    run_id = await api.create_run_id(run_name="before")
    ok(await api.post("/runs/update", {"run_id": run_id, "run_name": "after"}))
    run = await api.get_run(run_id)
    assert run["info"]["run_name"] == "after"
    assert tags_of(run)[RUN_NAME_TAG] == "after"


async def test_setting_the_run_name_tag_renames_the_run(api: Api) -> None:
    run_id = await api.create_run_id(run_name="before")
    ok(await api.post("/runs/set-tag", {"run_id": run_id, "key": RUN_NAME_TAG, "value": "after"}))
    assert (await api.get_run(run_id))["info"]["run_name"] == "after"


async def test_update_accepts_run_uuid(api: Api) -> None:
    run_id = await api.create_run_id()
    info = ok(await api.post("/runs/update", {"run_uuid": run_id, "status": "FINISHED"}))
    assert info["run_info"]["status"] == "FINISHED"


async def test_update_of_an_unknown_run_is_resource_does_not_exist(api: Api) -> None:
    response = await api.post("/runs/update", {"run_id": "f" * 32, "status": "FINISHED"})
    assert_error(response, 404, "RESOURCE_DOES_NOT_EXIST")


async def test_update_of_a_deleted_run_is_refused(api: Api) -> None:
    run_id = await api.create_run_id()
    ok(await api.post("/runs/delete", {"run_id": run_id}))
    response = await api.post("/runs/update", {"run_id": run_id, "status": "FINISHED"})
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "active")


async def test_update_with_a_negative_end_time_is_refused(api: Api) -> None:
    run_id = await api.create_run_id()
    response = await api.post("/runs/update", {"run_id": run_id, "end_time": -5})
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "end_time")


# -- delete and restore ------------------------------------------------------------------------


async def test_delete_marks_the_run_deleted_and_get_still_finds_it(api: Api) -> None:
    run_id = await api.create_run_id()
    ok(await api.post("/runs/delete", {"run_id": run_id}))
    assert (await api.get_run(run_id))["info"]["lifecycle_stage"] == "deleted"


async def test_restore_makes_the_run_active_again(api: Api) -> None:
    run_id = await api.create_run_id()
    ok(await api.post("/runs/delete", {"run_id": run_id}))
    ok(await api.post("/runs/restore", {"run_id": run_id}))
    assert (await api.get_run(run_id))["info"]["lifecycle_stage"] == "active"


@pytest.mark.parametrize("action", ["delete", "restore"])
async def test_delete_and_restore_of_an_unknown_run_are_resource_does_not_exist(
    api: Api, action: str
) -> None:
    response = await api.post(f"/runs/{action}", {"run_id": "a" * 32})
    assert_error(response, 404, "RESOURCE_DOES_NOT_EXIST")


async def test_deleted_run_is_hidden_from_a_default_search(api: Api) -> None:
    run_id = await api.create_run_id()
    ok(await api.post("/runs/delete", {"run_id": run_id}))
    assert (await api.search_runs(experiment_ids=["0"])).get("runs", []) == []


async def test_deleted_run_is_found_by_a_deleted_only_search(api: Api) -> None:
    await api.create_run_id()
    run_id = await api.create_run_id()
    ok(await api.post("/runs/delete", {"run_id": run_id}))
    payload = await api.search_runs(experiment_ids=["0"], run_view_type="DELETED_ONLY")
    assert [run["info"]["run_id"] for run in payload["runs"]] == [run_id]


async def test_search_all_view_returns_active_and_deleted_runs(api: Api) -> None:
    kept = await api.create_run_id()
    gone = await api.create_run_id()
    ok(await api.post("/runs/delete", {"run_id": gone}))
    payload = await api.search_runs(experiment_ids=["0"], run_view_type="ALL")
    assert {run["info"]["run_id"] for run in payload["runs"]} == {kept, gone}


async def test_paging_neither_repeats_nor_skips_when_runs_are_added_between_pages(
    api: Api,
) -> None:
    originals = [await api.create_run_id(start_time=T0 + i) for i in range(5)]
    first = await api.search_runs(experiment_ids=["0"], max_results=2)
    await api.create_run_id(start_time=T0 + 100)  # sorts first: before the page already read
    seen = [run["info"]["run_id"] for run in first["runs"]]
    token = first["next_page_token"]
    while token:
        page = await api.search_runs(experiment_ids=["0"], max_results=2, page_token=token)
        seen += [run["info"]["run_id"] for run in page.get("runs", [])]
        token = page.get("next_page_token")
    assert seen == originals[::-1]


# -- log-model (MLflow 2's model history tag) --------------------------------------------------


def _model_json(run_id: str, path: str = "model") -> str:
    return json.dumps(
        {
            "artifact_path": path,
            "flavors": {"python_function": {}},
            "utc_time_created": "2024-01-01 00:00:00.000000",
            "run_id": run_id,
        }
    )


async def test_log_model_appends_to_the_model_history_tag(api: Api) -> None:
    run_id = await api.create_run_id()
    for path in ("first", "second"):
        body = {"run_id": run_id, "model_json": _model_json(run_id, path)}
        ok(await api.post("/runs/log-model", body))
    history = json.loads(tags_of(await api.get_run(run_id))["mlflow.log-model.history"])
    assert [entry["artifact_path"] for entry in history] == ["first", "second"]


async def test_log_model_with_invalid_json_is_refused(api: Api) -> None:
    run_id = await api.create_run_id()
    response = await api.post("/runs/log-model", {"run_id": run_id, "model_json": "{nope"})
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "model_json")


async def test_log_model_without_required_fields_is_refused(api: Api) -> None:
    run_id = await api.create_run_id()
    body = {"run_id": run_id, "model_json": json.dumps({"artifact_path": "m"})}
    response = await api.post("/runs/log-model", body)
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "flavors")


async def test_log_model_to_a_deleted_run_is_refused(api: Api) -> None:
    run_id = await api.create_run_id()
    ok(await api.post("/runs/delete", {"run_id": run_id}))
    body = {"run_id": run_id, "model_json": _model_json(run_id)}
    assert_error(await api.post("/runs/log-model", body), 400, "INVALID_PARAMETER_VALUE")
