"""MLflow's model-version routes in process: create, get, update, delete, tags, stages, search,
get-download-uri, the root ``/model-versions/get-artifact`` route, and their errors."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from server.api import Api, assert_error, kv, ok

from .registry_api import (
    call,
    create_model,
    create_version,
    get_version,
    model_with_versions,
    run_with_model,
    tags_of,
    upload,
    version_numbers,
)

pytestmark = pytest.mark.anyio


# -- create ------------------------------------------------------------------------------------


async def test_create_returns_a_ready_version_one_with_string_number(api: Api) -> None:
    run_id, _ = await run_with_model(api)
    await create_model(api, "churn")
    version = await create_version(
        api,
        "churn",
        f"runs:/{run_id}/model",
        run_id=run_id,
        description="first",
        tags=[kv("k", "v")],
        run_link="http://ci/1",
    )
    assert (version["name"], version["version"]) == ("churn", "1")
    assert (version["status"], version["current_stage"]) == ("READY", "None")
    assert (version["source"], version["run_id"]) == (f"runs:/{run_id}/model", run_id)
    assert (version["description"], version["run_link"]) == ("first", "http://ci/1")
    assert tags_of(version) == {"k": "v"}
    assert isinstance(version["creation_timestamp"], int)


async def test_create_numbers_versions_one_two_three(api: Api) -> None:
    await model_with_versions(api, "churn", 3)
    assert await version_numbers(api, "churn") == ["3", "2", "1"]


async def test_create_takes_the_run_id_from_a_runs_source(api: Api) -> None:
    run_id, _ = await run_with_model(api)
    await create_model(api, "churn")
    assert (await create_version(api, "churn", f"runs:/{run_id}/model"))["run_id"] == run_id


async def test_version_numbers_are_not_reused_after_deleting_the_newest(api: Api) -> None:
    run_id = await model_with_versions(api, "churn", 2)
    ok(await api.delete("/model-versions/delete", {"name": "churn", "version": "2"}))
    assert (await create_version(api, "churn", f"runs:/{run_id}/model"))["version"] == "3"


# -- get, update, delete -----------------------------------------------------------------------


async def test_get_returns_what_create_returned(api: Api) -> None:
    run_id, _ = await run_with_model(api)
    await create_model(api, "churn")
    created = await create_version(api, "churn", f"runs:/{run_id}/model", description="d")
    assert await get_version(api, "churn", "1") == created


async def test_update_is_a_patch_that_replaces_the_description(api: Api) -> None:
    await model_with_versions(api, "churn", 1)
    body = {"name": "churn", "version": "1", "description": "better"}
    updated = ok(await api.patch("/model-versions/update", body))["model_version"]
    assert updated["description"] == "better"
    assert (await get_version(api, "churn", "1"))["description"] == "better"


async def test_update_accepts_the_version_as_a_json_number(api: Api) -> None:
    await model_with_versions(api, "churn", 1)
    body = {"name": "churn", "version": 1, "description": "numeric"}
    assert ok(await api.patch("/model-versions/update", body))["model_version"]["version"] == "1"


async def test_delete_takes_a_json_body_and_removes_the_version(api: Api) -> None:
    await model_with_versions(api, "churn", 2)
    assert ok(await api.delete("/model-versions/delete", {"name": "churn", "version": "1"})) == {}
    assert await version_numbers(api, "churn") == ["2"]


async def test_delete_twice_is_resource_does_not_exist(api: Api) -> None:
    await model_with_versions(api, "churn", 1)
    ok(await api.delete("/model-versions/delete", {"name": "churn", "version": "1"}))
    response = await api.delete("/model-versions/delete", {"name": "churn", "version": "1"})
    assert_error(response, 404, "RESOURCE_DOES_NOT_EXIST")


# -- tags --------------------------------------------------------------------------------------


async def test_set_tag_adds_and_overwrites_a_tag(api: Api) -> None:
    await model_with_versions(api, "churn", 1)
    for value in ("one", "two"):
        body = {"name": "churn", "version": "1", "key": "k", "value": value}
        assert ok(await api.post("/model-versions/set-tag", body)) == {}
    assert tags_of(await get_version(api, "churn", "1")) == {"k": "two"}


async def test_delete_tag_takes_a_json_body(api: Api) -> None:
    await model_with_versions(api, "churn", 1)
    body = {"name": "churn", "version": "1", "key": "k", "value": "v"}
    ok(await api.post("/model-versions/set-tag", body))
    ok(
        await api.delete(
            "/model-versions/delete-tag", {"name": "churn", "version": "1", "key": "k"}
        )
    )
    assert tags_of(await get_version(api, "churn", "1")) == {}


async def test_delete_of_a_missing_tag_is_resource_does_not_exist(api: Api) -> None:
    await model_with_versions(api, "churn", 1)
    body = {"name": "churn", "version": "1", "key": "k"}
    assert_error(
        await api.delete("/model-versions/delete-tag", body), 404, "RESOURCE_DOES_NOT_EXIST"
    )


# -- stages ------------------------------------------------------------------------------------


async def test_transition_returns_the_version_in_its_canonical_stage(api: Api) -> None:
    await model_with_versions(api, "churn", 1)
    body = {"name": "churn", "version": "1", "stage": "staging"}
    moved = ok(await api.post("/model-versions/transition-stage", body))["model_version"]
    assert moved["current_stage"] == "Staging"


async def test_transition_with_archive_existing_archives_the_others(api: Api) -> None:
    await model_with_versions(api, "churn", 2)
    for version, archive in (("1", False), ("2", True)):
        body = {
            "name": "churn",
            "version": version,
            "stage": "Production",
            "archive_existing_versions": archive,
        }
        ok(await api.post("/model-versions/transition-stage", body))
    assert (await get_version(api, "churn", "1"))["current_stage"] == "Archived"
    assert (await get_version(api, "churn", "2"))["current_stage"] == "Production"


async def test_transition_to_an_unknown_stage_is_refused(api: Api) -> None:
    await model_with_versions(api, "churn", 1)
    body = {"name": "churn", "version": "1", "stage": "Canary"}
    response = await api.post("/model-versions/transition-stage", body)
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "Canary")


# -- search ------------------------------------------------------------------------------------


@pytest.fixture
async def fleet(api: Api) -> tuple[Api, str, str]:
    """alpha v1..v3 (v2 from run B, tagged), beta v1..v2 (run B); the two run ids."""
    run_a, _ = await run_with_model(api)
    run_b, _ = await run_with_model(api)
    await create_model(api, "alpha")
    await create_model(api, "beta")
    for name, run_id, tags in (
        ("alpha", run_a, []),
        ("alpha", run_b, [kv("quality", "gold")]),
        ("alpha", run_a, []),
        ("beta", run_b, []),
        ("beta", run_b, []),
    ):
        await create_version(api, name, f"runs:/{run_id}/model", run_id=run_id, tags=tags)
    return api, run_a, run_b


async def search(api: Api, **params: Any) -> dict[str, Any]:
    return ok(await api.get("/model-versions/search", params))


def pairs(payload: dict[str, Any]) -> list[tuple[str, str]]:
    return [(v["name"], v["version"]) for v in payload.get("model_versions", [])]


async def test_search_by_name(fleet: tuple[Api, str, str]) -> None:
    api, _, _ = fleet
    assert pairs(await search(api, filter="name = 'beta'")) == [("beta", "2"), ("beta", "1")]


async def test_search_by_run_id(fleet: tuple[Api, str, str]) -> None:
    api, run_a, _ = fleet
    payload = await search(api, filter=f"run_id = '{run_a}'")
    assert pairs(payload) == [("alpha", "3"), ("alpha", "1")]


async def test_search_by_tag(fleet: tuple[Api, str, str]) -> None:
    api, _, _ = fleet
    assert pairs(await search(api, filter="tags.quality = 'gold'")) == [("alpha", "2")]


async def test_search_by_version_number(fleet: tuple[Api, str, str]) -> None:
    api, _, _ = fleet
    payload = await search(api, filter="version_number = 3")
    assert pairs(payload) == [("alpha", "3")]


async def test_search_takes_order_by_as_repeated_query_keys(fleet: tuple[Api, str, str]) -> None:
    api, _, _ = fleet
    payload = await search(api, order_by=["name DESC", "version_number ASC"])
    assert pairs(payload) == [
        ("beta", "1"),
        ("beta", "2"),
        ("alpha", "1"),
        ("alpha", "2"),
        ("alpha", "3"),
    ]


async def test_search_pages_with_next_page_token(fleet: tuple[Api, str, str]) -> None:
    api, _, _ = fleet
    order = ["name ASC", "version_number ASC"]
    first = await search(api, max_results="2", order_by=order)
    second = await search(api, max_results="2", order_by=order, page_token=first["next_page_token"])
    third = await search(api, max_results="2", order_by=order, page_token=second["next_page_token"])
    assert pairs(first) + pairs(second) + pairs(third) == [
        ("alpha", "1"),
        ("alpha", "2"),
        ("alpha", "3"),
        ("beta", "1"),
        ("beta", "2"),
    ]
    assert "next_page_token" not in third


@pytest.mark.parametrize(
    "params",
    [
        {"filter": "flavor = 'sklearn'"},
        {"filter": "version_number = 'x' AND"},
        {"order_by": "run_id"},
        {"page_token": "garbage"},
        {"max_results": "200001"},
    ],
    ids=["unknown-attribute", "broken-filter", "bad-order-by", "bad-token", "over-cap"],
)
async def test_search_refuses_bad_parameters(api: Api, params: dict[str, str]) -> None:
    assert_error(await api.get("/model-versions/search", params), 400, "INVALID_PARAMETER_VALUE")


# -- where the files are -----------------------------------------------------------------------


async def test_download_uri_is_the_concrete_location_of_a_runs_source(api: Api) -> None:
    run_id, artifact_uri = await run_with_model(api)
    await create_model(api, "churn")
    await create_version(api, "churn", f"runs:/{run_id}/model")
    params = {"name": "churn", "version": "1"}
    payload = ok(await api.get("/model-versions/get-download-uri", params))
    assert payload == {"artifact_uri": f"{artifact_uri}/model"}
    assert payload["artifact_uri"].startswith("mlflow-artifacts:/")


async def test_get_artifact_serves_a_file_of_the_version(
    api: Api, client: httpx.AsyncClient
) -> None:
    run_id, artifact_uri = await run_with_model(api)
    await upload(client, f"{artifact_uri}/model", "MLmodel", b"flavors: {}\n")
    await create_model(api, "churn")
    await create_version(api, "churn", f"runs:/{run_id}/model")
    params = {"name": "churn", "version": "1", "path": "MLmodel"}
    response = await client.get("/model-versions/get-artifact", params=params)
    assert (response.status_code, response.content) == (200, b"flavors: {}\n")


async def test_get_artifact_of_a_missing_file_is_resource_does_not_exist(
    api: Api, client: httpx.AsyncClient
) -> None:
    await model_with_versions(api, "churn", 1)
    params = {"name": "churn", "version": "1", "path": "MLmodel"}
    response = await client.get("/model-versions/get-artifact", params=params)
    assert_error(response, 404, "RESOURCE_DOES_NOT_EXIST")


@pytest.mark.parametrize("path", ["../secret.txt", "/etc/passwd", "a/%2e%2e/%2e%2e/secret.txt"])
async def test_get_artifact_refuses_paths_outside_the_version(
    api: Api, client: httpx.AsyncClient, path: str
) -> None:
    run_id, artifact_uri = await run_with_model(api)
    # A file beside the version's folder, inside the run: reachable only by climbing out.
    await upload(client, artifact_uri, "secret.txt", b"secret")
    await create_model(api, "churn")
    await create_version(api, "churn", f"runs:/{run_id}/model")
    params = {"name": "churn", "version": "1", "path": path}
    response = await client.get("/model-versions/get-artifact", params=params)
    assert_error(response, 400, "INVALID_PARAMETER_VALUE")


async def test_get_artifact_of_an_unknown_version_is_resource_does_not_exist(
    api: Api, client: httpx.AsyncClient
) -> None:
    await model_with_versions(api, "churn", 1)
    params = {"name": "churn", "version": "2", "path": "MLmodel"}
    response = await client.get("/model-versions/get-artifact", params=params)
    assert_error(response, 404, "RESOURCE_DOES_NOT_EXIST")


# -- errors shared by every version route ------------------------------------------------------

VERSION_CALLS = [
    ("GET", "/model-versions/get", {}),
    ("PATCH", "/model-versions/update", {"description": "d"}),
    ("DELETE", "/model-versions/delete", {}),
    ("POST", "/model-versions/set-tag", {"key": "k", "value": "v"}),
    ("DELETE", "/model-versions/delete-tag", {"key": "k"}),
    ("POST", "/model-versions/transition-stage", {"stage": "Staging"}),
    ("GET", "/model-versions/get-download-uri", {}),
    ("POST", "/registered-models/alias", {"alias": "champ"}),
]
VERSION_CALL_IDS = [f"{method} {path}" for method, path, _ in VERSION_CALLS]


@pytest.mark.parametrize(("method", "path", "fields"), VERSION_CALLS, ids=VERSION_CALL_IDS)
async def test_an_unknown_version_is_resource_does_not_exist(
    api: Api, method: str, path: str, fields: dict[str, Any]
) -> None:
    await model_with_versions(api, "churn", 1)
    response = await call(api, method, path, {"name": "churn", "version": "2", **fields})
    assert_error(response, 404, "RESOURCE_DOES_NOT_EXIST")


@pytest.mark.parametrize(("method", "path", "fields"), VERSION_CALLS, ids=VERSION_CALL_IDS)
async def test_a_model_of_another_name_is_resource_does_not_exist(
    api: Api, method: str, path: str, fields: dict[str, Any]
) -> None:
    await model_with_versions(api, "churn", 1)
    response = await call(api, method, path, {"name": "nobody", "version": "1", **fields})
    assert_error(response, 404, "RESOURCE_DOES_NOT_EXIST", "nobody")


@pytest.mark.parametrize(("method", "path", "fields"), VERSION_CALLS, ids=VERSION_CALL_IDS)
async def test_a_missing_version_is_refused(
    api: Api, method: str, path: str, fields: dict[str, Any]
) -> None:
    await model_with_versions(api, "churn", 1)
    response = await call(api, method, path, {"name": "churn", **fields})
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "'version'")


@pytest.mark.parametrize("version", ["abc", "0"])
@pytest.mark.parametrize(
    ("method", "path", "fields"),
    [VERSION_CALLS[0], VERSION_CALLS[2], VERSION_CALLS[7]],
    ids=[VERSION_CALL_IDS[0], VERSION_CALL_IDS[2], VERSION_CALL_IDS[7]],
)
async def test_a_version_that_is_not_a_positive_integer_is_refused(
    api: Api, method: str, path: str, fields: dict[str, Any], version: str
) -> None:
    await model_with_versions(api, "churn", 1)
    response = await call(api, method, path, {"name": "churn", "version": version, **fields})
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "version")


MISSING_FIELD_CALLS = [
    ("POST", "/model-versions/create", {"source": "models:/churn/1"}, "source"),
    ("POST", "/model-versions/set-tag", {"key": "k", "value": "v"}, "key"),
    ("POST", "/model-versions/set-tag", {"key": "k", "value": "v"}, "value"),
    ("DELETE", "/model-versions/delete-tag", {"key": "k"}, "key"),
    ("POST", "/model-versions/transition-stage", {"stage": "Staging"}, "stage"),
    ("GET", "/model-versions/get-artifact", {"path": "MLmodel"}, "path"),
    ("POST", "/registered-models/rename", {"new_name": "other"}, "new_name"),
    ("POST", "/registered-models/set-tag", {"key": "k", "value": "v"}, "key"),
    ("POST", "/registered-models/set-tag", {"key": "k", "value": "v"}, "value"),
    ("DELETE", "/registered-models/delete-tag", {"key": "k"}, "key"),
    ("POST", "/registered-models/alias", {"alias": "champ"}, "alias"),
    ("GET", "/registered-models/alias", {"alias": "champ"}, "alias"),
    ("DELETE", "/registered-models/alias", {"alias": "champ"}, "alias"),
]


@pytest.mark.parametrize(
    ("method", "path", "fields", "missing"),
    MISSING_FIELD_CALLS,
    ids=[f"{method} {path} {missing}" for method, path, _, missing in MISSING_FIELD_CALLS],
)
async def test_a_missing_required_field_is_refused_by_name(
    api: Api,
    client: httpx.AsyncClient,
    method: str,
    path: str,
    fields: dict[str, Any],
    missing: str,
) -> None:
    await model_with_versions(api, "churn", 1)
    body = {"name": "churn", "version": "1", **fields}
    del body[missing]
    target = Api(client, "") if path == "/model-versions/get-artifact" else api
    response = await call(target, method, path, body)
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", f"'{missing}'")
