"""Artifact routes of Shipyard's own: whole folders as one archive, down (zip) and up (tar)."""

from __future__ import annotations

import posixpath

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, Response

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


@router.put(
    "/api/2.0/shipyard/artifacts/archive/{path:path}",
    openapi_extra=declare(Permission.ARTIFACTS_WRITE),
)
async def upload_archive(path: str, request: Request, artifacts: Artifacts) -> Response:
    """Unpack a tar archive (plain or gzip) sent as the body into a folder of the artifact root.

    Only regular files and folders with safe relative names are accepted; the archive is
    checked whole before anything is written. Answers ``{"files": N, "bytes": B}``.
    """
    folder = safe_relative_path(path)
    extracted = await file_responses.receive_archive(artifacts, folder, request)
    return JSONResponse({"files": extracted.files, "bytes": extracted.size})
