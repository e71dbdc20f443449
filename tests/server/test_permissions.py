"""Deny by default: every route declares the permission it needs, and MLflow's twins exist.

The route table is walked the way the router sees it (included routers descended into), so a
route added anywhere without a declaration fails here.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute

from shipyard.server.app import create_app
from shipyard.server.permissions import PERMISSION_KEY, Permission, permission_of
from shipyard.server.settings import ServerSettings

MLFLOW_PREFIXES = {
    "/api/2.0/mlflow": "/ajax-api/2.0/mlflow",
    "/api/3.0/mlflow": "/ajax-api/3.0/mlflow",
}

# The tracking endpoints MLflow 3's Python client (and its UI) call; each must be routed.
TRACKING_ENDPOINTS = [
    ("GET", "/api/2.0/mlflow/experiments/get"),
    ("GET", "/api/2.0/mlflow/experiments/get-by-name"),
    ("POST", "/api/2.0/mlflow/experiments/create"),
    ("POST", "/api/2.0/mlflow/experiments/search"),
    ("GET", "/api/2.0/mlflow/experiments/search"),
    ("POST", "/api/2.0/mlflow/experiments/update"),
    ("POST", "/api/2.0/mlflow/experiments/delete"),
    ("POST", "/api/2.0/mlflow/experiments/restore"),
    ("POST", "/api/2.0/mlflow/experiments/set-experiment-tag"),
    ("POST", "/api/2.0/mlflow/experiments/delete-experiment-tag"),
    ("POST", "/api/2.0/mlflow/runs/create"),
    ("POST", "/api/2.0/mlflow/runs/update"),
    ("GET", "/api/2.0/mlflow/runs/get"),
    ("POST", "/api/2.0/mlflow/runs/delete"),
    ("POST", "/api/2.0/mlflow/runs/restore"),
    ("POST", "/api/2.0/mlflow/runs/search"),
    ("POST", "/api/2.0/mlflow/runs/log-metric"),
    ("POST", "/api/2.0/mlflow/runs/log-parameter"),
    ("POST", "/api/2.0/mlflow/runs/log-batch"),
    ("POST", "/api/2.0/mlflow/runs/set-tag"),
    ("POST", "/api/2.0/mlflow/runs/delete-tag"),
    ("POST", "/api/2.0/mlflow/runs/log-inputs"),
    ("POST", "/api/2.0/mlflow/runs/outputs"),
    ("POST", "/api/2.0/mlflow/runs/log-model"),
    ("GET", "/api/2.0/mlflow/metrics/get-history"),
    ("GET", "/api/2.0/mlflow/metrics/get-history-bulk-interval"),
    ("POST", "/api/2.0/mlflow/logged-models"),
    ("GET", "/api/2.0/mlflow/logged-models/{model_id}"),
    ("PATCH", "/api/2.0/mlflow/logged-models/{model_id}"),
    ("DELETE", "/api/2.0/mlflow/logged-models/{model_id}"),
    ("PATCH", "/api/2.0/mlflow/logged-models/{model_id}/tags"),
    ("DELETE", "/api/2.0/mlflow/logged-models/{model_id}/tags/{tag_key}"),
    ("POST", "/api/2.0/mlflow/logged-models/{model_id}/params"),
    ("POST", "/api/2.0/mlflow/logged-models/search"),
    ("GET", "/api/3.0/mlflow/server-info"),
]


def _walk(routes: Iterable[object]) -> Iterator[APIRoute]:
    """Every APIRoute, descending into included routers (FastAPI nests them unflattened)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
            continue
        included = getattr(route, "original_router", None)
        assert included is not None, f"a route the walk does not understand: {route!r}"
        prefix = getattr(getattr(route, "include_context", None), "prefix", "")
        assert not prefix, "the walk compares full paths; included routers carry no prefix"
        yield from _walk(included.routes)


def _is_read(permission: Permission | None) -> bool:
    """Whether a permission only lets its holder look (public, or some ``<resource>:read``)."""
    return permission is Permission.PUBLIC or (
        permission is not None and permission.value.endswith(":read")
    )


