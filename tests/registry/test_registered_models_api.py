"""MLflow's registered-model routes in process: create, get, rename, update, delete, tags,
search, get-latest-versions, and their errors."""

from __future__ import annotations

from typing import Any

import pytest

from server.api import AJAX, Api, assert_error, kv, ok

from .registry_api import (
    call,
    create_model,
    create_version,
    get_model,
    model_with_versions,
    tags_of,
)

pytestmark = pytest.mark.anyio

PROMPT_FILTER = "tag.`mlflow.prompt.is_prompt` != 'true'"  # as MLflow's client appends it


async def search_names(api: Api, **params: Any) -> list[str]:
    payload = ok(await api.get("/registered-models/search", params))
    return [model["name"] for model in payload.get("registered_models", [])]


# -- create and get ----------------------------------------------------------------------------


async def test_create_returns_the_registered_model_message(api: Api) -> None:
    model = await create_model(api, "churn", description="d", tags=[kv("team", "growth")])
    assert (model["name"], model["description"]) == ("churn", "d")
    assert tags_of(model) == {"team": "growth"}
    assert isinstance(model["creation_timestamp"], int)
    assert model["last_updated_timestamp"] == model["creation_timestamp"]


async def test_create_with_a_taken_name_is_resource_already_exists(api: Api) -> None:
    await create_model(api, "churn")
    response = await api.post("/registered-models/create", {"name": "churn"})
    assert_error(response, 400, "RESOURCE_ALREADY_EXISTS", "churn")


async def test_create_without_a_name_is_refused(api: Api) -> None:
    response = await api.post("/registered-models/create", {"description": "d"})
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "'name'")


@pytest.mark.parametrize("name", ["a/b", "a:b", ""])
async def test_create_with_an_invalid_name_is_refused(api: Api, name: str) -> None:
    response = await api.post("/registered-models/create", {"name": name})
    assert_error(response, 400, "INVALID_PARAMETER_VALUE")


async def test_create_with_a_tag_without_a_value_is_refused(api: Api) -> None:
    response = await api.post("/registered-models/create", {"name": "m", "tags": [{"key": "k"}]})
    assert_error(response, 400, "INVALID_PARAMETER_VALUE")
    assert_error(
        await api.get("/registered-models/get", {"name": "m"}), 404, "RESOURCE_DOES_NOT_EXIST"
    )


async def test_get_returns_latest_versions_and_aliases_with_string_versions(api: Api) -> None:
    await model_with_versions(api, "churn", 2)
    ok(
        await api.post(
            "/registered-models/alias", {"name": "churn", "alias": "champ", "version": "1"}
        )
    )
    model = await get_model(api, "churn")
    assert model["aliases"] == [{"alias": "champ", "version": "1"}]
    assert [(v["version"], v["current_stage"]) for v in model["latest_versions"]] == [("2", "None")]


async def test_get_lists_the_newest_version_of_each_stage(api: Api) -> None:
    await model_with_versions(api, "churn", 3)
    body = {"name": "churn", "version": "1", "stage": "Production"}
    ok(await api.post("/model-versions/transition-stage", body))
    latest = (await get_model(api, "churn"))["latest_versions"]
    assert sorted((v["current_stage"], v["version"]) for v in latest) == [
        ("None", "3"),
        ("Production", "1"),
    ]


async def test_get_of_an_unknown_model_is_resource_does_not_exist(api: Api) -> None:
    response = await api.get("/registered-models/get", {"name": "nobody"})
    assert_error(response, 404, "RESOURCE_DOES_NOT_EXIST", "nobody")


async def test_get_without_a_name_is_refused(api: Api) -> None:
    assert_error(await api.get("/registered-models/get"), 400, "INVALID_PARAMETER_VALUE", "'name'")


async def test_get_answers_under_the_ajax_prefix(api: Api) -> None:
    await create_model(api, "churn")
    response = await Api(api.http, AJAX).get("/registered-models/get", {"name": "churn"})
    assert ok(response)["registered_model"]["name"] == "churn"


# -- rename, update, delete --------------------------------------------------------------------


async def test_rename_returns_the_model_under_its_new_name(api: Api) -> None:
    await model_with_versions(api, "old", 1)
    body = {"name": "old", "new_name": "new"}
    renamed = ok(await api.post("/registered-models/rename", body))["registered_model"]
    assert renamed["name"] == "new"
    assert [v["name"] for v in renamed["latest_versions"]] == ["new"]
    assert_error(
        await api.get("/registered-models/get", {"name": "old"}), 404, "RESOURCE_DOES_NOT_EXIST"
    )


async def test_rename_to_a_taken_name_is_resource_already_exists(api: Api) -> None:
    await create_model(api, "a")
    await create_model(api, "b")
    response = await api.post("/registered-models/rename", {"name": "a", "new_name": "b"})
    assert_error(response, 400, "RESOURCE_ALREADY_EXISTS")
    assert (await get_model(api, "a"))["name"] == "a"


