"""The ASGI app factory: settings in, a ready FastAPI app out.

Middleware, outermost first:
1. ``BodyLimit``: refuses request bodies over the configured size before anything reads them.
2. ``GzipJson``: gzips large JSON answers for clients that accept it.

Routes: ``/health`` and ``/version`` (public), MLflow's tracking and artifact protocol under
``/api/2.0`` and ``/ajax-api/2.0`` (``server/mlflow_api``), Shipyard's own additions
(``server/api``). Every route declares its permission.

The store is opened in the lifespan, not at import or construction time, so that a forking
server (``--workers N``) opens its database connections in each worker, after the fork.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.utils import get_openapi
from starlette.responses import JSONResponse, PlainTextResponse, Response

from shipyard import __version__
from shipyard.artifacts import open_artifact_store
from shipyard.artifacts.store import ArtifactStore
from shipyard.server.api import artifacts as api_artifacts
from shipyard.server.api import purge as api_purge
from shipyard.server.api import registry as api_registry
from shipyard.server.api import registry_views
from shipyard.server.api import runs_table as api_runs_table
from shipyard.server.body_limit import BodyLimit
from shipyard.server.compression import GzipJson
from shipyard.server.mlflow_api import BODY_LIMITS, install_mlflow_api
from shipyard.server.mlflow_api.routing import openapi_components
from shipyard.server.model_sources import SourceResolver
from shipyard.server.permissions import Permission, declare
from shipyard.server.settings import ServerSettings
from shipyard.server.ui import install_ui
from shipyard.store.engine import Database
from shipyard.store.model_registry import RegistryStore
from shipyard.store.tracking import TrackingStore, prepare_database

log = logging.getLogger(__name__)


def open_artifacts(settings: ServerSettings) -> ArtifactStore:
    """The artifact store the settings name."""
    return open_artifact_store(
        settings.artifacts_destination, s3_endpoint_url=settings.s3_endpoint_url
    )


def open_store(settings: ServerSettings, artifacts: ArtifactStore) -> TrackingStore:
    """Open (and if needed create) the tracking store the settings name."""
    prepare_database(settings.backend_store_uri, allow_upgrade=settings.upgrade_db)
    root = settings.artifact_root_uri(artifacts.uri)
    store = TrackingStore(Database(settings.backend_store_uri), root)
    store.ensure_default_experiment()
    return store


def _attach_registry(app: FastAPI, settings: ServerSettings) -> None:
    """The registry shares the tracking store's database; sources are checked against both."""
    store: TrackingStore = app.state.store
    app.state.registry = RegistryStore(store.db)
    app.state.sources = SourceResolver(
        store, app.state.registry, app.state.artifacts.uri, settings.serve_artifacts
    )


def create_app(
    settings: ServerSettings,
    store: TrackingStore | None = None,
    artifacts: ArtifactStore | None = None,
) -> FastAPI:
    """Build the tracking server app; pass ``store``/``artifacts`` opened elsewhere (tests)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if artifacts is None:
            app.state.artifacts = open_artifacts(settings)
        owned = store is None
        if store is None:
            app.state.store = open_store(settings, app.state.artifacts)
        _attach_registry(app, settings)
        try:
            yield
        finally:
            if owned:
                app.state.store.close()

    app = FastAPI(
        title="Shipyard tracking server",
        version=__version__,
        description="MLflow-compatible experiment tracking.",
        lifespan=lifespan,
        openapi_url=None,  # served below, with a declared permission
        docs_url=None,  # the interactive docs would load scripts from a CDN
        redoc_url=None,
    )
    app.state.settings = settings
    if store is not None:
        app.state.store = store
    if artifacts is not None:
        app.state.artifacts = artifacts
    if store is not None and artifacts is not None:
        _attach_registry(app, settings)

    @app.get("/health", openapi_extra=declare(Permission.PUBLIC), tags=["server"])
    def health() -> Response:
        """Liveness: answers OK while the server runs."""
        return PlainTextResponse("OK")

    @app.get("/version", openapi_extra=declare(Permission.PUBLIC), tags=["server"])
    def version() -> Response:
        """The Shipyard version."""
        return PlainTextResponse(__version__)

    def build_openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            schema.setdefault("components", {}).setdefault("schemas", {}).update(
                openapi_components()
            )
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = build_openapi  # type: ignore[method-assign]

    @app.get("/openapi.json", openapi_extra=declare(Permission.PUBLIC), include_in_schema=False)
    def openapi(request: Request) -> Response:
        """The OpenAPI description of this server's API."""
        # through the request, not a closure: FastAPI caches route functions process-wide
        return JSONResponse(request.app.openapi())

    install_mlflow_api(app)
    app.include_router(api_artifacts.router)
    app.include_router(api_registry.router)
    app.include_router(api_runs_table.router)
    app.include_router(registry_views.router)
    app.include_router(api_purge.router)
    install_ui(app)
    app.add_middleware(GzipJson)
    app.add_middleware(BodyLimit, default_limit=settings.max_body_bytes, rules=BODY_LIMITS)
    return app