def _path(route: APIRoute) -> str:
    # ":path" converters appear in the route path but not in MLflow's endpoint list.
    return route.path.replace(":path}", "}")


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    """The app as the CLI builds it; its store is never opened (no lifespan runs)."""
    folder: Path = tmp_path_factory.mktemp("permissions")
    return create_app(ServerSettings.embedded(folder))


@pytest.fixture(scope="module")
def routes(app: FastAPI) -> list[APIRoute]:
    return list(_walk(app.routes))


@pytest.fixture(scope="module")
def endpoints(routes: list[APIRoute]) -> set[tuple[str, str]]:
    return {(method, _path(route)) for route in routes for method in route.methods}


def test_route_walk_finds_the_mlflow_routes(routes: list[APIRoute]) -> None:
    assert any(route.path.startswith("/api/2.0/mlflow/") for route in routes)
    assert any(route.path.startswith("/ajax-api/2.0/mlflow/") for route in routes)


def test_every_route_declares_a_permission(routes: list[APIRoute]) -> None:
    undeclared = [
        f"{sorted(route.methods)} {route.path}"
        for route in routes
        if permission_of(route.openapi_extra) is None
    ]
    assert undeclared == []


def test_only_health_version_spec_server_info_and_ui_assets_are_public(
    routes: list[APIRoute],
) -> None:
    """Static scripts and styles carry no data; a sign-in page will need them before any token."""
    public = {
        route.path for route in routes if permission_of(route.openapi_extra) is Permission.PUBLIC
    }
    assert public == {
        "/health",
        "/version",
        "/openapi.json",
        "/api/3.0/mlflow/server-info",
        "/ajax-api/3.0/mlflow/server-info",
        "/static/vendor/plotly.min.js",
        "/static/{path:path}",
    }


def test_get_routes_never_need_a_write_permission(routes: list[APIRoute]) -> None:
    writes_on_get = [
        route.path
        for route in routes
        if "GET" in route.methods and not _is_read(permission_of(route.openapi_extra))
    ]
    assert writes_on_get == []


def test_search_routes_need_only_read_permission(routes: list[APIRoute]) -> None:
    searches = [route for route in routes if route.path.endswith("/search")]
    assert searches
    writes = [route.path for route in searches if not _is_read(permission_of(route.openapi_extra))]
    assert writes == []


def test_every_operation_in_the_spec_carries_its_permission(app: FastAPI) -> None:
    spec = app.openapi()
    missing = [
        f"{method.upper()} {path}"
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
        if PERMISSION_KEY not in operation
    ]
    assert missing == []


@pytest.mark.parametrize(("api_prefix", "ajax_prefix"), sorted(MLFLOW_PREFIXES.items()))
def test_every_api_route_has_an_ajax_api_twin(
    endpoints: set[tuple[str, str]], api_prefix: str, ajax_prefix: str
) -> None:
    api_side = {(m, p.removeprefix(api_prefix)) for m, p in endpoints if p.startswith(api_prefix)}
    ajax_side = {
        (m, p.removeprefix(ajax_prefix)) for m, p in endpoints if p.startswith(ajax_prefix)
    }
    assert api_side
    assert api_side == ajax_side


def test_twins_declare_the_same_permission(routes: list[APIRoute]) -> None:
    declared = {
        (method, _path(route)): permission_of(route.openapi_extra)
        for route in routes
        for method in route.methods
    }
    mismatched = []
    for (method, path), permission in declared.items():
        for api_prefix, ajax_prefix in MLFLOW_PREFIXES.items():
            if path.startswith(api_prefix):
                twin = (method, ajax_prefix + path.removeprefix(api_prefix))
                if declared.get(twin) is not permission:
                    mismatched.append(f"{method} {path}")
    assert mismatched == []


@pytest.mark.parametrize(("method", "path"), TRACKING_ENDPOINTS)
def test_mlflow_tracking_endpoint_is_routed(
    endpoints: set[tuple[str, str]], method: str, path: str
) -> None:
    assert (method, path) in endpoints
