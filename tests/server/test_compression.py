"""Large JSON answers are gzipped for clients that accept gzip; nothing else changes."""

from __future__ import annotations

import gzip
from typing import Any

import httpx
import pytest

from server.api import API, Api, kv, ok
from shipyard.server.compression import DEFAULT_MINIMUM_BYTES, accepts_gzip

pytestmark = pytest.mark.anyio

GZIP = {"Accept-Encoding": "gzip"}
ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts"


@pytest.mark.parametrize(
    ("header", "accepted"),
    [
        ("gzip", True),
        ("gzip, deflate, br, zstd", True),
        ("deflate, GZIP;q=0.5", True),
        ("*", True),
        ("gzip;q=0", False),
        ("gzip; q=0.0", False),
        ("gzip;q=x", False),
        ("identity", False),
        ("deflate, br", False),
        ("", False),
    ],
)
def test_accept_encoding_is_read_with_its_quality_values(header: str, accepted: bool) -> None:
    assert accepts_gzip(header) is accepted


async def _search_larger_than_the_threshold(api: Api) -> dict[str, Any]:
    """Runs whose search page is well over the compression threshold."""
    experiment_id = await api.create_experiment("big-answers")
    for number in range(12):
        run_id = await api.create_run_id(experiment_id)
        tags = [kv(f"note{k}", f"run {number} note {k} " * 300) for k in range(8)]
        ok(await api.post("/runs/log-batch", {"run_id": run_id, "tags": tags}))
    return {"experiment_ids": [experiment_id], "max_results": 100}


async def test_a_large_json_answer_is_gzipped_and_decodes_to_the_same_json(
    api: Api, client: httpx.AsyncClient
) -> None:
    search = await _search_larger_than_the_threshold(api)

    plain = await client.post(f"{API}/runs/search", json=search, headers={"Accept-Encoding": ""})
    async with client.stream("POST", f"{API}/runs/search", json=search, headers=GZIP) as compressed:
        raw = b"".join([chunk async for chunk in compressed.aiter_raw()])

    assert "content-encoding" not in plain.headers
    assert len(plain.content) > DEFAULT_MINIMUM_BYTES
    assert compressed.status_code == 200
    assert compressed.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in compressed.headers["vary"].lower()
    assert int(compressed.headers["content-length"]) == len(raw)
    assert len(raw) * 5 < len(plain.content)
    assert gzip.decompress(raw) == plain.content


async def test_a_small_json_answer_is_sent_as_it_is(api: Api, client: httpx.AsyncClient) -> None:
    run_id = await api.create_run_id()

    response = await client.get(f"{API}/runs/get", params={"run_id": run_id}, headers=GZIP)

    assert response.status_code == 200
    assert "content-encoding" not in response.headers
    assert response.json()["run"]["info"]["run_id"] == run_id


@pytest.mark.parametrize("accept", ["gzip;q=0", "identity", ""])
async def test_a_client_that_refuses_gzip_gets_the_answer_uncompressed(
    api: Api, client: httpx.AsyncClient, accept: str
) -> None:
    search = await _search_larger_than_the_threshold(api)

    response = await client.post(
        f"{API}/runs/search", json=search, headers={"Accept-Encoding": accept}
    )

    assert response.status_code == 200
    assert "content-encoding" not in response.headers
    assert len(response.json()["runs"]) == 12


async def test_a_large_json_artifact_downloads_byte_for_byte(
    api: Api, client: httpx.AsyncClient
) -> None:
    run = await api.create_run()
    root = run["info"]["artifact_uri"].removeprefix("mlflow-artifacts:/")
    document = b'{"weights": [' + b", ".join(b"0.125" for _ in range(60_000)) + b"]}"
    assert len(document) > DEFAULT_MINIMUM_BYTES
    url = f"{ARTIFACTS}/{root}/model/weights.json"
    assert (await client.put(url, content=document)).status_code == 200

    async with client.stream("GET", url, headers=GZIP) as response:
        raw = b"".join([chunk async for chunk in response.aiter_raw()])

    assert response.status_code == 200
    assert "content-encoding" not in response.headers
    assert int(response.headers["content-length"]) == len(document)
    assert raw == document
