"""Artifact routes of Shipyard's own: whole folders as one zip archive."""

from __future__ import annotations

import posixpath

from fastapi import APIRouter
from starlette.responses import Response

from shipyard.artifacts.paths import safe_relative_path
from shipyard.server import file_responses
from shipyard.server.dependencies import Artifacts
from shipyard.server.permissions import Permission, declare

router = APIRouter(tags=["artifacts"])


@router.get(
    "/api/2.0/shipyard/artifacts/archive/{path:path}",
    openapi_extra=declare(Permission.ARTIFACTS_READ),
)
async def download_archive(path: str, artifacts: Artifacts) -> Response:
    """A folder under the artifact root, with everything in it, as one streamed zip file."""
    folder = safe_relative_path(path)
    name = posixpath.basename(folder) or "artifacts"
    return await file_responses.archive_response(artifacts, folder, name)
