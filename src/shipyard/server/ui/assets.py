"""The UI's static files: our scripts and styles, and Plotly from the plotly wheel."""

from __future__ import annotations

import importlib.util
import mimetypes
from functools import cache
from pathlib import Path

from fastapi import APIRouter
from starlette.responses import FileResponse, Response

from shipyard.artifacts.paths import safe_relative_path
from shipyard.domain.errors import NotFound
from shipyard.server.permissions import Permission, declare

STATIC = Path(__file__).parent / "static"
CACHE = "public, max-age=300"

router = APIRouter(include_in_schema=False)


@cache
def plotly_bundle() -> Path:
    """The plotly.min.js shipped inside the plotly package."""
    # Located, not imported: the plotly package is only a carrier for this file here.
    spec = importlib.util.find_spec("plotly")
    folders = list(spec.submodule_search_locations or []) if spec else []
    bundle = Path(folders[0]) / "package_data" / "plotly.min.js" if folders else Path()
    if not bundle.is_file():
        raise NotFound("plotly.min.js is missing from the plotly package: reinstall plotly.")
    return bundle


@router.get("/static/vendor/plotly.min.js", openapi_extra=declare(Permission.PUBLIC))
def plotly_js() -> Response:
    """Plotly.js, from the installed plotly package."""
    return FileResponse(
        plotly_bundle(), media_type="text/javascript", headers={"Cache-Control": CACHE}
    )


@router.get("/static/{path:path}", openapi_extra=declare(Permission.PUBLIC))
def static_file(path: str) -> Response:
    """One of the UI's own scripts, styles or icons."""
    relative = safe_relative_path(path, allow_empty=False)
    file = STATIC / relative
    if not file.is_file():
        raise NotFound(f"No static file {relative!r}")
    media_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    if file.suffix == ".js":
        media_type = "text/javascript"
    return FileResponse(file, media_type=media_type, headers={"Cache-Control": CACHE})
