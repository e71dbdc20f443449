"""Experiments over the wire: create, get, get-by-name, search, rename, delete, restore, tags."""

from __future__ import annotations

import anyio
import pytest

from .api import AJAX, Api, assert_error, key_values, ok

pytestmark = pytest.mark.anyio


async def _names(api: Api, **body: object) -> list[str]:
    payload = ok(await api.post("/experiments/search", body))
    return [experiment["name"] for experiment in payload.get("experiments", [])]


# -- create ------------------------------------------------------------------------------------


async def test_create_returns_an_integer_id(api: Api) -> None:
    experiment_id = await api.create_experiment("first")
    assert experiment_id.isdigit() and experiment_id != "0"


async def test_created_experiment_is_active_with_a_proxied_artifact_location(api: Api) -> None:
    experiment_id = await api.create_experiment("located")
    experiment = await api.get_experiment(experiment_id)
    assert experiment["name"] == "located"
    assert experiment["lifecycle_stage"] == "active"
    assert experiment["artifact_location"] == f"mlflow-artifacts:/{experiment_id}"


async def test_created_experiment_has_creation_and_update_times(api: Api) -> None:
    experiment = await api.get_experiment(await api.create_experiment("timed"))
    assert isinstance(experiment["creation_time"], int) and experiment["creation_time"] > 0
    assert experiment["last_update_time"] >= experiment["creation_time"]


async def test_create_keeps_an_explicit_artifact_location(api: Api) -> None:
    experiment_id = await api.create_experiment("custom", artifact_location="s3://bucket/path")
    experiment = await api.get_experiment(experiment_id)
    assert experiment["artifact_location"] == "s3://bucket/path"


async def test_create_stores_the_given_tags(api: Api) -> None:
    experiment_id = await api.create_experiment(
        "tagged", tags=[{"key": "team", "value": "ml"}, {"key": "stage", "value": "dev"}]
    )
    experiment = await api.get_experiment(experiment_id)
    assert key_values(experiment["tags"]) == {"team": "ml", "stage": "dev"}


async def test_create_with_a_taken_name_is_resource_already_exists(api: Api) -> None:
    await api.create_experiment("twice")
    response = await api.post("/experiments/create", {"name": "twice"})
    assert_error(response, 400, "RESOURCE_ALREADY_EXISTS", "twice")


async def test_create_with_a_deleted_experiments_name_is_resource_already_exists(
    api: Api,
) -> None:
    experiment_id = await api.create_experiment("gone")
    ok(await api.post("/experiments/delete", {"experiment_id": experiment_id}))
    response = await api.post("/experiments/create", {"name": "gone"})
    assert_error(response, 400, "RESOURCE_ALREADY_EXISTS", "gone")


async def test_create_without_a_name_is_refused(api: Api) -> None:
    response = await api.post("/experiments/create", {})
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "'name'")


@pytest.mark.parametrize("name", ["", "   "])
async def test_create_with_a_blank_name_is_refused(api: Api, name: str) -> None:
    response = await api.post("/experiments/create", {"name": name})
    assert_error(response, 400, "INVALID_PARAMETER_VALUE")


async def test_create_with_a_name_over_500_characters_is_refused(api: Api) -> None:
    response = await api.post("/experiments/create", {"name": "x" * 501})
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "500")


async def test_create_with_a_name_of_500_characters_is_accepted(api: Api) -> None:
    experiment_id = await api.create_experiment("x" * 500)
    assert (await api.get_experiment(experiment_id))["name"] == "x" * 500


async def test_create_with_an_invalid_tag_key_stores_nothing(api: Api) -> None:
    body = {"name": "bad-tags", "tags": [{"key": "../escape", "value": "v"}]}
    assert_error(await api.post("/experiments/create", body), 400, "INVALID_PARAMETER_VALUE")
    response = await api.get("/experiments/get-by-name", {"experiment_name": "bad-tags"})
    assert_error(response, 404, "RESOURCE_DOES_NOT_EXIST")


async def test_create_ignores_unknown_fields(api: Api) -> None:
    response = await api.post("/experiments/create", {"name": "extra", "surprise": [1, 2]})
    assert ok(response)["experiment_id"].isdigit()


