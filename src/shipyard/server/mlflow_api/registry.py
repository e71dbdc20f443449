"""The model registry's MLflow routes: registered models, versions, aliases, stages.

Registry searches and reads are GET requests with query strings; deletes carry JSON bodies.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Body, Depends, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from shipyard.artifacts.paths import join, safe_relative_path
from shipyard.artifacts.store import ArtifactStore
from shipyard.artifacts.uris import require_managed_path
from shipyard.domain.errors import InvalidParameter
from shipyard.domain.registry import AliasNotFound
from shipyard.server import dependencies, file_responses
from shipyard.server.mlflow_api import messages as m
from shipyard.server.mlflow_api import wire
from shipyard.server.mlflow_api.routing import LEGACY_PREFIXES, MlflowRouter
from shipyard.server.model_sources import SourceResolver
from shipyard.server.permissions import Permission
from shipyard.store.model_registry import RegistryStore

Registry = dependencies.Registry
router = MlflowRouter("model-registry")


def _sources(request: Request) -> SourceResolver:
    resolver: SourceResolver = request.app.state.sources
    return resolver


Sources = Annotated[SourceResolver, Depends(_sources)]


def _page(key: str, items: list[dict[str, object]], token: str | None) -> Response:
    payload: dict[str, object] = {key: items} if items else {}
    if token:
        payload["next_page_token"] = token
    return wire.json_response(payload)


# -- registered models -------------------------------------------------------------------------


@router.route("POST", "/registered-models/create", permission=Permission.REGISTRY_CREATE)
def create_registered_model(body: m.CreateRegisteredModel, registry: Registry) -> Response:
    """Create a registered model."""
    model = registry.create_registered_model(
        body.name,
        tags={tag.key: tag.value for tag in body.tags},
        description=body.description,
    )
    return wire.json_response({"registered_model": wire.registered_model(model)})


@router.route("GET", "/registered-models/get", permission=Permission.REGISTRY_READ)
def get_registered_model(
    query: Annotated[m.RegisteredModelName, Query()], registry: Registry
) -> Response:
    """Get a registered model with its latest versions, tags and aliases."""
    model = registry.get_registered_model(query.name)
    return wire.json_response({"registered_model": wire.registered_model(model)})


@router.route("POST", "/registered-models/rename", permission=Permission.REGISTRY_EDIT)
def rename_registered_model(body: m.RenameRegisteredModel, registry: Registry) -> Response:
    """Rename a registered model."""
    model = registry.rename_registered_model(body.name, body.new_name)
    return wire.json_response({"registered_model": wire.registered_model(model)})


@router.route("PATCH", "/registered-models/update", permission=Permission.REGISTRY_EDIT)
def update_registered_model(body: m.UpdateRegisteredModel, registry: Registry) -> Response:
    """Change a registered model's description."""
    model = registry.update_registered_model(body.name, body.description)
    return wire.json_response({"registered_model": wire.registered_model(model)})


@router.route("DELETE", "/registered-models/delete", permission=Permission.REGISTRY_MANAGE)
def delete_registered_model(
    body: Annotated[m.RegisteredModelName, Body()], registry: Registry
) -> Response:
    """Delete a registered model with all its versions."""
    registry.delete_registered_model(body.name)
    return wire.json_response({})


@router.route("GET", "/registered-models/search", permission=Permission.REGISTRY_READ)
def search_registered_models(
    query: Annotated[m.SearchRegistry, Query()], registry: Registry
) -> Response:
    """Search registered models."""
    page = registry.search_registered_models(
        filter_string=query.filter,
        max_results=query.max_results,
        order_by=query.order_by,
        page_token=query.page_token or None,
    )
    models = [wire.registered_model(item) for item in page.items]
    return _page("registered_models", models, page.next_page_token)


def _latest(request: m.GetLatestVersions, registry: RegistryStore) -> Response:
    versions = registry.get_latest_versions(request.name, request.stages)
    return _page("model_versions", [wire.model_version(v) for v in versions], None)


@router.route("POST", "/registered-models/get-latest-versions", permission=Permission.REGISTRY_READ)
def get_latest_versions(body: m.GetLatestVersions, registry: Registry) -> Response:
    """The newest version in each stage (or in the requested stages)."""
    return _latest(body, registry)


@router.route("GET", "/registered-models/get-latest-versions", permission=Permission.REGISTRY_READ)
def get_latest_versions_get(
    query: Annotated[m.GetLatestVersions, Query()], registry: Registry
) -> Response:
    """The newest version in each stage (query-string form)."""
    return _latest(query, registry)


@router.route("POST", "/registered-models/set-tag", permission=Permission.REGISTRY_EDIT)
def set_registered_model_tag(body: m.RegisteredModelTag, registry: Registry) -> Response:
    """Set a tag on a registered model."""
    registry.set_registered_model_tag(body.name, body.key, body.value)
    return wire.json_response({})


@router.route("DELETE", "/registered-models/delete-tag", permission=Permission.REGISTRY_EDIT)
def delete_registered_model_tag(
    body: Annotated[m.RegisteredModelTagKey, Body()], registry: Registry
) -> Response:
    """Remove a tag from a registered model."""
    registry.delete_registered_model_tag(body.name, body.key)
    return wire.json_response({})


@router.route("POST", "/registered-models/alias", permission=Permission.REGISTRY_EDIT)
def set_alias(body: m.AliasRequest, registry: Registry) -> Response:
    """Point an alias at a version (the move is recorded in the alias history)."""
    registry.set_alias(body.name, body.alias, body.version)
    return wire.json_response({})


