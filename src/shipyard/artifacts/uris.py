"""Artifact URIs as clients see them, and the store paths they stand for.

When the server proxies artifacts, every location it hands out is ``mlflow-artifacts:/<path>``
(MLflow's client then sends the bytes through the server); ``<path>`` is relative to the store
root. When it does not, locations are the store's own URIs (``file:///...``, ``s3://...``) and
clients write there directly. Either way the server only ever touches URIs under its own root:
anything else (a location a client chose at experiment creation, say) is not its to read.
"""

from __future__ import annotations

from urllib.parse import unquote, urlparse

from shipyard.artifacts.paths import safe_relative_path
from shipyard.domain.errors import InvalidParameter

PROXY_SCHEME = "mlflow-artifacts"
PROXY_ROOT = f"{PROXY_SCHEME}:"


def managed_path(uri: str, store_uri: str) -> str | None:
    """The store path a URI points at, or None if the URI is not under this server's root."""
    if uri.startswith(PROXY_ROOT):
        parsed = urlparse(uri)
        # mlflow-artifacts:/path and mlflow-artifacts://host:port/path both name the root path.
        return safe_relative_path(unquote(parsed.path).lstrip("/"))
    root = store_uri.rstrip("/")
    if uri == root:
        return ""
    if uri.startswith(root + "/"):
        return safe_relative_path(uri[len(root) + 1 :])
    return None


def require_managed_path(uri: str, store_uri: str) -> str:
    """Like ``managed_path``, but refuses URIs outside this server's artifact root."""
    path = managed_path(uri, store_uri)
    if path is None:
        raise InvalidParameter(
            f"The artifact location {uri!r} is not in this server's artifact store, so the "
            "server does not read or write it; use the storage directly."
        )
    return path
