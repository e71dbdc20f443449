"""Model version sources (issue 4): only locations inside this server's artifact store register.

MLflow accepted any URI as a version's source, and its download routes then served whatever the
source named: local files through ``file://`` (CVE-2023-1177), ``..`` climbs (CVE-2023-2356),
fragments and parameters that hide a climb from the check but not from the reader
(CVE-2024-1558). Each refused source must get a 4xx and leave the model without a version.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from server.api import Api, ok
from shipyard.artifacts.local import LocalArtifactStore
from shipyard.server.settings import ServerSettings

from .registry_api import create_model, create_version, get_model, run_with_model, upload
from .registry_api import version_numbers as numbers

pytestmark = pytest.mark.anyio

UNKNOWN_ID = "0" * 32


@dataclass(frozen=True)
class Site:
    """A run in the Default experiment, the model ``base`` (version 1 from that run), and the
    model ``churn`` without versions, on an app whose artifact store is ``root``."""

    api: Api
    run_id: str
    run_uri: str
    root: str

    def source(self, template: str) -> str:
        return template.format(run=self.run_id, root=self.root, unknown=UNKNOWN_ID)


@pytest.fixture
async def site(api: Api, settings: ServerSettings) -> Site:
    run_id, run_uri = await run_with_model(api)
    await create_model(api, "base")
    await create_version(api, "base", f"runs:/{run_id}/model")
    await create_model(api, "churn")
    root = LocalArtifactStore(settings.artifacts_destination).uri
    assert root.startswith("file:///") and Path(settings.artifacts_destination).name in root
    return Site(api, run_id, run_uri, root)


async def download_uri(api: Api, name: str, version: str) -> str:
    params = {"name": name, "version": version}
    uri: str = ok(await api.get("/model-versions/get-download-uri", params))["artifact_uri"]
    return uri


# -- refused -----------------------------------------------------------------------------------

REFUSED = {
    "file-etc-passwd": "file:///etc/passwd",
    "file-etc-passwd-one-slash": "file:/etc/passwd",
    "plain-absolute-path": "/etc/passwd",
    "plain-relative-path": "./relative",
    "plain-parent-path": "../x",
    "http-foreign-host": "http://evil.example/model",
    "https-foreign-host": "https://host/x",
    "s3-foreign-bucket": "s3://someone-elses-bucket/x",
    "runs-dotdot": "runs:/{run}/../../x",
    "runs-encoded-dotdot": "runs:/{run}/a/%2e%2e/%2e%2e/x",
    "runs-unknown-run": "runs:/{unknown}/model",
    "proxy-dotdot": "mlflow-artifacts:/../x",
    "proxy-climb": "mlflow-artifacts:/0/../../etc",
    "proxy-encoded-slash-climb": "mlflow-artifacts:/0/..%2f..%2fetc",
    "proxy-store-root": "mlflow-artifacts:/",
    "models-unknown-logged-model": "models:/m-{unknown}",
    "models-dotdot": "models:/base/../1",
    "models-unknown-version": "models:/base/9",
    "models-unknown-model": "models:/nobody/1",
    "file-store-root-climb": "{root}/../outside",
    "file-store-root-fragment": "{root}/0#/../../../etc",
    "runs-fragment": "runs:/{run}/model#frag",
    "runs-fragment-climb": "runs:/{run}/model#/../../../../etc",
    "proxy-fragment-climb": "mlflow-artifacts:/0/{run}/artifacts#/../../../../etc",
    "models-fragment": "models:/base/1#/../../etc",
    "runs-params": "runs:/{run}/model;x=1",
    "proxy-params": "mlflow-artifacts:/0/{run}/artifacts/model;../../x",
    "runs-nul": "runs:/{run}/mo\x00del",
    "proxy-encoded-nul": "mlflow-artifacts:/0/{run}/artifacts/model%00",
}


@pytest.mark.parametrize("template", list(REFUSED.values()), ids=list(REFUSED))
async def test_a_source_outside_the_artifact_store_is_refused_and_creates_no_version(
    site: Site, template: str
) -> None:
    source = site.source(template)
    response = await site.api.post("/model-versions/create", {"name": "churn", "source": source})
    assert 400 <= response.status_code < 500, f"{source!r}: {response.status_code} {response.text}"
    assert response.json()["error_code"] in ("INVALID_PARAMETER_VALUE", "RESOURCE_DOES_NOT_EXIST")
    assert await numbers(site.api, "churn") == []
    assert "latest_versions" not in await get_model(site.api, "churn")


async def test_a_run_whose_experiment_stores_artifacts_elsewhere_is_refused(site: Site) -> None:
    body = {"name": "elsewhere", "artifact_location": "s3://someone-elses-bucket/prefix"}
    experiment_id = ok(await site.api.post("/experiments/create", body))["experiment_id"]
    run_id = await site.api.create_run_id(experiment_id)
    body = {"name": "churn", "source": f"runs:/{run_id}/model"}
    response = await site.api.post("/model-versions/create", body)
    assert response.status_code == 400, response.text
    assert await numbers(site.api, "churn") == []


async def test_a_refused_source_uses_up_no_version_number(site: Site) -> None:
    body = {"name": "churn", "source": "file:///etc/passwd"}
    assert (await site.api.post("/model-versions/create", body)).status_code == 400
    created = await create_version(site.api, "churn", f"runs:/{site.run_id}/model")
    assert created["version"] == "1"


# -- accepted, and where they resolve to -------------------------------------------------------


async def test_a_runs_source_resolves_to_that_path_of_the_runs_artifacts(site: Site) -> None:
    await create_version(site.api, "churn", f"runs:/{site.run_id}/model")
    assert await download_uri(site.api, "churn", "1") == f"{site.run_uri}/model"


async def test_a_logged_model_source_resolves_to_the_logged_models_artifacts(site: Site) -> None:
    logged = (await site.api.create_logged_model(name="model", source_run_id=site.run_id))["info"]
    model_id = logged["model_id"]
    version = await create_version(site.api, "churn", f"models:/{model_id}", model_id=model_id)
    assert (version["model_id"], version["run_id"]) == (model_id, site.run_id)
    assert version["source"] == f"models:/{model_id}"
    assert await download_uri(site.api, "churn", "1") == logged["artifact_uri"]


async def test_a_registered_version_source_resolves_to_that_versions_files(site: Site) -> None:
    await create_version(site.api, "churn", "models:/base/1")
    assert await download_uri(site.api, "churn", "1") == f"{site.run_uri}/model"


async def test_a_proxy_source_resolves_to_itself(site: Site) -> None:
    source = f"{site.run_uri}/model"
    assert source.startswith("mlflow-artifacts:/0/")
    await create_version(site.api, "churn", source)
    assert await download_uri(site.api, "churn", "1") == source


async def test_a_source_in_the_stores_own_uri_resolves_to_a_proxy_location(site: Site) -> None:
    path = site.run_uri.removeprefix("mlflow-artifacts:/")
    await create_version(site.api, "churn", f"{site.root}/{path}/model")
    assert await download_uri(site.api, "churn", "1") == f"{site.run_uri}/model"


async def test_files_of_a_logged_model_version_are_served(
    site: Site, client: httpx.AsyncClient
) -> None:
    logged = (await site.api.create_logged_model(name="model", source_run_id=site.run_id))["info"]
    await upload(client, logged["artifact_uri"], "MLmodel", b"artifact_path: model\n")
    await create_version(site.api, "churn", f"models:/{logged['model_id']}")
    params = {"name": "churn", "version": "1", "path": "MLmodel"}
    response = await client.get("/model-versions/get-artifact", params=params)
    assert (response.status_code, response.content) == (200, b"artifact_path: model\n")
