"""Errors on the wire: ``{"error_code": ..., "message": ...}`` with MLflow's codes and statuses.

The one place where Shipyard's errors become HTTP responses. MLflow's client reads
``error_code`` and ``message`` and retries on 429 and 5xx, so only failures that a retry can cure
get a 5xx here; everything a client can fix is a 4xx that says what to change.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException
from starlette.responses import Response

from shipyard.domain import errors
from shipyard.server.body_limit import BodyTooLarge

log = logging.getLogger(__name__)

# Shipyard's error codes -> MLflow's error_code and HTTP status.
_MLFLOW_CODES: dict[str, tuple[str, int]] = {
    errors.InvalidParameter.code: ("INVALID_PARAMETER_VALUE", 400),
    errors.LimitExceeded.code: ("INVALID_PARAMETER_VALUE", 400),
    errors.NotFound.code: ("RESOURCE_DOES_NOT_EXIST", 404),
    errors.AlreadyExists.code: ("RESOURCE_ALREADY_EXISTS", 400),
    errors.Conflict.code: ("RESOURCE_CONFLICT", 409),
    errors.Unauthenticated.code: ("UNAUTHENTICATED", 401),
    errors.PermissionDenied.code: ("PERMISSION_DENIED", 403),
    errors.ShipyardError.code: ("INTERNAL_ERROR", 500),
}

_HTTP_CODES = {
    400: "INVALID_PARAMETER_VALUE",
    404: "ENDPOINT_NOT_FOUND",
    405: "BAD_REQUEST",
    413: "INVALID_PARAMETER_VALUE",
}


def error_response(
    error_code: str, message: str, status: int, headers: dict[str, str] | None = None
) -> Response:
    """An MLflow-format error response."""
    body = orjson.dumps({"error_code": error_code, "message": message})
    return Response(body, status_code=status, media_type="application/json", headers=headers)


def shown_value(value: Any, limit: int = 200) -> str:
    """A client's value as JSON for an error message, shortened; never fails."""
    try:
        shown = orjson.dumps(value, default=str).decode()
    except TypeError:  # integers beyond 64 bits, and the like
        shown = repr(value)
    return shown if len(shown) <= limit else shown[:limit] + "..."


def shipyard_error_response(exc: errors.ShipyardError) -> Response:
    """The response for one of our own errors."""
    error_code, status = _MLFLOW_CODES.get(exc.code, _MLFLOW_CODES[errors.ShipyardError.code])
    return error_response(error_code, exc.message, status)


def _path(loc: tuple[Any, ...]) -> str:
    # the first element says where the field was (body, query string, path); the rest name it
    rest = loc[1:] if loc and loc[0] in ("body", "query", "path", "header") else loc
    parts = [str(part) for part in rest]
    text = ""
    for part in parts:
        text += f"[{part}]" if part.isdigit() else (f".{part}" if text else part)
    return text or "body"


def validation_message(error: dict[str, Any]) -> str:
    """MLflow-style wording for one pydantic validation error."""
    loc = tuple(error.get("loc", ()))
    path = _path(loc)
    kind = error.get("type", "")
    if kind == "missing" and loc == ("body",):
        return "The request needs a JSON object body, sent with Content-Type: application/json."
    if kind == "missing":
        return f"Missing value for required parameter '{path}'."
    if kind == "json_invalid":
        detail = error.get("ctx", {}).get("error", "")
        return f"The request body is not valid JSON ({detail}). Send a JSON object."
    if kind == "model_attributes_type" or (kind == "dict_type" and path == "body"):
        return "The request body must be a JSON object, sent with Content-Type: application/json."
    message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
    shown = shown_value(error.get("input"))
    return f"Invalid value {shown} for parameter '{path}' supplied: {message}"


def install_error_handlers(app: FastAPI) -> None:
    """Route every error the app can raise through the MLflow error format."""

    @app.exception_handler(errors.ShipyardError)
    async def on_shipyard_error(_request: Request, exc: errors.ShipyardError) -> Response:
        if isinstance(exc, BodyTooLarge):
            return error_response("INVALID_PARAMETER_VALUE", exc.message, 413)
        return shipyard_error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def on_invalid_request(_request: Request, exc: RequestValidationError) -> Response:
        problems = list(exc.errors())
        message = validation_message(problems[0]) if problems else "Invalid request."
        return error_response("INVALID_PARAMETER_VALUE", message, 400)

    @app.exception_handler(HTTPException)
    async def on_http_error(request: Request, exc: HTTPException) -> Response:
        if isinstance(exc.__cause__, BodyTooLarge):
            # FastAPI wraps errors raised while it reads a body in a 400
            return error_response("INVALID_PARAMETER_VALUE", exc.__cause__.message, 413)
        code = _HTTP_CODES.get(exc.status_code, "BAD_REQUEST")
        if exc.status_code == 404:
            message = f"No endpoint {request.method} {request.url.path} on this server."
        elif exc.status_code == 405:
            message = f"{request.method} is not allowed on {request.url.path}."
        elif exc.status_code == 400:
            message = (
                f"The request body could not be read ({exc.detail}): send a JSON object, "
                "UTF-8 encoded, with Content-Type: application/json."
            )
        else:
            message = str(exc.detail)
        headers = dict(exc.headers) if exc.headers else None
        return error_response(code, message, exc.status_code, headers=headers)

    @app.exception_handler(OperationalError)
    async def on_database_busy(_request: Request, exc: OperationalError) -> Response:
        incident = uuid.uuid4().hex[:12]
        log.warning("database unavailable (incident %s): %s", incident, exc)
        return error_response(
            "TEMPORARILY_UNAVAILABLE",
            f"The tracking database is unavailable or busy; retry shortly (incident {incident}).",
            503,
        )

    @app.exception_handler(Exception)
    async def on_unexpected(_request: Request, exc: Exception) -> Response:
        incident = uuid.uuid4().hex[:12]
        log.exception("unexpected error (incident %s)", incident, exc_info=exc)
        return error_response(
            "INTERNAL_ERROR",
            f"Internal server error (incident {incident}); the server log has the details.",
            500,
        )
