"""The registry's REST calls as MLflow's client makes them, for the in-process API tests.

Set-up helpers assert success and return the decoded message; tests that look at a failure use
``Api``'s raw verbs (GET with query strings, DELETE with JSON bodies).
"""

from __future__ import annotations

from typing import Any

import httpx

from server.api import Api, key_values, ok

SHIPYARD = "/api/2.0/shipyard"
ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts"


async def create_model(api: Api, name: str, **fields: Any) -> dict[str, Any]:
    """Create a registered model; the RegisteredModel message."""
    response = await api.post("/registered-models/create", {"name": name, **fields})
    model: dict[str, Any] = ok(response)["registered_model"]
    return model


async def get_model(api: Api, name: str) -> dict[str, Any]:
    """The RegisteredModel message."""
    model: dict[str, Any] = ok(await api.get("/registered-models/get", {"name": name}))[
        "registered_model"
    ]
    return model


async def create_version(api: Api, name: str, source: str, **fields: Any) -> dict[str, Any]:
    """Create a model version; the ModelVersion message."""
    body = {"name": name, "source": source, **fields}
    version: dict[str, Any] = ok(await api.post("/model-versions/create", body))["model_version"]
    return version


async def get_version(api: Api, name: str, version: str) -> dict[str, Any]:
    """The ModelVersion message."""
    response = await api.get("/model-versions/get", {"name": name, "version": version})
    found: dict[str, Any] = ok(response)["model_version"]
    return found


async def version_numbers(api: Api, name: str) -> list[str]:
    """The version numbers a model has, as model-versions/search lists them."""
    payload = ok(await api.get("/model-versions/search", {"filter": f"name = '{name}'"}))
    return [version["version"] for version in payload.get("model_versions", [])]


async def run_with_model(api: Api) -> tuple[str, str]:
    """A run in the Default experiment; its id and artifact URI."""
    run = await api.create_run()
    return run["info"]["run_id"], run["info"]["artifact_uri"]


async def model_with_versions(api: Api, name: str, count: int) -> str:
    """A registered model with ``count`` versions from one run; the run id."""
    run_id, _ = await run_with_model(api)
    await create_model(api, name)
    for _ in range(count):
        await create_version(api, name, f"runs:/{run_id}/model", run_id=run_id)
    return run_id


async def upload(http: httpx.AsyncClient, uri: str, name: str, content: bytes) -> None:
    """Upload one file under an ``mlflow-artifacts:/`` location through the proxy."""
    path = uri.removeprefix("mlflow-artifacts:").lstrip("/")
    response = await http.put(f"{ARTIFACTS}/{path}/{name}", content=content)
    assert response.status_code == 200, response.text


async def call(api: Api, method: str, path: str, fields: dict[str, Any]) -> httpx.Response:
    """Send ``fields`` the way MLflow's client does for that verb: GET in the query string,
    everything else (DELETE too) as a JSON body."""
    if method == "GET":
        return await api.get(path, fields)
    if method == "DELETE":
        return await api.delete(path, fields)
    if method == "PATCH":
        return await api.patch(path, fields)
    return await api.post(path, fields)


def tags_of(message: dict[str, Any]) -> dict[str, str]:
    """A registry message's tags as a dict."""
    return key_values(message.get("tags"))
