"""MLflow's REST protocol: its routes, request and response shapes, and error format.

Everything that is MLflow's (names, JSON shapes, quirks) stays inside this package; below it,
the store speaks in Shipyard's own entities.
"""

from __future__ import annotations

from fastapi import FastAPI

from shipyard.domain.validation import MAX_BATCH_REQUEST_BYTES
from shipyard.server.mlflow_api import (
    artifacts,
    experiments,
    logged_models,
    metrics,
    registry,
    runs,
    server_info,
)
from shipyard.server.mlflow_api.errors import install_error_handlers

# Routes with a body limit of their own: (regular expression on the path, limit or None).
BODY_LIMITS = (
    # artifact bytes stream to storage: no limit
    (r"^/(ajax-)?api/2\.0/mlflow-artifacts/(artifacts|mpu/parts)/", None),
    (r"^/api/2\.0/shipyard/artifacts/archive/", None),
    (r"/mlflow/runs/log-batch$", MAX_BATCH_REQUEST_BYTES),
)


def install_mlflow_api(app: FastAPI) -> None:
    """Add MLflow's tracking endpoints and error handling to ``app``."""
    install_error_handlers(app)
    # Routes are matched in order: the busiest (artifact transfers, logging) come first.
    modules = (artifacts, runs, metrics, experiments, logged_models, registry, server_info)
    for module in modules:
        app.include_router(module.router.api)