async def test_update_is_a_patch_that_replaces_the_description(api: Api) -> None:
    await create_model(api, "churn", description="old")
    body = {"name": "churn", "description": "new"}
    updated = ok(await api.patch("/registered-models/update", body))["registered_model"]
    assert updated["description"] == "new"
    assert (await get_model(api, "churn"))["description"] == "new"


async def test_delete_takes_a_json_body_and_removes_the_model(api: Api) -> None:
    await model_with_versions(api, "churn", 1)
    assert ok(await api.delete("/registered-models/delete", {"name": "churn"})) == {}
    assert_error(
        await api.get("/registered-models/get", {"name": "churn"}), 404, "RESOURCE_DOES_NOT_EXIST"
    )
    response = await api.get("/model-versions/get", {"name": "churn", "version": "1"})
    assert_error(response, 404, "RESOURCE_DOES_NOT_EXIST")


async def test_delete_without_a_body_is_refused(api: Api) -> None:
    await create_model(api, "churn")
    assert_error(await api.delete("/registered-models/delete"), 400, "INVALID_PARAMETER_VALUE")
    assert (await get_model(api, "churn"))["name"] == "churn"


# -- tags --------------------------------------------------------------------------------------


async def test_set_tag_adds_and_overwrites_a_tag(api: Api) -> None:
    await create_model(api, "churn")
    for value in ("one", "two"):
        body = {"name": "churn", "key": "k", "value": value}
        assert ok(await api.post("/registered-models/set-tag", body)) == {}
    assert tags_of(await get_model(api, "churn")) == {"k": "two"}


async def test_delete_tag_takes_a_json_body(api: Api) -> None:
    await create_model(api, "churn", tags=[kv("a", "1"), kv("b", "2")])
    ok(await api.delete("/registered-models/delete-tag", {"name": "churn", "key": "a"}))
    assert tags_of(await get_model(api, "churn")) == {"b": "2"}


async def test_delete_of_a_missing_tag_is_resource_does_not_exist(api: Api) -> None:
    await create_model(api, "churn")
    response = await api.delete("/registered-models/delete-tag", {"name": "churn", "key": "a"})
    assert_error(response, 404, "RESOURCE_DOES_NOT_EXIST")


# -- search ------------------------------------------------------------------------------------


@pytest.fixture
async def catalogue(api: Api) -> Api:
    """alpha (team growth), alpine (team risk), beta, and a prompt."""
    await create_model(api, "alpha", tags=[kv("team", "growth")])
    await create_model(api, "alpine", tags=[kv("team", "risk")])
    await create_model(api, "beta")
    await create_model(api, "prompt-1", tags=[kv("mlflow.prompt.is_prompt", "true")])
    return api


async def test_search_without_parameters_lists_every_model_by_name(catalogue: Api) -> None:
    assert await search_names(catalogue) == ["alpha", "alpine", "beta", "prompt-1"]


@pytest.mark.parametrize(
    ("filter_string", "expected"),
    [
        ("name = 'beta'", ["beta"]),
        ("name LIKE 'alp%'", ["alpha", "alpine"]),
        ("name ILIKE 'ALP%'", ["alpha", "alpine"]),
        ("name IN ('alpha', 'beta')", ["alpha", "beta"]),
        ("tags.team = 'risk'", ["alpine"]),
        (PROMPT_FILTER, ["alpha", "alpine", "beta"]),
        (f"name LIKE 'a%' AND {PROMPT_FILTER}", ["alpha", "alpine"]),
    ],
    ids=["eq", "like", "ilike", "in", "tag", "prompt-rule", "prompt-rule-and-name"],
)
async def test_search_filters(catalogue: Api, filter_string: str, expected: list[str]) -> None:
    assert await search_names(catalogue, filter=filter_string) == expected


async def test_search_takes_order_by_as_repeated_query_keys(catalogue: Api) -> None:
    params = {"order_by": ["last_updated_timestamp DESC", "name DESC"], "filter": PROMPT_FILTER}
    ok(
        await catalogue.post(
            "/registered-models/set-tag", {"name": "alpha", "key": "x", "value": "y"}
        )
    )
    names = await search_names(catalogue, **params)
    assert names[0] == "alpha" and sorted(names) == ["alpha", "alpine", "beta"]


async def test_search_orders_by_name_descending(catalogue: Api) -> None:
    names = await search_names(catalogue, order_by="name DESC")
    assert names == ["prompt-1", "beta", "alpine", "alpha"]


async def test_search_pages_with_next_page_token(catalogue: Api) -> None:
    first = ok(await catalogue.get("/registered-models/search", {"max_results": "3"}))
    token = first["next_page_token"]
    params = {"max_results": "3", "page_token": token}
    second = ok(await catalogue.get("/registered-models/search", params))
    assert [m["name"] for m in first["registered_models"] + second["registered_models"]] == [
        "alpha",
        "alpine",
        "beta",
        "prompt-1",
    ]
    assert "next_page_token" not in second


