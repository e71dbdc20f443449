"""Aliases through MLflow's routes, and Shipyard's own registry routes: the alias history and
approval status of versions."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from server.api import Api, assert_error, ok

from .registry_api import SHIPYARD, get_model, get_version, model_with_versions

pytestmark = pytest.mark.anyio

HISTORY = f"{SHIPYARD}/registered-models/alias-history"
APPROVAL = f"{SHIPYARD}/model-versions/approval"


@pytest.fixture
async def churn(api: Api) -> Api:
    """A registered model ``churn`` with versions 1, 2 and 3."""
    await model_with_versions(api, "churn", 3)
    return api


async def set_alias(api: Api, alias: str, version: str) -> None:
    body = {"name": "churn", "alias": alias, "version": version}
    assert ok(await api.post("/registered-models/alias", body)) == {}


async def by_alias(api: Api, alias: str) -> httpx.Response:
    return await api.get("/registered-models/alias", {"name": "churn", "alias": alias})


# -- aliases -----------------------------------------------------------------------------------


async def test_get_by_alias_returns_the_version_with_its_aliases(churn: Api) -> None:
    await set_alias(churn, "champion", "2")
    version = ok(await by_alias(churn, "champion"))["model_version"]
    assert (version["version"], version["aliases"]) == ("2", ["champion"])


async def test_aliases_are_strings_on_versions_and_pairs_on_models(churn: Api) -> None:
    await set_alias(churn, "champion", "2")
    await set_alias(churn, "challenger", "3")
    assert (await get_version(churn, "churn", "3"))["aliases"] == ["challenger"]
    model = await get_model(churn, "churn")
    assert sorted(model["aliases"], key=lambda a: a["alias"]) == [
        {"alias": "challenger", "version": "3"},
        {"alias": "champion", "version": "2"},
    ]


async def test_setting_an_alias_again_moves_it(churn: Api) -> None:
    await set_alias(churn, "champion", "1")
    await set_alias(churn, "champion", "3")
    assert ok(await by_alias(churn, "champion"))["model_version"]["version"] == "3"
    assert "aliases" not in await get_version(churn, "churn", "1")


async def test_set_alias_accepts_the_version_as_a_json_number(churn: Api) -> None:
    body = {"name": "churn", "alias": "champion", "version": 2}
    ok(await churn.post("/registered-models/alias", body))
    assert ok(await by_alias(churn, "champion"))["model_version"]["version"] == "2"


@pytest.mark.parametrize("alias", ["latest", "Latest", "v3", "V1"])
async def test_reserved_alias_names_are_refused(churn: Api, alias: str) -> None:
    body = {"name": "churn", "alias": alias, "version": "1"}
    response = await churn.post("/registered-models/alias", body)
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "reserved")


@pytest.mark.parametrize("alias", ["a b", "a/b", "x" * 256])
async def test_malformed_alias_names_are_refused(churn: Api, alias: str) -> None:
    body = {"name": "churn", "alias": alias, "version": "1"}
    response = await churn.post("/registered-models/alias", body)
    assert response.status_code == 400, response.text
    assert "aliases" not in await get_model(churn, "churn")


async def test_latest_resolves_to_the_newest_version(churn: Api) -> None:
    assert ok(await by_alias(churn, "latest"))["model_version"]["version"] == "3"


async def test_get_by_an_unknown_alias_is_invalid_parameter_value_as_in_mlflow(
    churn: Api,
) -> None:
    # MLflow answers 400 INVALID_PARAMETER_VALUE "Registered model alias ... not found." here.
    assert_error(await by_alias(churn, "champion"), 400, "INVALID_PARAMETER_VALUE", "champion")


async def test_delete_alias_takes_a_json_body(churn: Api) -> None:
    await set_alias(churn, "champion", "1")
    body = {"name": "churn", "alias": "champion"}
    assert ok(await churn.delete("/registered-models/alias", body)) == {}
    assert "aliases" not in await get_model(churn, "churn")
    assert "aliases" not in await get_version(churn, "churn", "1")


async def test_delete_of_a_missing_alias_succeeds(churn: Api) -> None:
    body = {"name": "churn", "alias": "champion"}
    assert ok(await churn.delete("/registered-models/alias", body)) == {}


async def test_deleting_a_version_removes_its_aliases(churn: Api) -> None:
    await set_alias(churn, "champion", "2")
    ok(await churn.delete("/model-versions/delete", {"name": "churn", "version": "2"}))
    assert "aliases" not in await get_model(churn, "churn")


async def test_an_alias_on_an_unknown_version_is_resource_does_not_exist(churn: Api) -> None:
    body = {"name": "churn", "alias": "champion", "version": "4"}
    response = await churn.post("/registered-models/alias", body)
    assert_error(response, 404, "RESOURCE_DOES_NOT_EXIST")


# -- alias history (Shipyard) ------------------------------------------------------------------


async def history(api: Api, **params: str) -> list[dict[str, Any]]:
    payload = ok(await api.http.get(HISTORY, params={"name": "churn", **params}))
    changes: list[dict[str, Any]] = payload["changes"]
    return changes


async def test_history_lists_every_set_move_and_delete_in_order(churn: Api) -> None:
    await set_alias(churn, "champion", "1")
    await set_alias(churn, "champion", "2")
    ok(await churn.delete("/registered-models/alias", {"name": "churn", "alias": "champion"}))
    changes = await history(churn)
    assert [(c["alias"], c["from_version"], c["to_version"]) for c in changes] == [
        ("champion", None, "1"),
        ("champion", "1", "2"),
        ("champion", "2", None),
    ]
    assert all(c["name"] == "churn" and isinstance(c["timestamp"], int) for c in changes)


async def test_history_records_removal_by_version_deletion(churn: Api) -> None:
    await set_alias(churn, "champion", "3")
    ok(await churn.delete("/model-versions/delete", {"name": "churn", "version": "3"}))
    changes = await history(churn)
    assert [(c["from_version"], c["to_version"]) for c in changes] == [(None, "3"), ("3", None)]


async def test_history_filters_by_alias(churn: Api) -> None:
    await set_alias(churn, "champion", "1")
    await set_alias(churn, "challenger", "2")
    changes = await history(churn, alias="challenger")
    assert [(c["alias"], c["to_version"]) for c in changes] == [("challenger", "2")]


async def test_history_of_a_model_without_moves_is_empty(churn: Api) -> None:
    assert await history(churn) == []


async def test_history_of_an_unknown_model_is_resource_does_not_exist(api: Api) -> None:
    response = await api.http.get(HISTORY, params={"name": "nobody"})
    assert_error(response, 404, "RESOURCE_DOES_NOT_EXIST", "nobody")


async def test_history_without_a_name_is_refused(api: Api) -> None:
    assert_error(await api.http.get(HISTORY), 400, "INVALID_PARAMETER_VALUE", "'name'")


# -- approval (Shipyard) -----------------------------------------------------------------------


async def approval_of(api: Api, version: str) -> dict[str, Any]:
    response = await api.http.get(APPROVAL, params={"name": "churn", "version": version})
    found: dict[str, Any] = ok(response)["approval"]
    return found


async def test_a_new_version_is_pending_manual_approval(churn: Api) -> None:
    assert await approval_of(churn, "1") == {
        "name": "churn",
        "version": "1",
        "status": "PendingManualApproval",
        "comment": None,
        "updated_by": None,
        "updated_timestamp": None,
    }


async def test_post_approval_records_the_decision(churn: Api) -> None:
    body = {"name": "churn", "version": "2", "status": "Approved", "comment": "looks good"}
    answer = ok(await churn.http.post(APPROVAL, json=body))["approval"]
    assert (answer["status"], answer["comment"]) == ("Approved", "looks good")
    assert isinstance(answer["updated_timestamp"], int)
    assert await approval_of(churn, "2") == answer


async def test_post_rejection_leaves_other_versions_pending(churn: Api) -> None:
    body = {"name": "churn", "version": "2", "status": "Rejected", "comment": "drift"}
    ok(await churn.http.post(APPROVAL, json=body))
    assert (await approval_of(churn, "2"))["status"] == "Rejected"
    assert (await approval_of(churn, "1"))["status"] == "PendingManualApproval"


async def test_post_approval_accepts_the_version_as_a_json_number(churn: Api) -> None:
    body = {"name": "churn", "version": 3, "status": "Approved"}
    assert ok(await churn.http.post(APPROVAL, json=body))["approval"]["version"] == "3"


async def test_an_unknown_approval_status_is_refused(churn: Api) -> None:
    body = {"name": "churn", "version": "1", "status": "Maybe"}
    response = await churn.http.post(APPROVAL, json=body)
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "Maybe")
    assert (await approval_of(churn, "1"))["status"] == "PendingManualApproval"


@pytest.mark.parametrize(
    "body",
    [{"version": "1", "status": "Approved"}, {"name": "churn", "status": "Approved"}],
    ids=["no-name", "no-version"],
)
async def test_post_approval_without_a_required_field_is_refused(
    churn: Api, body: dict[str, str]
) -> None:
    response = await churn.http.post(APPROVAL, json=body)
    assert_error(response, 400, "INVALID_PARAMETER_VALUE")


async def test_post_approval_without_a_status_is_refused(churn: Api) -> None:
    response = await churn.http.post(APPROVAL, json={"name": "churn", "version": "1"})
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "'status'")


async def send_approval(api: Api, method: str, version: str) -> httpx.Response:
    fields = {"name": "churn", "version": version}
    if method == "GET":
        return await api.http.get(APPROVAL, params=fields)
    return await api.http.post(APPROVAL, json={**fields, "status": "Approved"})


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_approval_of_an_unknown_version_is_resource_does_not_exist(
    churn: Api, method: str
) -> None:
    response = await send_approval(churn, method, "4")
    assert_error(response, 404, "RESOURCE_DOES_NOT_EXIST")


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("version", ["abc", "0"])
async def test_approval_of_a_version_that_is_not_a_positive_integer_is_refused(
    churn: Api, method: str, version: str
) -> None:
    response = await send_approval(churn, method, version)
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "version")
