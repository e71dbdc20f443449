"""The server's own endpoints: liveness, version and the capabilities MLflow 3 clients probe."""

from __future__ import annotations

import httpx
import pytest

from shipyard import __version__

from .api import ok

pytestmark = pytest.mark.anyio


async def test_health_answers_ok_as_plain_text(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text == "OK"


async def test_version_answers_the_package_version(client: httpx.AsyncClient) -> None:
    response = await client.get("/version")
    assert response.status_code == 200
    assert response.text == __version__


@pytest.mark.parametrize("prefix", ["/api/3.0/mlflow", "/ajax-api/3.0/mlflow"])
async def test_server_info_reports_workspaces_disabled(
    client: httpx.AsyncClient, prefix: str
) -> None:
    info = ok(await client.get(f"{prefix}/server-info"))
    assert info["workspaces_enabled"] is False


async def test_server_info_names_a_store_type(client: httpx.AsyncClient) -> None:
    info = ok(await client.get("/api/3.0/mlflow/server-info"))
    assert isinstance(info["store_type"], str) and info["store_type"]


async def test_openapi_spec_is_served_as_json(client: httpx.AsyncClient) -> None:
    spec = ok(await client.get("/openapi.json"))
    assert spec["openapi"].startswith("3.")
    assert "/api/2.0/mlflow/runs/log-batch" in spec["paths"]