async def test_search_without_matches_is_an_empty_object(catalogue: Api) -> None:
    response = await catalogue.get("/registered-models/search", {"filter": "name = 'zzz'"})
    assert ok(response) == {}


@pytest.mark.parametrize(
    "params",
    [
        {"filter": "owner = 'me'"},
        {"filter": "name = "},
        {"order_by": "owner"},
        {"page_token": "garbage"},
        {"max_results": "1001"},
        {"max_results": "many"},
    ],
    ids=["unknown-attribute", "broken-filter", "bad-order-by", "bad-token", "over-cap", "nan"],
)
async def test_search_refuses_bad_parameters(api: Api, params: dict[str, str]) -> None:
    response = await api.get("/registered-models/search", params)
    assert_error(response, 400, "INVALID_PARAMETER_VALUE")


# -- get-latest-versions -----------------------------------------------------------------------


@pytest.fixture
async def staged(api: Api) -> Api:
    """churn: v1 Production, v2 Staging, v3 Production, v4 in no stage."""
    await model_with_versions(api, "churn", 4)
    for version, stage in (("1", "Production"), ("2", "Staging"), ("3", "Production")):
        body = {"name": "churn", "version": version, "stage": stage}
        ok(await api.post("/model-versions/transition-stage", body))
    return api


def _stages(payload: dict[str, Any]) -> list[tuple[str, str]]:
    return sorted((v["current_stage"], v["version"]) for v in payload.get("model_versions", []))


async def test_latest_versions_by_post_for_given_stages(staged: Api) -> None:
    body = {"name": "churn", "stages": ["Production"]}
    payload = ok(await staged.post("/registered-models/get-latest-versions", body))
    assert _stages(payload) == [("Production", "3")]


async def test_latest_versions_by_post_without_stages_covers_every_stage(staged: Api) -> None:
    payload = ok(await staged.post("/registered-models/get-latest-versions", {"name": "churn"}))
    assert _stages(payload) == [("None", "4"), ("Production", "3"), ("Staging", "2")]


async def test_latest_versions_by_get_takes_repeated_stages(staged: Api) -> None:
    params = {"name": "churn", "stages": ["staging", "None"]}
    payload = ok(await staged.get("/registered-models/get-latest-versions", params))
    assert _stages(payload) == [("None", "4"), ("Staging", "2")]


async def test_latest_versions_with_an_unknown_stage_is_refused(staged: Api) -> None:
    body = {"name": "churn", "stages": ["Canary"]}
    response = await staged.post("/registered-models/get-latest-versions", body)
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "Canary")


# -- errors shared by every registered-model route ---------------------------------------------

UNKNOWN_MODEL_CALLS = [
    ("GET", "/registered-models/get", {}),
    ("POST", "/registered-models/rename", {"new_name": "other"}),
    ("PATCH", "/registered-models/update", {"description": "d"}),
    ("DELETE", "/registered-models/delete", {}),
    ("POST", "/registered-models/set-tag", {"key": "k", "value": "v"}),
    ("DELETE", "/registered-models/delete-tag", {"key": "k"}),
    ("POST", "/registered-models/get-latest-versions", {}),
    ("GET", "/registered-models/get-latest-versions", {}),
    ("POST", "/registered-models/alias", {"alias": "champ", "version": "1"}),
    ("DELETE", "/registered-models/alias", {"alias": "champ"}),
    ("GET", "/registered-models/alias", {"alias": "champ"}),
    ("POST", "/model-versions/create", {"source": "mlflow-artifacts:/0/x/model"}),
]


@pytest.mark.parametrize(
    ("method", "path", "fields"),
    UNKNOWN_MODEL_CALLS,
    ids=[f"{method} {path}" for method, path, _ in UNKNOWN_MODEL_CALLS],
)
async def test_an_unknown_model_is_resource_does_not_exist(
    api: Api, method: str, path: str, fields: dict[str, Any]
) -> None:
    response = await call(api, method, path, {"name": "nobody", **fields})
    assert_error(response, 404, "RESOURCE_DOES_NOT_EXIST", "nobody")


@pytest.mark.parametrize(
    ("method", "path", "fields"),
    UNKNOWN_MODEL_CALLS,
    ids=[f"{method} {path}" for method, path, _ in UNKNOWN_MODEL_CALLS],
)
async def test_a_missing_name_is_refused(
    api: Api, method: str, path: str, fields: dict[str, Any]
) -> None:
    response = await call(api, method, path, fields)
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "'name'")


async def test_a_model_recreated_after_delete_numbers_versions_from_one(api: Api) -> None:
    run_id = await model_with_versions(api, "churn", 1)
    ok(await api.delete("/registered-models/delete", {"name": "churn"}))
    await create_model(api, "churn")
    version = await create_version(api, "churn", f"runs:/{run_id}/model")
    assert version["version"] == "1"
