"""Purging deleted experiments from the UI's API: everything in them goes, nothing else does."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from shipyard.server.settings import ServerSettings

from .api import Api, assert_error, ok

pytestmark = pytest.mark.anyio

PURGE = "/api/2.0/shipyard/experiments/purge"


def _artifact(settings: ServerSettings, *parts: str) -> Path:
    path = Path(settings.artifacts_destination).joinpath(*parts, "a.txt")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("hello")
    return path


async def test_purging_a_deleted_experiment_removes_it_its_runs_and_artifacts(
    api: Api, client: httpx.AsyncClient, settings: ServerSettings
) -> None:
    doomed = await api.create_experiment("doomed")
    kept = await api.create_experiment("kept")
    run_ids = [await api.create_run_id(doomed) for _ in range(2)]
    kept_run = await api.create_run_id(kept)
    files = [_artifact(settings, doomed, run_id, "artifacts") for run_id in run_ids]
    kept_file = _artifact(settings, kept, kept_run, "artifacts")
    ok(await api.post("/runs/delete", {"run_id": run_ids[0]}))  # one deleted, one live
    ok(await api.post("/experiments/delete", {"experiment_id": doomed}))

    body = ok(await client.post(PURGE, json={"experiment_ids": [doomed]}))

    assert body == {
        "purged": [doomed],
        "runs_purged": 2,
        "logged_models_purged": 0,
        "artifact_files_deleted": 2,
    }
    assert not any(path.exists() for path in files)
    assert kept_file.exists()
    assert_error(
        await api.get("/experiments/get", {"experiment_id": doomed}), 404, "RESOURCE_DOES_NOT_EXIST"
    )
    for run_id in run_ids:
        assert_error(await api.get("/runs/get", {"run_id": run_id}), 404, "RESOURCE_DOES_NOT_EXIST")
    assert (await api.get_run(kept_run))["info"]["run_id"] == kept_run
    # the name is free again
    assert await api.create_experiment("doomed") != doomed


async def test_a_live_experiment_is_refused_and_nothing_is_purged(
    api: Api, client: httpx.AsyncClient
) -> None:
    deleted = await api.create_experiment("deleted-one")
    live = await api.create_experiment("live-one")
    ok(await api.post("/experiments/delete", {"experiment_id": deleted}))

    response = await client.post(PURGE, json={"experiment_ids": [deleted, live]})

    assert_error(response, 400, "INVALID_PARAMETER_VALUE", live, "not deleted")
    assert (await api.get_experiment(deleted))["lifecycle_stage"] == "deleted"
    assert (await api.get_experiment(live))["lifecycle_stage"] == "active"


async def test_bad_purge_requests_are_clear_errors(client: httpx.AsyncClient) -> None:
    assert_error(
        await client.post(PURGE, json={}), 400, "INVALID_PARAMETER_VALUE", "experiment_ids"
    )
    assert_error(
        await client.post(PURGE, json={"experiment_ids": []}), 400, "INVALID_PARAMETER_VALUE"
    )
    assert_error(
        await client.post(PURGE, json={"experiment_ids": ["../1"]}),
        400,
        "INVALID_PARAMETER_VALUE",
    )
    assert_error(
        await client.post(PURGE, json={"experiment_ids": ["999999"]}),
        400,
        "INVALID_PARAMETER_VALUE",
        "999999",
    )
