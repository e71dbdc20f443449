"""How MLflow's endpoints are declared: each one twice, with the permission it needs.

MLflow serves every endpoint under ``/api/2.0/mlflow`` (its Python client) and again under
``/ajax-api/2.0/mlflow`` (its web UI). Both prefixes reach the same handler; only the first is
in the OpenAPI spec.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from fastapi import APIRouter, Request
from pydantic import BaseModel

from shipyard.domain.errors import InvalidParameter
from shipyard.server import dependencies
from shipyard.server.permissions import Permission, declare

API_PREFIXES = ("/api/2.0/mlflow", "/ajax-api/2.0/mlflow")
LEGACY_PREFIXES = ("",)
"""Routes MLflow serves at the root (``/get-artifact``, ``/model-versions/get-artifact``)."""

F = TypeVar("F", bound=Callable[..., Any])


Store = dependencies.Store
"""Handler parameter that receives the tracking store of the app."""

# Request shapes of handlers that parse their body by hand (hot paths): documented in the
# OpenAPI spec through their pydantic model, added to its components by ``openapi_components``.
DOCUMENTED_BODIES: dict[str, type[BaseModel]] = {}


def openapi_components() -> dict[str, Any]:
    """JSON schemas of the hand-parsed request bodies, for the spec's components."""
    schemas: dict[str, Any] = {}
    for name, model in DOCUMENTED_BODIES.items():
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(schema.pop("$defs", {}))
        schemas[name] = schema
    return schemas


async def json_body(request: Request) -> bytes:
    """The raw body of a JSON request; refuse other content types."""
    raw = await request.body()
    content_type = request.headers.get("content-type", "")
    if raw and not content_type.split(";")[0].strip().lower().endswith("json"):
        raise InvalidParameter(
            "The request body must be a JSON object, sent with Content-Type: application/json."
        )
    return raw


class MlflowRouter:
    """An APIRouter whose routes exist under both MLflow prefixes and declare a permission."""

    def __init__(self, tag: str) -> None:
        self.api = APIRouter(tags=[tag])

    def route(
        self,
        method: str,
        path: str,
        *,
        permission: Permission,
        prefixes: Sequence[str] = API_PREFIXES,
        documented_body: type[BaseModel] | None = None,
    ) -> Callable[[F], F]:
        """Register the decorated handler for ``method`` at ``<prefix><path>``.

        ``documented_body`` names the request shape of a handler that reads its body itself.
        """
        extra: dict[str, Any] = dict(declare(permission))
        if documented_body is not None:
            name = documented_body.__name__
            DOCUMENTED_BODIES[name] = documented_body
            extra["requestBody"] = {
                "required": True,
                "content": {
                    "application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}
                },
            }

        def decorator(handler: F) -> F:
            for index, prefix in enumerate(prefixes):
                self.api.add_api_route(
                    prefix + path,
                    handler,
                    methods=[method],
                    openapi_extra=extra,
                    include_in_schema=index == 0,
                    name=handler.__name__ if index == 0 else f"{handler.__name__}_{index}",
                    operation_id=handler.__name__ if index == 0 else None,
                    summary=(handler.__doc__ or "").strip().split("\n")[0] or None,
                )
            return handler

        return decorator