# -- get ---------------------------------------------------------------------------------------


async def test_default_experiment_zero_exists(api: Api) -> None:
    experiment = await api.get_experiment("0")
    assert experiment["experiment_id"] == "0"
    assert experiment["name"] == "Default"
    assert experiment["lifecycle_stage"] == "active"


async def test_get_unknown_experiment_is_resource_does_not_exist(api: Api) -> None:
    response = await api.get("/experiments/get", {"experiment_id": "424242"})
    assert_error(response, 404, "RESOURCE_DOES_NOT_EXIST", "424242")


@pytest.mark.parametrize("experiment_id", ["abc", "-1", "1.5", "1 OR 1=1", "\u00b9", "1\u00b2"])
async def test_get_with_a_non_integer_id_is_invalid_parameter(api: Api, experiment_id: str) -> None:
    response = await api.get("/experiments/get", {"experiment_id": experiment_id})
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "experiment_id")


async def test_get_without_an_id_names_the_missing_parameter(api: Api) -> None:
    response = await api.get("/experiments/get")
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "'experiment_id'")


async def test_get_by_name_finds_the_experiment(api: Api) -> None:
    experiment_id = await api.create_experiment("by name")
    response = await api.get("/experiments/get-by-name", {"experiment_name": "by name"})
    assert ok(response)["experiment"]["experiment_id"] == experiment_id


async def test_get_by_name_of_a_missing_experiment_is_resource_does_not_exist(api: Api) -> None:
    response = await api.get("/experiments/get-by-name", {"experiment_name": "nobody"})
    assert_error(response, 404, "RESOURCE_DOES_NOT_EXIST", "nobody")


async def test_get_by_name_returns_deleted_experiments(api: Api) -> None:
    experiment_id = await api.create_experiment("deleted but named")
    ok(await api.post("/experiments/delete", {"experiment_id": experiment_id}))
    response = await api.get("/experiments/get-by-name", {"experiment_name": "deleted but named"})
    assert ok(response)["experiment"]["lifecycle_stage"] == "deleted"


async def test_get_works_under_the_ajax_api_prefix(api: Api) -> None:
    experiment_id = await api.create_experiment("ui")
    response = await Api(api.http, AJAX).get("/experiments/get", {"experiment_id": experiment_id})
    assert ok(response)["experiment"]["name"] == "ui"


# -- update (rename) ---------------------------------------------------------------------------


async def test_update_renames_the_experiment(api: Api) -> None:
    experiment_id = await api.create_experiment("old name")
    body = {"experiment_id": experiment_id, "new_name": "new name"}
    ok(await api.post("/experiments/update", body))
    assert (await api.get_experiment(experiment_id))["name"] == "new name"


async def test_update_frees_the_old_name(api: Api) -> None:
    experiment_id = await api.create_experiment("before")
    ok(await api.post("/experiments/update", {"experiment_id": experiment_id, "new_name": "after"}))
    response = await api.get("/experiments/get-by-name", {"experiment_name": "before"})
    assert_error(response, 404, "RESOURCE_DOES_NOT_EXIST")


async def test_update_to_a_taken_name_is_resource_already_exists(api: Api) -> None:
    await api.create_experiment("taken")
    experiment_id = await api.create_experiment("mine")
    body = {"experiment_id": experiment_id, "new_name": "taken"}
    assert_error(await api.post("/experiments/update", body), 400, "RESOURCE_ALREADY_EXISTS")
    assert (await api.get_experiment(experiment_id))["name"] == "mine"


async def test_update_of_a_deleted_experiment_is_refused(api: Api) -> None:
    # MLflow answers 500 INVALID_STATE; Shipyard keeps 5xx for what a retry can cure.
    experiment_id = await api.create_experiment("to delete")
    ok(await api.post("/experiments/delete", {"experiment_id": experiment_id}))
    body = {"experiment_id": experiment_id, "new_name": "renamed"}
    assert_error(await api.post("/experiments/update", body), 400, "INVALID_PARAMETER_VALUE")
    assert (await api.get_experiment(experiment_id))["name"] == "to delete"


