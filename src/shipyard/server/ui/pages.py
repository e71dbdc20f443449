"""The UI's pages: one route per page, each rendering its shell template.

A page's template extends ``base.html`` and names its script; the script reads what the page
needs from ``data-*`` attributes of ``<main>`` and fetches the rest from the JSON API. Pages
are served with a Content-Security-Policy that allows scripts from this server only.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.responses import HTMLResponse, Response

from shipyard import __version__
from shipyard.server.permissions import Permission, declare

TEMPLATES = Path(__file__).parent / "templates"

# Scripts from this server only; Plotly needs inline styles; previews use blob: URLs.
# 'unsafe-eval': Plotly's WebGL traces (parallel coordinates) compile their shader programs
# with Function(); without it they fail silently with "WebGL is not supported". No inline
# script is allowed, and the UI itself never evaluates strings.
PAGE_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; media-src 'self' blob:; frame-src 'self' blob:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": PAGE_CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-cache",
}

router = APIRouter(include_in_schema=False)


@cache
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(request: Request, template: str, **context: Any) -> Response:
    """A page: its template rendered with the server's base path and version."""
    base = str(request.scope.get("root_path", "")).rstrip("/")
    html = _environment().get_template(template).render(base=base, version=__version__, **context)
    return HTMLResponse(html, headers=PAGE_HEADERS)


@router.get("/", openapi_extra=declare(Permission.EXPERIMENTS_READ))
def experiments_page(request: Request) -> Response:
    """The experiments list."""
    return render(request, "experiments.html", page="experiments")


@router.get("/experiments/{experiment_ids}", openapi_extra=declare(Permission.EXPERIMENTS_READ))
def runs_page(request: Request, experiment_ids: str) -> Response:
    """The runs of one experiment, or of several (ids separated by commas)."""
    ids = [part for part in experiment_ids.split(",") if part]
    return render(request, "runs.html", page="runs", experiment_ids=ids)


@router.get("/runs/{run_id}", openapi_extra=declare(Permission.EXPERIMENTS_READ))
def run_page(request: Request, run_id: str) -> Response:
    """One run: overview, params, metrics, tags, description, datasets, models, artifacts."""
    return render(request, "run.html", page="run", run_id=run_id)


@router.get("/compare", openapi_extra=declare(Permission.EXPERIMENTS_READ))
def compare_page(request: Request) -> Response:
    """Charts and tables comparing runs (``?runs=<id>,<id>...``)."""
    return render(request, "compare.html", page="compare")


@router.get("/models", openapi_extra=declare(Permission.REGISTRY_READ))
def models_page(request: Request) -> Response:
    """The registered models."""
    return render(request, "models.html", page="models")


@router.get("/models/{name}", openapi_extra=declare(Permission.REGISTRY_READ))
def model_page(request: Request, name: str) -> Response:
    """One registered model: versions, aliases and their history, tags, description."""
    return render(request, "model.html", page="model", name=name)


@router.get("/models/{name}/versions/{version}", openapi_extra=declare(Permission.REGISTRY_READ))
def version_page(request: Request, name: str, version: str) -> Response:
    """One model version: source run, signature, metrics, approval."""
    return render(request, "version.html", page="version", name=name, model_version=version)


@router.get("/models/{name}/compare", openapi_extra=declare(Permission.REGISTRY_READ))
def version_compare_page(request: Request, name: str) -> Response:
    """Versions of a model side by side (``?versions=1,2``)."""
    return render(request, "version_compare.html", page="version-compare", name=name)
