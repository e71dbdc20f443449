"""``/api/3.0/mlflow/server-info``: the capabilities MLflow 3 clients probe for."""

from __future__ import annotations

from fastapi import Request
from starlette.responses import Response

from shipyard.server.mlflow_api import wire
from shipyard.server.mlflow_api.routing import MlflowRouter
from shipyard.server.permissions import Permission

router = MlflowRouter("server")


@router.route(
    "GET",
    "/server-info",
    permission=Permission.PUBLIC,
    prefixes=("/api/3.0/mlflow", "/ajax-api/3.0/mlflow"),
)
def server_info(request: Request) -> Response:
    """What this server supports, in MLflow's terms (no secrets, no addresses)."""
    proxied = bool(request.app.state.settings.serve_artifacts)
    return wire.json_response(
        {
            "store_type": "SqlStore",
            "workspaces_enabled": False,
            "trace_archival_enabled": False,
            "multipart_uploads_enabled": proxied,
            "multipart_downloads_enabled": False,
        }
    )