async def test_update_of_an_unknown_experiment_is_resource_does_not_exist(api: Api) -> None:
    body = {"experiment_id": "9999", "new_name": "whatever"}
    assert_error(await api.post("/experiments/update", body), 404, "RESOURCE_DOES_NOT_EXIST")


async def test_update_to_an_empty_name_is_refused(api: Api) -> None:
    experiment_id = await api.create_experiment("named")
    body = {"experiment_id": experiment_id, "new_name": ""}
    assert_error(await api.post("/experiments/update", body), 400, "INVALID_PARAMETER_VALUE")


# -- delete and restore ------------------------------------------------------------------------


async def test_delete_marks_the_experiment_deleted(api: Api) -> None:
    experiment_id = await api.create_experiment("doomed")
    ok(await api.post("/experiments/delete", {"experiment_id": experiment_id}))
    assert (await api.get_experiment(experiment_id))["lifecycle_stage"] == "deleted"


async def test_delete_deletes_the_experiments_runs(api: Api) -> None:
    experiment_id = await api.create_experiment("with runs")
    run_id = await api.create_run_id(experiment_id)
    ok(await api.post("/experiments/delete", {"experiment_id": experiment_id}))
    assert (await api.get_run(run_id))["info"]["lifecycle_stage"] == "deleted"


async def test_restore_brings_the_experiment_and_its_runs_back(api: Api) -> None:
    experiment_id = await api.create_experiment("phoenix")
    run_id = await api.create_run_id(experiment_id)
    ok(await api.post("/experiments/delete", {"experiment_id": experiment_id}))
    ok(await api.post("/experiments/restore", {"experiment_id": experiment_id}))
    assert (await api.get_experiment(experiment_id))["lifecycle_stage"] == "active"
    assert (await api.get_run(run_id))["info"]["lifecycle_stage"] == "active"


async def test_restore_leaves_runs_deleted_before_the_experiment_deleted(api: Api) -> None:
    experiment_id = await api.create_experiment("selective")
    run_id = await api.create_run_id(experiment_id)
    ok(await api.post("/runs/delete", {"run_id": run_id}))
    ok(await api.post("/experiments/delete", {"experiment_id": experiment_id}))
    ok(await api.post("/experiments/restore", {"experiment_id": experiment_id}))
    assert (await api.get_run(run_id))["info"]["lifecycle_stage"] == "deleted"


async def test_delete_of_an_unknown_experiment_is_resource_does_not_exist(api: Api) -> None:
    response = await api.post("/experiments/delete", {"experiment_id": "31337"})
    assert_error(response, 404, "RESOURCE_DOES_NOT_EXIST")


async def test_delete_of_a_deleted_experiment_is_a_client_error(api: Api) -> None:
    experiment_id = await api.create_experiment("deleted twice")
    ok(await api.post("/experiments/delete", {"experiment_id": experiment_id}))
    response = await api.post("/experiments/delete", {"experiment_id": experiment_id})
    assert 400 <= response.status_code < 500
    assert set(response.json()) == {"error_code", "message"}


async def test_restore_of_an_active_experiment_is_a_client_error(api: Api) -> None:
    experiment_id = await api.create_experiment("never deleted")
    response = await api.post("/experiments/restore", {"experiment_id": experiment_id})
    assert 400 <= response.status_code < 500
    assert set(response.json()) == {"error_code", "message"}


async def test_restore_of_an_unknown_experiment_is_resource_does_not_exist(api: Api) -> None:
    response = await api.post("/experiments/restore", {"experiment_id": "31337"})
    assert_error(response, 404, "RESOURCE_DOES_NOT_EXIST")


async def test_run_cannot_be_created_in_a_deleted_experiment(api: Api) -> None:
    experiment_id = await api.create_experiment("closed")
    ok(await api.post("/experiments/delete", {"experiment_id": experiment_id}))
    response = await api.post("/runs/create", {"experiment_id": experiment_id})
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "active")


# -- tags --------------------------------------------------------------------------------------


async def test_set_experiment_tag_adds_a_tag(api: Api) -> None:
    experiment_id = await api.create_experiment("tag me")
    body = {"experiment_id": experiment_id, "key": "owner", "value": "ana"}
    ok(await api.post("/experiments/set-experiment-tag", body))
    assert key_values((await api.get_experiment(experiment_id))["tags"]) == {"owner": "ana"}


