"""MLflow's artifact routes: the proxied artifact service and the run-scoped read routes.

The proxied service (``/api/2.0/mlflow-artifacts/...``) addresses files by their path under
the artifact root, exactly the ``<path>`` of an ``mlflow-artifacts:/<path>`` URI. The run-scoped
routes (``get-artifact``, ``artifacts/list``) resolve the run's artifact URI first, and only
serve it if it lies in this server's store. Every path is checked by
``artifacts.paths.safe_relative_path`` before a store sees it.
"""

from __future__ import annotations

import posixpath
from typing import Annotated

from fastapi import Depends, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from shipyard.artifacts.paths import join, safe_relative_path
from shipyard.artifacts.store import ArtifactStore, PartUrlFactory, UploadedPart
from shipyard.artifacts.uris import require_managed_path
from shipyard.domain.errors import InvalidParameter, NotFound
from shipyard.server import dependencies, file_responses
from shipyard.server.mlflow_api import messages as m
from shipyard.server.mlflow_api import wire
from shipyard.server.mlflow_api.routing import LEGACY_PREFIXES, MlflowRouter, Store
from shipyard.server.permissions import Permission

PROXY_PREFIXES = ("/api/2.0/mlflow-artifacts", "/ajax-api/2.0/mlflow-artifacts")

router = MlflowRouter("artifacts")


def _artifacts(request: Request) -> ArtifactStore:
    settings = request.app.state.settings
    if not settings.serve_artifacts:
        raise NotFound(
            "This server does not proxy artifacts (it runs with --no-serve-artifacts): "
            "read and write the artifact store directly."
        )
    store: ArtifactStore = request.app.state.artifacts
    return store


Artifacts = Annotated[ArtifactStore, Depends(_artifacts)]
AnyModeArtifacts = dependencies.Artifacts


def _files(entries: list[dict[str, object]]) -> Response:
    return wire.json_response({"files": entries} if entries else {})


# -- the proxied artifact service --------------------------------------------------------------


@router.route("GET", "/artifacts", permission=Permission.ARTIFACTS_READ, prefixes=PROXY_PREFIXES)
async def list_artifacts(
    query: Annotated[m.ArtifactListing, Query()], artifacts: Artifacts
) -> Response:
    """List a folder under the artifact root (names relative to it; {} when empty)."""
    folder = safe_relative_path(query.path)
    entries = await run_in_threadpool(artifacts.list, folder)
    return _files([wire.file_info(entry) for entry in entries])


@router.route(
    "GET",
    "/artifacts/{path:path}",
    permission=Permission.ARTIFACTS_READ,
    prefixes=PROXY_PREFIXES,
)
async def download_artifact(path: str, request: Request, artifacts: Artifacts) -> Response:
    """Download a file (Range requests supported)."""
    relative = safe_relative_path(path, allow_empty=False)
    return await file_responses.file_response(artifacts, relative, request)


@router.route(
    "PUT",
    "/artifacts/{path:path}",
    permission=Permission.ARTIFACTS_WRITE,
    prefixes=PROXY_PREFIXES,
)
async def upload_artifact(path: str, request: Request, artifacts: Artifacts) -> Response:
    """Upload a file; the body is streamed to storage as it arrives."""
    relative = safe_relative_path(path, allow_empty=False)
    await file_responses.receive_upload(artifacts, relative, request)
    return wire.json_response({})


@router.route(
    "DELETE",
    "/artifacts/{path:path}",
    permission=Permission.ARTIFACTS_WRITE,
    prefixes=PROXY_PREFIXES,
)
async def delete_artifact(path: str, artifacts: Artifacts) -> Response:
    """Delete a file, or a folder with everything in it."""
    relative = safe_relative_path(path, allow_empty=False)
    await run_in_threadpool(artifacts.delete, relative)
    return wire.json_response({})


def multipart_target(folder: str, local_file: str) -> str:
    """Where a multipart upload lands: MLflow's client names the destination folder in the URL
    and its local file in the body; the file keeps the local file's base name."""
    name = local_file.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
    if not name or name in (".", ".."):
        raise InvalidParameter(f"Invalid path {local_file!r}: it names no file.")
    return join(safe_relative_path(folder), safe_relative_path(name, allow_empty=False))


def _part_url_factory(request: Request) -> PartUrlFactory:
    base = str(request.base_url).rstrip("/")
    prefix = "/ajax-api" if request.url.path.startswith("/ajax-api") else "/api"

    def part_url(upload_id: str, part_number: int) -> str:
        return f"{base}{prefix}/2.0/mlflow-artifacts/mpu/parts/{upload_id}/{part_number}"

    return part_url


