"""How MLflow's endpoints are declared: each one twice, with the permission it needs.

MLflow serves every endpoint under ``/api/2.0/mlflow`` (its Python client) and again under
``/ajax-api/2.0/mlflow`` (its web UI). Both prefixes reach the same handler; only the first is
in the OpenAPI spec.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Request

from shipyard.server.permissions import Permission, declare
from shipyard.store.tracking import TrackingStore

API_PREFIXES = ("/api/2.0/mlflow", "/ajax-api/2.0/mlflow")

F = TypeVar("F", bound=Callable[..., Any])


def _store(request: Request) -> TrackingStore:
    store: TrackingStore = request.app.state.store
    return store


Store = Annotated[TrackingStore, Depends(_store)]
"""Handler parameter that receives the tracking store of the app."""


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
    ) -> Callable[[F], F]:
        """Register the decorated handler for ``method`` at ``<prefix><path>``."""

        def decorator(handler: F) -> F:
            for index, prefix in enumerate(prefixes):
                self.api.add_api_route(
                    prefix + path,
                    handler,
                    methods=[method],
                    openapi_extra=declare(permission),
                    include_in_schema=index == 0,
                    name=handler.__name__ if index == 0 else f"{handler.__name__}_{index}",
                    operation_id=handler.__name__ if index == 0 else None,
                    summary=(handler.__doc__ or "").strip().split("\n")[0] or None,
                )
            return handler

        return decorator
