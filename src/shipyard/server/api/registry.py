"""Registry routes of Shipyard's own: alias history and approval decisions."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, StrictStr
from starlette.responses import Response

from shipyard.domain.registry import AliasChange, ModelVersion
from shipyard.server.dependencies import Registry
from shipyard.server.permissions import Permission, declare

router = APIRouter(tags=["model-registry"])


class AliasHistoryQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")
    name: StrictStr
    alias: StrictStr | None = None


class ApprovalRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")
    name: StrictStr
    version: StrictStr | int
    status: StrictStr
    comment: StrictStr | None = None


def _json(payload: dict[str, Any]) -> Response:
    return Response(orjson.dumps(payload), media_type="application/json")


def alias_change(change: AliasChange) -> dict[str, Any]:
    """An alias move as JSON."""
    return {
        "name": change.name,
        "alias": change.alias,
        "from_version": None if change.from_version is None else str(change.from_version),
        "to_version": None if change.to_version is None else str(change.to_version),
        "changed_by": change.changed_by,
        "timestamp": change.timestamp,
    }


def approval(version: ModelVersion) -> dict[str, Any]:
    """A version's approval state as JSON."""
    return {
        "name": version.name,
        "version": str(version.version),
        "status": version.approval_status.value,
        "comment": version.approval_comment,
        "updated_by": version.approval_updated_by,
        "updated_timestamp": version.approval_updated_timestamp,
    }


@router.get(
    "/api/2.0/shipyard/registered-models/alias-history",
    openapi_extra=declare(Permission.REGISTRY_READ),
)
def get_alias_history(query: Annotated[AliasHistoryQuery, Query()], registry: Registry) -> Response:
    """Every move of a model's aliases (or of one alias), oldest first."""
    changes = registry.alias_history(query.name, query.alias)
    return _json({"changes": [alias_change(change) for change in changes]})


@router.get(
    "/api/2.0/shipyard/model-versions/approval",
    openapi_extra=declare(Permission.REGISTRY_READ),
)
def get_approval(
    name: Annotated[str, Query()], version: Annotated[str, Query()], registry: Registry
) -> Response:
    """A version's approval status, who set it, when and why."""
    return _json({"approval": approval(registry.get_model_version(name, version))})


@router.post(
    "/api/2.0/shipyard/model-versions/approval",
    openapi_extra=declare(Permission.REGISTRY_APPROVE),
)
def set_approval(body: ApprovalRequest, registry: Registry) -> Response:
    """Approve or reject a version (PendingManualApproval, Approved, Rejected)."""
    version = registry.set_approval(body.name, body.version, body.status, comment=body.comment)
    return _json({"approval": approval(version)})
