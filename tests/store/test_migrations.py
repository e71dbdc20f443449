"""Migrations on SQLite and PostgreSQL: they build exactly ``schema.metadata``, and the schema
states (empty, current, older, newer, foreign) are told apart and handled as documented."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext

import shipyard.store.migrations
from shipyard.store.engine import Database, create_migration_engine
from shipyard.store.migrate import SchemaState, head_revision, schema_status, upgrade
from shipyard.store.schema import metadata
from shipyard.store.tracking import SchemaMismatch, TrackingStore, prepare_database

UNKNOWN_REVISION = "9f9f9f9f9f9f"
FIRST_REVISION = "0001"
INSERT_EXPERIMENT = (
    "INSERT INTO experiments (name, artifact_location, lifecycle_stage, creation_time, "
    "last_update_time) VALUES ('kept', 'x', 'active', 1, 1)"
)


def execute(uri: str, *statements: str) -> None:
    engine = create_migration_engine(uri)
    try:
        with engine.begin() as conn:
            for statement in statements:
                conn.execute(sa.text(statement))
    finally:
        engine.dispose()


def experiment_names(uri: str) -> list[str]:
    engine = create_migration_engine(uri)
    try:
        with engine.connect() as conn:
            return list(conn.execute(sa.text("SELECT name FROM experiments")).scalars())
    finally:
        engine.dispose()


def table_names(uri: str) -> set[str]:
    engine = create_migration_engine(uri)
    try:
        with engine.connect() as conn:
            return set(sa.inspect(conn).get_table_names())
    finally:
        engine.dispose()


# -- the migrated schema ------------------------------------------------------------------------


def test_migrated_database_matches_the_schema_metadata_exactly(empty_db_uri: str) -> None:
    upgrade(empty_db_uri)

    engine = create_migration_engine(empty_db_uri)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, metadata)
    finally:
        engine.dispose()

    assert diff == []


def test_migrated_database_has_every_table_of_the_schema(empty_db_uri: str) -> None:
    upgrade(empty_db_uri)

    assert table_names(empty_db_uri) == {*metadata.tables, "alembic_version"}


def test_upgrade_of_an_empty_database_reports_current(empty_db_uri: str) -> None:
    status = upgrade(empty_db_uri)

    assert (status.state, status.current, status.head) == (
        SchemaState.CURRENT,
        head_revision(),
        head_revision(),
    )


def test_upgrade_twice_is_a_no_op(empty_db_uri: str) -> None:
    upgrade(empty_db_uri)
    execute(empty_db_uri, INSERT_EXPERIMENT)

    status = upgrade(empty_db_uri)

    assert status.state is SchemaState.CURRENT
    assert experiment_names(empty_db_uri) == ["kept"]


def test_downgrade_to_base_removes_every_table_and_upgrade_rebuilds_them(
    empty_db_uri: str,
) -> None:
    upgrade(empty_db_uri)
    config = Config()
    config.set_main_option("script_location", str(Path(shipyard.store.migrations.__file__).parent))
    engine = create_migration_engine(empty_db_uri)
    try:
        with engine.connect() as conn:
            config.attributes["connection"] = conn
            command.downgrade(config, "base")
            conn.commit()
    finally:
        engine.dispose()

    assert table_names(empty_db_uri) <= {"alembic_version"}
    assert schema_status(empty_db_uri).state is SchemaState.EMPTY
    assert upgrade(empty_db_uri).state is SchemaState.CURRENT


# -- schema states ------------------------------------------------------------------------------


def test_schema_status_of_an_empty_database_is_empty(empty_db_uri: str) -> None:
    status = schema_status(empty_db_uri)

    assert (status.state, status.current, status.head) == (
        SchemaState.EMPTY,
        None,
        head_revision(),
    )


def test_schema_status_changes_nothing(empty_db_uri: str) -> None:
    schema_status(empty_db_uri)

    assert table_names(empty_db_uri) == set()


def test_schema_status_of_a_migrated_database_is_current(empty_db_uri: str) -> None:
    upgrade(empty_db_uri)

    assert schema_status(empty_db_uri).state is SchemaState.CURRENT


def test_schema_status_of_an_older_revision_is_older(empty_db_uri: str) -> None:
    upgrade(empty_db_uri, FIRST_REVISION)

    status = schema_status(empty_db_uri)

    assert (status.state, status.current, status.head) == (
        SchemaState.OLDER,
        FIRST_REVISION,
        head_revision(),
    )


def test_upgrade_of_an_older_schema_brings_it_to_the_newest_and_keeps_its_data(
    empty_db_uri: str,
) -> None:
    upgrade(empty_db_uri, FIRST_REVISION)
    execute(empty_db_uri, INSERT_EXPERIMENT)

    status = upgrade(empty_db_uri)

    assert status.state is SchemaState.CURRENT
    assert experiment_names(empty_db_uri) == ["kept"]


def test_schema_status_of_an_unknown_revision_is_newer(empty_db_uri: str) -> None:
    upgrade(empty_db_uri)
    execute(empty_db_uri, f"UPDATE alembic_version SET version_num = '{UNKNOWN_REVISION}'")

    status = schema_status(empty_db_uri)

    assert (status.state, status.current) == (SchemaState.NEWER, UNKNOWN_REVISION)


def test_schema_status_of_tables_without_a_version_is_refused_as_foreign(
    empty_db_uri: str,
) -> None:
    upgrade(empty_db_uri)
    execute(empty_db_uri, "DELETE FROM alembic_version")

    with pytest.raises(RuntimeError, match="not created by Shipyard"):
        schema_status(empty_db_uri)


def test_schema_status_of_an_unversioned_experiments_table_is_refused_as_foreign(
    empty_db_uri: str,
) -> None:
    execute(empty_db_uri, "CREATE TABLE experiments (experiment_id INTEGER PRIMARY KEY)")

    with pytest.raises(RuntimeError, match="not created by Shipyard"):
        schema_status(empty_db_uri)


# -- refusing what cannot be run ----------------------------------------------------------------


def test_upgrade_refuses_a_newer_schema(empty_db_uri: str) -> None:
    upgrade(empty_db_uri)
    execute(empty_db_uri, f"UPDATE alembic_version SET version_num = '{UNKNOWN_REVISION}'")

    with pytest.raises(RuntimeError, match="Upgrade Shipyard"):
        upgrade(empty_db_uri)


def test_upgrade_of_a_foreign_database_changes_nothing(empty_db_uri: str) -> None:
    execute(empty_db_uri, "CREATE TABLE experiments (experiment_id INTEGER PRIMARY KEY)")

    with pytest.raises(RuntimeError, match="not created by Shipyard"):
        upgrade(empty_db_uri)
    assert table_names(empty_db_uri) == {"experiments"}


def test_prepare_database_creates_the_schema_of_an_empty_database(empty_db_uri: str) -> None:
    prepare_database(empty_db_uri)

    assert schema_status(empty_db_uri).state is SchemaState.CURRENT


def test_prepare_database_leaves_a_current_database_alone(empty_db_uri: str) -> None:
    upgrade(empty_db_uri)

    prepare_database(empty_db_uri)

    assert schema_status(empty_db_uri).state is SchemaState.CURRENT


def test_processes_starting_together_on_an_empty_database_create_it_once(
    empty_db_uri: str,
) -> None:
    """Replicas (or scripts on one embedded store) that start at the same moment: each prepares
    the database and makes sure the default experiment exists, and none of them fails."""
    starters = 6
    barrier = threading.Barrier(starters)

    def start() -> None:
        barrier.wait()
        prepare_database(empty_db_uri)
        store = TrackingStore(Database(empty_db_uri), "mlflow-artifacts:/")
        try:
            store.ensure_default_experiment()
        finally:
            store.close()

    with ThreadPoolExecutor(starters) as pool:
        outcomes = [pool.submit(start) for _ in range(starters)]
        errors = [future.exception(timeout=120) for future in outcomes]

    assert errors == [None] * starters
    assert schema_status(empty_db_uri).state is SchemaState.CURRENT
    assert experiment_names(empty_db_uri) == ["Default"]


def test_prepare_database_refuses_a_newer_schema_and_says_to_upgrade_shipyard(
    empty_db_uri: str,
) -> None:
    upgrade(empty_db_uri)
    execute(empty_db_uri, f"UPDATE alembic_version SET version_num = '{UNKNOWN_REVISION}'")

    with pytest.raises(SchemaMismatch, match="Upgrade Shipyard") as raised:
        prepare_database(empty_db_uri)
    assert UNKNOWN_REVISION in str(raised.value)


def test_prepare_database_refuses_an_older_schema_unless_allowed(empty_db_uri: str) -> None:
    upgrade(empty_db_uri, FIRST_REVISION)

    with pytest.raises(SchemaMismatch, match="shipyard db upgrade"):
        prepare_database(empty_db_uri)
    assert schema_status(empty_db_uri).current == FIRST_REVISION


def test_prepare_database_upgrades_an_older_schema_when_allowed(empty_db_uri: str) -> None:
    upgrade(empty_db_uri, FIRST_REVISION)

    prepare_database(empty_db_uri, allow_upgrade=True)

    assert schema_status(empty_db_uri).state is SchemaState.CURRENT


def test_prepare_database_refuses_a_foreign_database_as_a_schema_mismatch(
    empty_db_uri: str,
) -> None:
    execute(empty_db_uri, "CREATE TABLE experiments (experiment_id INTEGER PRIMARY KEY)")

    with pytest.raises(SchemaMismatch, match="not created by Shipyard"):
        prepare_database(empty_db_uri)