async def test_set_experiment_tag_overwrites_the_value(api: Api) -> None:
    experiment_id = await api.create_experiment("retag")
    for value in ("one", "two"):
        body = {"experiment_id": experiment_id, "key": "k", "value": value}
        ok(await api.post("/experiments/set-experiment-tag", body))
    assert key_values((await api.get_experiment(experiment_id))["tags"]) == {"k": "two"}


async def test_set_experiment_tag_on_an_unknown_experiment_is_resource_does_not_exist(
    api: Api,
) -> None:
    body = {"experiment_id": "777", "key": "k", "value": "v"}
    response = await api.post("/experiments/set-experiment-tag", body)
    assert_error(response, 404, "RESOURCE_DOES_NOT_EXIST")


async def test_set_experiment_tag_on_a_deleted_experiment_is_refused(api: Api) -> None:
    experiment_id = await api.create_experiment("deleted tags")
    ok(await api.post("/experiments/delete", {"experiment_id": experiment_id}))
    body = {"experiment_id": experiment_id, "key": "k", "value": "v"}
    response = await api.post("/experiments/set-experiment-tag", body)
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "active")


async def test_set_experiment_tag_value_over_20000_characters_is_refused(api: Api) -> None:
    experiment_id = await api.create_experiment("long tag")
    body = {"experiment_id": experiment_id, "key": "k", "value": "v" * 20001}
    response = await api.post("/experiments/set-experiment-tag", body)
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "20000")
    assert key_values((await api.get_experiment(experiment_id)).get("tags")) == {}


@pytest.mark.parametrize("key", ["", "a//b", "../up", "/abs", "semi;colon", "k" * 251])
async def test_set_experiment_tag_with_an_invalid_key_is_refused(api: Api, key: str) -> None:
    experiment_id = await api.create_experiment("bad keys")
    body = {"experiment_id": experiment_id, "key": key, "value": "v"}
    response = await api.post("/experiments/set-experiment-tag", body)
    assert_error(response, 400, "INVALID_PARAMETER_VALUE")


async def test_delete_experiment_tag_removes_it(api: Api) -> None:
    experiment_id = await api.create_experiment("untag", tags=[{"key": "k", "value": "v"}])
    body = {"experiment_id": experiment_id, "key": "k"}
    ok(await api.post("/experiments/delete-experiment-tag", body))
    assert key_values((await api.get_experiment(experiment_id)).get("tags")) == {}


async def test_delete_of_a_missing_experiment_tag_is_resource_does_not_exist(api: Api) -> None:
    experiment_id = await api.create_experiment("no tags")
    body = {"experiment_id": experiment_id, "key": "absent"}
    response = await api.post("/experiments/delete-experiment-tag", body)
    assert_error(response, 404, "RESOURCE_DOES_NOT_EXIST", "absent")


# -- search ------------------------------------------------------------------------------------


async def test_search_orders_newest_first_by_default(api: Api) -> None:
    for name in ("a", "b", "c"):
        await api.create_experiment(name)
        await anyio.sleep(0.005)  # distinct creation times
    assert await _names(api) == ["c", "b", "a", "Default"]


async def test_search_order_by_name_ascending(api: Api) -> None:
    for name in ("beta", "alpha", "gamma"):
        await api.create_experiment(name)
    assert await _names(api, order_by=["name ASC"]) == ["Default", "alpha", "beta", "gamma"]


async def test_search_order_by_name_descending(api: Api) -> None:
    for name in ("beta", "alpha", "gamma"):
        await api.create_experiment(name)
    assert await _names(api, order_by=["name DESC"]) == ["gamma", "beta", "alpha", "Default"]


async def test_search_filters_by_name_like(api: Api) -> None:
    for name in ("proj-a", "proj-b", "other"):
        await api.create_experiment(name)
    names = await _names(api, filter="name LIKE 'proj-%'", order_by=["name"])
    assert names == ["proj-a", "proj-b"]


async def test_search_filters_by_tag(api: Api) -> None:
    await api.create_experiment("ml", tags=[{"key": "team", "value": "ml"}])
    await api.create_experiment("ops", tags=[{"key": "team", "value": "ops"}])
    assert await _names(api, filter="tags.team = 'ml'") == ["ml"]


