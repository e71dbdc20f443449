"""Registry reads of Shipyard's own that MLflow's protocol lacks: what the UI's model page
shows about every version at once (MLflow's ModelVersion message carries no approval)."""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, Query
from starlette.responses import Response

from shipyard.domain.registry import ModelVersion
from shipyard.server.api.registry import approval
from shipyard.server.dependencies import Registry
from shipyard.server.permissions import Permission, declare
from shipyard.store.model_registry import RegistryStore

router = APIRouter(tags=["model-registry"])


def name_filter(name: str) -> str:
    """A registry filter matching exactly one model name (quotes and backslashes escaped)."""
    escaped = name.replace("\\", "\\\\").replace("'", "\\'")
    return f"name = '{escaped}'"


def versions_of(registry: RegistryStore, name: str) -> list[ModelVersion]:
    """Every version of a registered model, newest first (raises NotFound for no model)."""
    registry.get_registered_model(name)  # an unknown model is an error, not an empty list
    found: list[ModelVersion] = []
    token: str | None = None
    while True:
        page = registry.search_model_versions(
            filter_string=name_filter(name), order_by=["version_number DESC"], page_token=token
        )
        found.extend(page.items)
        token = page.next_page_token
        if not token:
            return found


@router.get(
    "/api/2.0/shipyard/model-versions/approvals",
    openapi_extra=declare(Permission.REGISTRY_READ),
)
def list_approvals(name: Annotated[str, Query()], registry: Registry) -> Response:
    """The approval state of every version of a model, newest version first."""
    versions = versions_of(registry, name)
    payload = {"approvals": [approval(version) for version in versions]}
    return Response(orjson.dumps(payload), media_type="application/json")
