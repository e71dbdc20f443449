"""Shipyard's registry views: the approval state of every version of a model in one call."""

from __future__ import annotations

import pytest

from registry.registry_api import SHIPYARD, create_model, model_with_versions
from server.api import Api, assert_error, ok

pytestmark = pytest.mark.anyio

APPROVALS = f"{SHIPYARD}/model-versions/approvals"
APPROVAL = f"{SHIPYARD}/model-versions/approval"


async def test_approvals_list_every_version_newest_first(api: Api) -> None:
    await model_with_versions(api, "churn", 3)
    decision = {"name": "churn", "version": "2", "status": "Approved", "comment": "ok"}
    ok(await api.http.post(APPROVAL, json=decision))
    approvals = ok(await api.http.get(APPROVALS, params={"name": "churn"}))["approvals"]
    assert [(a["version"], a["status"]) for a in approvals] == [
        ("3", "PendingManualApproval"),
        ("2", "Approved"),
        ("1", "PendingManualApproval"),
    ]
    assert approvals[1]["comment"] == "ok"
    assert isinstance(approvals[1]["updated_timestamp"], int)


async def test_approvals_of_a_model_without_versions_are_empty(api: Api) -> None:
    await create_model(api, "empty")
    assert ok(await api.http.get(APPROVALS, params={"name": "empty"})) == {"approvals": []}


async def test_approvals_match_the_name_exactly_even_with_quotes(api: Api) -> None:
    await model_with_versions(api, "it's", 1)
    await model_with_versions(api, "it's-not", 2)
    approvals = ok(await api.http.get(APPROVALS, params={"name": "it's"}))["approvals"]
    assert [(a["name"], a["version"]) for a in approvals] == [("it's", "1")]


async def test_approvals_of_an_unknown_model_are_resource_does_not_exist(api: Api) -> None:
    response = await api.http.get(APPROVALS, params={"name": "nobody"})
    assert_error(response, 404, "RESOURCE_DOES_NOT_EXIST", "nobody")


async def test_approvals_without_a_name_are_refused(api: Api) -> None:
    response = await api.http.get(APPROVALS)
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "name")