@router.route("DELETE", "/registered-models/alias", permission=Permission.REGISTRY_EDIT)
def delete_alias(body: Annotated[m.AliasRef, Body()], registry: Registry) -> Response:
    """Remove an alias."""
    registry.delete_alias(body.name, body.alias)
    return wire.json_response({})


@router.route("GET", "/registered-models/alias", permission=Permission.REGISTRY_READ)
def get_version_by_alias(query: Annotated[m.AliasRef, Query()], registry: Registry) -> Response:
    """The version an alias points at."""
    try:
        version = registry.get_version_by_alias(query.name, query.alias)
    except AliasNotFound as exc:
        # MLflow answers a missing alias (of an existing model) with INVALID_PARAMETER_VALUE
        raise InvalidParameter(exc.message) from exc
    return wire.json_response({"model_version": wire.model_version(version)})


# -- model versions ----------------------------------------------------------------------------


@router.route("POST", "/model-versions/create", permission=Permission.REGISTRY_EDIT)
def create_model_version(
    body: m.CreateModelVersion, registry: Registry, sources: Sources
) -> Response:
    """Register a new version from a source inside this server's artifact store."""
    resolved = sources.resolve(body.source, body.model_id or None)
    version = registry.create_model_version(
        name=body.name,
        source=body.source,
        storage_location=resolved.storage_location,
        run_id=body.run_id or resolved.run_id,
        tags={tag.key: tag.value for tag in body.tags},
        run_link=body.run_link,
        description=body.description,
        model_id=body.model_id or resolved.model_id,
    )
    return wire.json_response({"model_version": wire.model_version(version)})


@router.route("GET", "/model-versions/get", permission=Permission.REGISTRY_READ)
def get_model_version(query: Annotated[m.VersionRef, Query()], registry: Registry) -> Response:
    """Get one version."""
    version = registry.get_model_version(query.name, query.version)
    return wire.json_response({"model_version": wire.model_version(version)})


@router.route("PATCH", "/model-versions/update", permission=Permission.REGISTRY_EDIT)
def update_model_version(body: m.UpdateModelVersion, registry: Registry) -> Response:
    """Change a version's description."""
    version = registry.update_model_version(body.name, body.version, body.description)
    return wire.json_response({"model_version": wire.model_version(version)})


@router.route("DELETE", "/model-versions/delete", permission=Permission.REGISTRY_MANAGE)
def delete_model_version(body: Annotated[m.VersionRef, Body()], registry: Registry) -> Response:
    """Delete a version (its number is never reused)."""
    registry.delete_model_version(body.name, body.version)
    return wire.json_response({})


@router.route("GET", "/model-versions/search", permission=Permission.REGISTRY_READ)
def search_model_versions(
    query: Annotated[m.SearchRegistry, Query()], registry: Registry
) -> Response:
    """Search versions of every registered model."""
    page = registry.search_model_versions(
        filter_string=query.filter,
        max_results=query.max_results,
        order_by=query.order_by,
        page_token=query.page_token or None,
    )
    versions = [wire.model_version(item) for item in page.items]
    return _page("model_versions", versions, page.next_page_token)


@router.route("GET", "/model-versions/get-download-uri", permission=Permission.REGISTRY_READ)
def get_download_uri(query: Annotated[m.VersionRef, Query()], registry: Registry) -> Response:
    """Where a version's files are (a concrete location in this server's store)."""
    version = registry.get_model_version(query.name, query.version)
    return wire.json_response({"artifact_uri": version.storage_location})


@router.route("POST", "/model-versions/transition-stage", permission=Permission.REGISTRY_EDIT)
def transition_stage(body: m.TransitionStage, registry: Registry) -> Response:
    """Move a version to a stage (MLflow's older promotion workflow)."""
    version = registry.transition_stage(
        body.name, body.version, body.stage, body.archive_existing_versions
    )
    return wire.json_response({"model_version": wire.model_version(version)})


@router.route("POST", "/model-versions/set-tag", permission=Permission.REGISTRY_EDIT)
def set_model_version_tag(body: m.ModelVersionTag, registry: Registry) -> Response:
    """Set a tag on a version."""
    registry.set_model_version_tag(body.name, body.version, body.key, body.value)
    return wire.json_response({})


@router.route("DELETE", "/model-versions/delete-tag", permission=Permission.REGISTRY_EDIT)
def delete_model_version_tag(
    body: Annotated[m.ModelVersionTagKey, Body()], registry: Registry
) -> Response:
    """Remove a tag from a version."""
    registry.delete_model_version_tag(body.name, body.version, body.key)
    return wire.json_response({})


@router.route(
    "GET",
    "/model-versions/get-artifact",
    permission=Permission.ARTIFACTS_READ,
    prefixes=LEGACY_PREFIXES,
)
async def get_model_version_artifact(
    query: Annotated[m.ModelVersionArtifact, Query()], request: Request, registry: Registry
) -> Response:
    """Download one file of a version (the UI's and older clients' route)."""
    artifacts: ArtifactStore = request.app.state.artifacts
    version = await run_in_threadpool(registry.get_model_version, query.name, query.version)
    root = require_managed_path(version.storage_location, artifacts.uri)
    relative = safe_relative_path(query.path, allow_empty=False)
    return await file_responses.file_response(artifacts, join(root, relative), request)