@router.route(
    "POST",
    "/mpu/create/{path:path}",
    permission=Permission.ARTIFACTS_WRITE,
    prefixes=PROXY_PREFIXES,
)
async def create_multipart_upload(
    path: str, body: m.CreateMultipartUpload, request: Request, artifacts: Artifacts
) -> Response:
    """Start a multipart upload: one upload URL per part (presigned, on S3)."""
    relative = multipart_target(path, body.path)
    upload = await run_in_threadpool(
        artifacts.create_multipart_upload,
        relative,
        body.num_parts,
        _part_url_factory(request),
    )
    return wire.json_response(
        {
            "upload_id": upload.upload_id,
            "credentials": [
                {
                    "url": part.url,
                    "part_number": part.part_number,
                    "headers": dict(part.headers),
                }
                for part in upload.parts
            ],
        }
    )


@router.route(
    "PUT",
    "/mpu/parts/{upload_id}/{part_number}",
    permission=Permission.ARTIFACTS_WRITE,
    prefixes=PROXY_PREFIXES,
)
async def upload_part(
    upload_id: str, part_number: int, request: Request, artifacts: Artifacts
) -> Response:
    """Receive one part of a multipart upload (stores that cannot presign part URLs)."""
    writer = await run_in_threadpool(artifacts.part_writer, upload_id, part_number)
    await file_responses.stream_into(writer, request)
    etag = artifacts.part_etag(writer)
    return Response(b"{}", media_type="application/json", headers={"ETag": f'"{etag}"'})


@router.route(
    "POST",
    "/mpu/complete/{path:path}",
    permission=Permission.ARTIFACTS_WRITE,
    prefixes=PROXY_PREFIXES,
)
async def complete_multipart_upload(
    path: str, body: m.CompleteMultipartUpload, artifacts: Artifacts
) -> Response:
    """Assemble the parts of a multipart upload into the file."""
    relative = multipart_target(path, body.path)
    parts = [UploadedPart(part.part_number, part.etag) for part in body.parts]
    await run_in_threadpool(artifacts.complete_multipart_upload, relative, body.upload_id, parts)
    return wire.json_response({})


@router.route(
    "POST",
    "/mpu/abort/{path:path}",
    permission=Permission.ARTIFACTS_WRITE,
    prefixes=PROXY_PREFIXES,
)
async def abort_multipart_upload(
    path: str, body: m.AbortMultipartUpload, artifacts: Artifacts
) -> Response:
    """Discard a multipart upload."""
    relative = multipart_target(path, body.path)
    await run_in_threadpool(artifacts.abort_multipart_upload, relative, body.upload_id)
    return wire.json_response({})


# -- run-scoped routes -------------------------------------------------------------------------


async def _run_root(store: Store, artifacts: ArtifactStore, run_id: str) -> tuple[str, str]:
    run = await run_in_threadpool(store.get_run, run_id)
    return run.info.artifact_uri, require_managed_path(run.info.artifact_uri, artifacts.uri)


@router.route("GET", "/artifacts/list", permission=Permission.ARTIFACTS_READ)
async def list_run_artifacts(
    query: Annotated[m.RunArtifactListing, Query()], store: Store, artifacts: AnyModeArtifacts
) -> Response:
    """List a folder of a run's artifacts (paths relative to the run's artifact root)."""
    root_uri, root = await _run_root(store, artifacts, query.id)
    folder = safe_relative_path(query.path)
    entries = await run_in_threadpool(artifacts.list, join(root, folder))
    files = [
        wire.file_info(entry, path=posixpath.join(folder, entry.path) if folder else entry.path)
        for entry in entries
    ]
    payload: dict[str, object] = {"root_uri": root_uri}
    if files:
        payload["files"] = files
    return wire.json_response(payload)


@router.route(
    "GET", "/get-artifact", permission=Permission.ARTIFACTS_READ, prefixes=LEGACY_PREFIXES
)
async def get_run_artifact(
    query: Annotated[m.RunArtifactFile, Query()],
    request: Request,
    store: Store,
    artifacts: AnyModeArtifacts,
) -> Response:
    """Download one file of a run's artifacts (the UI's and older clients' route)."""
    _, root = await _run_root(store, artifacts, query.id)
    relative = safe_relative_path(query.path, allow_empty=False)
    return await file_responses.file_response(artifacts, join(root, relative), request)