async def test_search_filters_by_creation_time(api: Api) -> None:
    await api.create_experiment("older")
    await anyio.sleep(0.005)
    cutoff = (await api.get_experiment(await api.create_experiment("newer")))["creation_time"]
    assert await _names(api, filter=f"creation_time >= {cutoff}") == ["newer"]


async def test_search_filters_by_experiment_id_in(api: Api) -> None:
    first = await api.create_experiment("first")
    await api.create_experiment("second")
    third = await api.create_experiment("third")
    names = await _names(api, filter=f"experiment_id IN ('{first}', '{third}')", order_by=["name"])
    assert names == ["first", "third"]


@pytest.mark.parametrize("experiment_id", ["abc", "\u00b9"])
async def test_search_experiment_id_that_is_no_integer_matches_nothing(
    api: Api, experiment_id: str
) -> None:
    assert await _names(api, filter=f"experiment_id = '{experiment_id}'") == []


async def test_search_hides_deleted_experiments_by_default(api: Api) -> None:
    experiment_id = await api.create_experiment("hidden")
    ok(await api.post("/experiments/delete", {"experiment_id": experiment_id}))
    assert "hidden" not in await _names(api)


async def test_search_deleted_only_returns_only_deleted_experiments(api: Api) -> None:
    experiment_id = await api.create_experiment("hidden")
    ok(await api.post("/experiments/delete", {"experiment_id": experiment_id}))
    assert await _names(api, view_type="DELETED_ONLY") == ["hidden"]


async def test_search_all_returns_active_and_deleted(api: Api) -> None:
    experiment_id = await api.create_experiment("hidden")
    ok(await api.post("/experiments/delete", {"experiment_id": experiment_id}))
    assert sorted(await _names(api, view_type="ALL")) == ["Default", "hidden"]


async def test_search_accepts_the_view_type_enum_number(api: Api) -> None:
    experiment_id = await api.create_experiment("hidden")
    ok(await api.post("/experiments/delete", {"experiment_id": experiment_id}))
    assert await _names(api, view_type=2) == ["hidden"]


async def test_search_pages_through_every_experiment_once(api: Api) -> None:
    for index in range(5):
        await api.create_experiment(f"paged-{index}")
    seen: list[str] = []
    token = None
    for _ in range(10):
        body: dict[str, object] = {"max_results": 2, "order_by": ["name ASC"]}
        if token:
            body["page_token"] = token
        payload = ok(await api.post("/experiments/search", body))
        assert len(payload["experiments"]) <= 2
        seen += [experiment["name"] for experiment in payload["experiments"]]
        token = payload.get("next_page_token")
        if not token:
            break
    assert seen == ["Default"] + [f"paged-{index}" for index in range(5)]


async def test_search_query_string_form_takes_repeated_order_by(api: Api) -> None:
    for name in ("b", "a"):
        await api.create_experiment(name, tags=[{"key": "group", "value": "g"}])
    response = await api.get(
        "/experiments/search",
        [("filter", "tags.group = 'g'"), ("order_by", "name DESC"), ("order_by", "creation_time")],
    )
    assert [experiment["name"] for experiment in ok(response)["experiments"]] == ["b", "a"]


async def test_search_max_results_over_50000_is_refused(api: Api) -> None:
    response = await api.post("/experiments/search", {"max_results": 50001})
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "max_results")


async def test_search_with_an_invalid_filter_is_refused(api: Api) -> None:
    response = await api.post("/experiments/search", {"filter": "name = "})
    assert_error(response, 400, "INVALID_PARAMETER_VALUE")


async def test_search_with_an_unknown_order_by_attribute_is_refused(api: Api) -> None:
    response = await api.post("/experiments/search", {"order_by": ["color DESC"]})
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "'color'")


async def test_search_with_a_garbage_page_token_is_refused(api: Api) -> None:
    response = await api.post("/experiments/search", {"page_token": "not-a-token"})
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "page token")


async def test_search_with_an_unknown_view_type_is_refused(api: Api) -> None:
    response = await api.post("/experiments/search", {"view_type": "SOMETIMES"})
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "view_type")
