"""The UI's static files: our scripts and styles, and Plotly from the plotly wheel.

Every file carries an ETag, so a browser revalidates its copy with a 304 instead of fetching
it again once ``max-age`` has passed; to clients that accept gzip, files are sent gzipped
(Plotly's 4.8 MB bundle is 1.5 MB). Each file is compressed once, at its first request,
and kept in memory until it changes on disk.
"""

from __future__ import annotations

import gzip
import importlib.util
import mimetypes
from functools import cache, lru_cache
from pathlib import Path

from fastapi import APIRouter, Request
from starlette.responses import FileResponse, Response

from shipyard.artifacts.paths import safe_relative_path
from shipyard.domain.errors import NotFound
from shipyard.server.compression import accepts_gzip
from shipyard.server.permissions import Permission, declare

STATIC = Path(__file__).parent / "static"
CACHE = "public, max-age=300"
_GZIP_SUFFIX = "-gzip"

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


@lru_cache(maxsize=128)
def _gzipped(file: Path, version: str) -> bytes:
    """``file`` gzipped; ``version`` (its ETag) makes a changed file a new cache entry."""
    del version
    return gzip.compress(file.read_bytes(), 6, mtime=0)


def _etag_matches(request: Request, etags: tuple[str, ...]) -> bool:
    header = request.headers.get("if-none-match", "")
    offered = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return "*" in offered or any(tag in offered for tag in etags)


def _serve(request: Request, file: Path, media_type: str) -> Response:
    stat = file.stat()
    version = f"{stat.st_mtime_ns:x}-{stat.st_size:x}"
    etag, gzip_etag = f'"{version}"', f'"{version}{_GZIP_SUFFIX}"'
    headers = {"Cache-Control": CACHE, "Vary": "Accept-Encoding"}
    compress = accepts_gzip(request.headers.get("accept-encoding", ""))
    if _etag_matches(request, (etag, gzip_etag)):
        headers["ETag"] = gzip_etag if compress else etag
        return Response(status_code=304, headers=headers)
    if compress:
        headers["ETag"] = gzip_etag
        headers["Content-Encoding"] = "gzip"
        return Response(_gzipped(file, version), media_type=media_type, headers=headers)
    headers["ETag"] = etag
    return FileResponse(file, media_type=media_type, headers=headers, stat_result=stat)


@router.get("/static/vendor/plotly.min.js", openapi_extra=declare(Permission.PUBLIC))
def plotly_js(request: Request) -> Response:
    """Plotly.js, from the installed plotly package."""
    return _serve(request, plotly_bundle(), "text/javascript")


@router.get("/static/{path:path}", openapi_extra=declare(Permission.PUBLIC))
def static_file(path: str, request: Request) -> Response:
    """One of the UI's own scripts, styles or icons."""
    relative = safe_relative_path(path, allow_empty=False)
    file = STATIC / relative
    if not file.is_file():
        raise NotFound(f"No static file {relative!r}")
    media_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    if file.suffix == ".js":
        media_type = "text/javascript"
    return _serve(request, file, media_type)
