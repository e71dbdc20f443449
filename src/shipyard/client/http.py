"""An HTTP connection to a tracking server, with MLflow's errors turned into ours.

This module holds the client side of the wire: MLflow's error codes map back to the errors of
``domain.errors``, so callers catch ``NotFound`` or ``InvalidParameter`` whichever server
(Shipyard or MLflow) answered.
"""

from __future__ import annotations

import os
import weakref
from typing import Any

import httpx

from shipyard.client.backend import TransientError
from shipyard.domain import errors

DEFAULT_TRACKING_URI = "http://127.0.0.1:5000"

_FROM_MLFLOW: dict[str, type[errors.ShipyardError]] = {
    "RESOURCE_DOES_NOT_EXIST": errors.NotFound,
    "NOT_FOUND": errors.NotFound,
    "INVALID_PARAMETER_VALUE": errors.InvalidParameter,
    "BAD_REQUEST": errors.InvalidParameter,
    "RESOURCE_ALREADY_EXISTS": errors.AlreadyExists,
    "RESOURCE_CONFLICT": errors.Conflict,
    "UNAUTHENTICATED": errors.Unauthenticated,
    "PERMISSION_DENIED": errors.PermissionDenied,
}


def tracking_uri(explicit: str | None = None) -> str:
    """The server to talk to: the argument, $SHIPYARD_TRACKING_URI, $MLFLOW_TRACKING_URI, or
    the local default."""
    return (
        explicit
        or os.environ.get("SHIPYARD_TRACKING_URI")
        or os.environ.get("MLFLOW_TRACKING_URI")
        or DEFAULT_TRACKING_URI
    ).rstrip("/")


class ServerUnreachable(TransientError):
    """No tracking server answered at the URI (refused, reset, timed out)."""

    code = "unreachable"


class ServerBusy(TransientError):
    """The server answered 429 or 5xx: the same request may succeed later."""

    code = "server_busy"

    def __init__(self, message: str, status: int = 503) -> None:
        super().__init__(message)
        self.status = status
        # 429, 502, 503, 504: the server (or a proxy in front) cannot answer now, so waiting
        # helps; another 5xx may be this request failing, so it is tried a few times only.
        if status not in (429, 502, 503, 504):
            self.attempts = 5


def raise_for_error(response: httpx.Response) -> None:
    """Raise the error a failed response carries, as one of ours."""
    if response.status_code < 400:
        return
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    status = response.status_code
    if status == 429 or status >= 500:
        detail = body.get("message") if isinstance(body, dict) else response.text[:300]
        raise ServerBusy(
            f"{response.request.method} {response.request.url.path} failed with HTTP "
            f"{status}: {detail}",
            status,
        )
    if isinstance(body, dict) and "error_code" in body:
        kind = _FROM_MLFLOW.get(str(body["error_code"]), errors.ShipyardError)
        raise kind(str(body.get("message", body["error_code"])))
    if response.status_code == 404:
        raise errors.NotFound(f"{response.request.url.path}: not found on this server")
    raise errors.ShipyardError(
        f"{response.request.method} {response.request.url.path} failed with HTTP "
        f"{response.status_code}: {response.text[:300]}"
    )


class TrackingHTTP:
    """A kept-alive connection to one tracking server."""

    def __init__(self, uri: str | None = None, *, timeout: float = 120.0) -> None:
        self.uri = tracking_uri(uri)
        if not self.uri.startswith(("http://", "https://")):
            raise errors.InvalidParameter(
                f"Tracking URI {self.uri!r} is not an http(s):// address of a tracking server."
            )
        headers = {"User-Agent": "shipyard-client"}
        token = os.environ.get("SHIPYARD_TRACKING_TOKEN") or os.environ.get("MLFLOW_TRACKING_TOKEN")
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._timeout = timeout
        self._headers = headers
        self.http = self._new_client()
        _OPEN.add(self)

    def _new_client(self) -> httpx.Client:
        return httpx.Client(base_url=self.uri, timeout=self._timeout, headers=self._headers)

    def _forget_after_fork(self) -> None:
        # A forked child shares the parent's kept-alive sockets: if both spoke on one, each
        # could read the other's responses. The child opens its own; the parent's stay open.
        self.http = self._new_client()

    def close(self) -> None:
        """Close the connection."""
        self.http.close()

    def __enter__(self) -> TrackingHTTP:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Send a request; raise our error for an error response or an unreachable server."""
        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise ServerUnreachable(
                f"Cannot reach the tracking server at {self.uri} ({exc}). Start one with "
                "`shipyard server`, or point --tracking-uri / MLFLOW_TRACKING_URI at it."
            ) from exc
        raise_for_error(response)
        return response

    def call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        """A JSON call to an MLflow endpoint (``path`` after ``/api/2.0/mlflow``)."""
        response = self.request(method, f"/api/2.0/mlflow{path}", **kwargs)
        payload: dict[str, Any] = response.json() if response.content else {}
        return payload


_OPEN: weakref.WeakSet[TrackingHTTP] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for connection in list(_OPEN):
        connection._forget_after_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
