"""Fixtures of the in-process API tests: an ``Api`` on the shared app, and module databases.

``api`` talks to the app of the shared ``client`` fixture, so each test gets a fresh database on
SQLite and on PostgreSQL in turn. ``module_db_uri`` is for modules that build a larger data set
once and only read it: a migrated database of their own (a private PostgreSQL schema, never
emptied by the per-test fixtures) that lives as long as the module.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import pgschema
from shipyard.store.migrate import upgrade

from .api import Api


@pytest.fixture
def api(client: httpx.AsyncClient) -> Api:
    """MLflow's REST API under /api/2.0/mlflow on a fresh database."""
    return Api(client)


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def module_db_uri(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A migrated tracking database private to one test module: SQLite and PostgreSQL in turn."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("module-db") / "tracking.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    # The session schema checks that PostgreSQL is there (skipping or failing as configured);
    # this module gets a schema of its own beside it.
    with pgschema.new_schema(
        request.getfixturevalue("postgres_schema_uri"), "shipyard_module"
    ) as uri:
        upgrade(uri)
        yield uri


@pytest.fixture(scope="module")
def module_artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An artifact folder for a module's own app."""
    return tmp_path_factory.mktemp("module-artifacts")
