"""Shipyard's runs-table routes over the wire: columns, run counts, table pages, purge."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from shipyard.server.settings import ServerSettings

from .api import Api, assert_error, kv, metric, ok

pytestmark = pytest.mark.anyio

SHIPYARD = "/api/2.0/shipyard"
FIELDS = [
    "run_id", "experiment_id", "run_name", "user_id", "status", "start_time", "end_time",
    "lifecycle_stage", "parent_run_id",
]  # fmt: skip


async def _sweep(api: Api, experiment_id: str, count: int = 3) -> list[str]:
    """Runs whose loss falls as they get newer; each has an lr param."""
    ids = []
    for number in range(count):
        run_id = await api.create_run_id(
            experiment_id, run_name=f"trial-{number}", start_time=1000 + number
        )
        await api.log_batch(
            run_id, metrics=[metric("loss", 1 - number / 10)], params=[kv("lr", str(number))]
        )
        ids.append(run_id)
    return ids


async def _table(client: httpx.AsyncClient, **body: Any) -> httpx.Response:
    return await client.post(f"{SHIPYARD}/runs/table", json=body)


async def test_columns_lists_keys_with_run_counts(api: Api, client: httpx.AsyncClient) -> None:
    experiment_id = await api.create_experiment("sweep")
    await _sweep(api, experiment_id)

    body = ok(await client.get(f"{SHIPYARD}/experiments/columns?experiment_ids={experiment_id}"))

    assert body["run_count"] == 3
    assert body["metrics"] == [{"key": "loss", "count": 3}]
    assert body["params"] == [{"key": "lr", "count": 3}]
    assert {"key": "mlflow.runName", "count": 3} in body["tags"]
    assert body["truncated"] is False


async def test_columns_can_count_a_sample_of_the_newest_runs(
    api: Api, client: httpx.AsyncClient
) -> None:
    experiment_id = await api.create_experiment("sweep")
    await _sweep(api, experiment_id)
    url = f"{SHIPYARD}/experiments/columns?experiment_ids={experiment_id}"

    sampled = ok(await client.get(f"{url}&sample_runs=2"))
    whole = ok(await client.get(f"{url}&sample_runs=3"))

    assert sampled["run_count"] == 3 and sampled["sampled_runs"] == 2
    assert sampled["metrics"] == [{"key": "loss", "count": 2}]
    assert "sampled_runs" not in whole and whole["metrics"] == [{"key": "loss", "count": 3}]
    assert_error(await client.get(f"{url}&sample_runs=0"), 400, "INVALID_PARAMETER_VALUE")
    assert_error(await client.get(f"{url}&sample_runs=x"), 400, "INVALID_PARAMETER_VALUE")


async def test_columns_takes_ids_repeated_or_comma_separated(
    api: Api, client: httpx.AsyncClient
) -> None:
    first, second = await api.create_experiment("a"), await api.create_experiment("b")
    await _sweep(api, first, 1)
    await _sweep(api, second, 2)

    repeated = ok(
        await client.get(
            f"{SHIPYARD}/experiments/columns", params={"experiment_ids": [first, second]}
        )
    )
    joined = ok(await client.get(f"{SHIPYARD}/experiments/columns?experiment_ids={first},{second}"))

    assert repeated == joined
    assert joined["run_count"] == 3


async def test_columns_refuses_a_bad_view_type(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{SHIPYARD}/experiments/columns?experiment_ids=0&view_type=x")

    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "view_type")


async def test_run_counts_per_experiment(api: Api, client: httpx.AsyncClient) -> None:
    experiment_id = await api.create_experiment("sweep")
    ids = await _sweep(api, experiment_id)
    ok(await api.post("/runs/delete", {"run_id": ids[0]}))

    body = ok(await client.get(f"{SHIPYARD}/experiments/run-counts?experiment_ids={experiment_id}"))

    assert body == {
        "experiments": [
            {
                "experiment_id": experiment_id,
                "active_runs": 2,
                "deleted_runs": 1,
                "last_run_start_time": 1002,
            }
        ]
    }


async def test_table_returns_compact_rows_of_the_chosen_columns(
    api: Api, client: httpx.AsyncClient
) -> None:
    experiment_id = await api.create_experiment("sweep")
    ids = await _sweep(api, experiment_id)

    body = ok(
        await _table(
            client,
            experiment_ids=[experiment_id],
            columns=["metrics.loss", "params.lr", "tags.missing"],
            order_by=["metrics.loss ASC"],
        )
    )

    assert body["fields"] == FIELDS
    assert body["columns"] == ["metrics.loss", "params.lr", "tags.missing"]
    assert [row[0] for row in body["rows"]] == ids[::-1]
    newest = body["rows"][0]
    assert newest[:9] == [ids[2], experiment_id, "trial-2", "unknown", "RUNNING", 1002, None,
                          "active", None]  # fmt: skip
    assert newest[9:] == [0.8, "2", None]
    assert "next_page_token" not in body


async def test_table_writes_nan_as_protobuf_does(api: Api, client: httpx.AsyncClient) -> None:
    experiment_id = await api.create_experiment("nan")
    run_id = await api.create_run_id(experiment_id)
    await api.log_batch(run_id, metrics=[metric("loss", "NaN"), metric("gain", "Infinity")])

    body = ok(
        await _table(
            client, experiment_ids=[experiment_id], columns=["metrics.loss", "metrics.gain"]
        )
    )

    assert body["rows"][0][9:] == ["NaN", "Infinity"]


async def test_table_pages_with_tokens(api: Api, client: httpx.AsyncClient) -> None:
    experiment_id = await api.create_experiment("sweep")
    ids = await _sweep(api, experiment_id)

    first = ok(await _table(client, experiment_ids=[experiment_id], max_results=2))
    second = ok(
        await _table(
            client,
            experiment_ids=[experiment_id],
            max_results=2,
            page_token=first["next_page_token"],
        )
    )

    assert [row[0] for row in first["rows"] + second["rows"]] == ids[::-1]
    assert "next_page_token" not in second


async def test_table_filter_with_or(api: Api, client: httpx.AsyncClient) -> None:
    experiment_id = await api.create_experiment("sweep")
    ids = await _sweep(api, experiment_id)

    body = ok(
        await _table(
            client,
            experiment_ids=[experiment_id],
            filter="params.lr = '0' OR metrics.loss < 0.85",
        )
    )

    assert {row[0] for row in body["rows"]} == {ids[0], ids[2]}


async def test_table_filter_error_carries_the_caret_line(client: httpx.AsyncClient) -> None:
    response = await _table(client, experiment_ids=["0"], filter="metrics.loss < 1 OR oops")

    message = assert_error(response, 400, "INVALID_PARAMETER_VALUE", "Invalid filter")
    assert message.splitlines()[-1].strip() == "^"


async def test_table_refuses_an_unknown_column_family(client: httpx.AsyncClient) -> None:
    response = await _table(client, experiment_ids=["0"], columns=["attributes.status"])

    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "metrics.<key>")


async def test_table_refuses_a_page_over_the_cap(client: httpx.AsyncClient) -> None:
    response = await _table(client, experiment_ids=["0"], max_results=50_001)

    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "at most 50000")


async def test_table_shows_deleted_runs_in_the_deleted_view(
    api: Api, client: httpx.AsyncClient
) -> None:
    experiment_id = await api.create_experiment("sweep")
    ids = await _sweep(api, experiment_id)
    ok(await api.post("/runs/delete", {"run_id": ids[1]}))

    body = ok(await _table(client, experiment_ids=[experiment_id], run_view_type="DELETED_ONLY"))

    assert [(row[0], row[7]) for row in body["rows"]] == [(ids[1], "deleted")]


def _artifact_file(settings: ServerSettings, experiment_id: str, run_id: str) -> Path:
    path = Path(settings.artifacts_destination) / experiment_id / run_id / "artifacts" / "a.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("hello")
    return path


async def test_purge_deletes_deleted_runs_and_their_artifacts(
    api: Api, client: httpx.AsyncClient, settings: ServerSettings
) -> None:
    experiment_id = await api.create_experiment("sweep")
    ids = await _sweep(api, experiment_id)
    artifact = _artifact_file(settings, experiment_id, ids[0])
    ok(await api.post("/runs/delete", {"run_id": ids[0]}))

    body = ok(await client.post(f"{SHIPYARD}/runs/purge", json={"run_ids": [ids[0]]}))

    assert body == {"purged": [ids[0]], "artifact_files_deleted": 1}
    assert not artifact.parent.parent.exists()
    assert_error(await api.get("/runs/get", {"run_id": ids[0]}), 404, "RESOURCE_DOES_NOT_EXIST")
    assert (await api.get_run(ids[1]))["info"]["run_id"] == ids[1]


async def test_purge_refuses_a_live_run_and_purges_nothing(
    api: Api, client: httpx.AsyncClient
) -> None:
    experiment_id = await api.create_experiment("sweep")
    ids = await _sweep(api, experiment_id)
    ok(await api.post("/runs/delete", {"run_id": ids[0]}))

    response = await client.post(f"{SHIPYARD}/runs/purge", json={"run_ids": ids[:2]})

    assert_error(response, 400, "INVALID_PARAMETER_VALUE", f"run {ids[1]} is active")
    assert (await api.get_run(ids[0]))["info"]["lifecycle_stage"] == "deleted"


async def test_purge_of_an_unknown_run_is_not_found(client: httpx.AsyncClient) -> None:
    response = await client.post(f"{SHIPYARD}/runs/purge", json={"run_ids": ["f" * 32]})

    assert_error(response, 404, "RESOURCE_DOES_NOT_EXIST", "not found")


async def test_purge_needs_a_list_of_run_ids(client: httpx.AsyncClient) -> None:
    response = await client.post(f"{SHIPYARD}/runs/purge", json={})

    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "run_ids")
