"""Fixtures for the store tests: an experiment and a run factory on the ``store`` fixture.

``empty_db_uri`` gives a database with nothing in it (no schema), on SQLite and PostgreSQL in
turn, for the migration tests; its PostgreSQL schema is private to the test and dropped after it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest

import pgschema
from shipyard.store.tracking import TrackingStore

RunFactory = Callable[..., str]


@pytest.fixture
def experiment_id(store: TrackingStore) -> str:
    """A fresh, live experiment."""
    return store.create_experiment("experiment")


@pytest.fixture
def make_run(store: TrackingStore, experiment_id: str) -> RunFactory:
    """Start a run (in ``experiment_id`` unless told otherwise) and return its id."""

    def make(
        *,
        experiment: str | None = None,
        start_time: int = 1_700_000_000_000,
        run_name: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> str:
        run = store.create_run(
            experiment_id=experiment or experiment_id,
            user_id="alice",
            start_time=start_time,
            run_name=run_name,
            tags=tags,
        )
        return run.info.run_id

    return make


@pytest.fixture
def run_id(make_run: RunFactory) -> str:
    """A fresh, live run."""
    return make_run()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_db_uri(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database without any schema: a new SQLite file, or a new PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    with pgschema.new_schema(
        request.getfixturevalue("postgres_schema_uri"), "shipyard_empty"
    ) as uri:
        yield uri
