"""What each route needs to be allowed, declared where the route is.

Deny by default: every route of the app declares one ``Permission`` (the route helpers make it
a required argument), and ``tests/server/test_permissions.py`` walks the route table and fails on
any route without one. Authentication and per-resource grants (Studio) check these
declarations; until they are switched on, every caller holds every permission.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

PERMISSION_KEY = "x-shipyard-permission"


class Permission(StrEnum):
    """An action on a kind of resource."""

    PUBLIC = "public"  # health, version: no credentials needed, ever
    EXPERIMENTS_CREATE = "experiments:create"
    EXPERIMENTS_READ = "experiments:read"
    EXPERIMENTS_EDIT = "experiments:edit"  # rename, tags, runs and their data
    EXPERIMENTS_MANAGE = "experiments:manage"  # delete, restore
    ARTIFACTS_READ = "artifacts:read"
    ARTIFACTS_WRITE = "artifacts:write"
    REGISTRY_CREATE = "registry:create"
    REGISTRY_READ = "registry:read"
    REGISTRY_EDIT = "registry:edit"  # versions, tags, aliases, stages
    REGISTRY_APPROVE = "registry:approve"  # approval decisions
    REGISTRY_MANAGE = "registry:manage"  # delete models and versions


def declare(permission: Permission) -> dict[str, Any]:
    """The ``openapi_extra`` that records a route's permission in the route and its spec."""
    return {PERMISSION_KEY: permission.value}


def permission_of(openapi_extra: dict[str, Any] | None) -> Permission | None:
    """The permission a route declared, or None if it declared none."""
    value = (openapi_extra or {}).get(PERMISSION_KEY)
    return Permission(value) if value is not None else None
