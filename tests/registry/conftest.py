"""Fixtures of the registry tests: a ``RegistryStore`` on the tracking store's database.

``db_uri`` is the shared fixture (an empty, migrated database on SQLite and PostgreSQL in turn);
``api`` is MLflow's REST API on the in-process app, from the server tests' conftest.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from server.conftest import api
from shipyard.domain.clock import now_ms
from shipyard.domain.registry import ModelVersion
from shipyard.store.model_registry import RegistryStore
from shipyard.store.tracking import TrackingStore

__all__ = ["api"]

VersionFactory = Callable[..., ModelVersion]


@pytest.fixture
def registry(store: TrackingStore) -> RegistryStore:
    """The registry on the ``store`` fixture's database."""
    return RegistryStore(store.db)


@pytest.fixture
def add_version(registry: RegistryStore) -> VersionFactory:
    """Register a version of ``name`` (the store takes any source; the server checks them)."""

    def add(
        name: str, *, run_id: str | None = None, source: str | None = None, **fields: Any
    ) -> ModelVersion:
        run = run_id or "r" * 32
        return registry.create_model_version(
            name=name,
            source=source or f"runs:/{run}/model",
            storage_location=f"mlflow-artifacts:/0/{run}/artifacts/model",
            run_id=run_id,
            **fields,
        )

    return add


@pytest.fixture
def next_ms() -> Callable[[], None]:
    """Wait until the millisecond clock has moved on, so the next write gets a later timestamp."""

    def wait() -> None:
        start = now_ms()
        while now_ms() <= start:
            time.sleep(0.001)

    return wait
