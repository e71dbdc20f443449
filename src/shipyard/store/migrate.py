"""Schema versions: what a database has, what this Shipyard knows, and the upgrade between.

The server never changes a schema behind its operator's back: an empty database is created at
the newest revision, an older one is upgraded only on request (``shipyard db upgrade`` or
``shipyard server --upgrade-db``), and a newer one (written by a later Shipyard) is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect, text

from shipyard.store.engine import create_migration_engine

_MIGRATIONS = Path(__file__).parent / "migrations"
# PostgreSQL advisory-lock key of schema upgrades: the bytes of "shipyard" as a bigint.
_SCHEMA_LOCK_KEY = int.from_bytes(b"shipyard", "big")


class SchemaMismatch(RuntimeError):
    """The database's schema is not one this Shipyard can run on; the message says why."""


class SchemaState(StrEnum):
    """How a database's schema compares with the one this Shipyard expects."""

    EMPTY = "empty"
    CURRENT = "current"
    OLDER = "older"
    NEWER = "newer"


@dataclass(frozen=True, slots=True)
class SchemaStatus:
    """The schema revision found in a database, and the newest one this Shipyard knows."""

    state: SchemaState
    current: str | None
    head: str


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    return config


def head_revision() -> str:
    """The newest schema revision this Shipyard knows."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def _status(conn: Connection) -> SchemaStatus:
    head = head_revision()
    current = MigrationContext.configure(conn).get_current_revision()
    if current is None:
        tables = set(inspect(conn).get_table_names())
        if "experiments" in tables:
            # Tables without a version stamp: not a database Shipyard created.
            raise SchemaMismatch(
                "The database has tracking tables but no Shipyard schema version; "
                "it was not created by Shipyard (an MLflow database?). Use an empty database."
            )
        return SchemaStatus(SchemaState.EMPTY, None, head)
    if current == head:
        return SchemaStatus(SchemaState.CURRENT, current, head)
    known = {script.revision for script in ScriptDirectory.from_config(_config()).walk_revisions()}
    state = SchemaState.OLDER if current in known else SchemaState.NEWER
    return SchemaStatus(state, current, head)


def schema_status(uri: str) -> SchemaStatus:
    """Look at a database's schema revision without changing anything."""
    engine = create_migration_engine(uri)
    try:
        with engine.connect() as conn:
            return _status(conn)
    finally:
        engine.dispose()


def _lock_schema(conn: Connection) -> None:
    """Begin the upgrade's transaction holding a lock that other upgraders wait for.

    Processes and replicas that start together on an empty database would otherwise all create
    the schema at once; with the lock, the first creates it and the others find it current.
    SQLite: a write transaction from the start (``BEGIN IMMEDIATE``), behind the busy timeout.
    PostgreSQL: a transaction-scoped advisory lock, released at commit.
    """
    if conn.dialect.name == "sqlite":
        conn.execution_options(sqlite_begin="BEGIN IMMEDIATE")
        conn.begin()
    else:
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SCHEMA_LOCK_KEY})


def upgrade(uri: str, revision: str = "head") -> SchemaStatus:
    """Run the migrations up to ``revision``; refuse a schema newer than this Shipyard."""
    engine = create_migration_engine(uri)
    try:
        with engine.connect() as conn:
            _lock_schema(conn)
            status = _status(conn)
            if status.state is SchemaState.NEWER:
                raise SchemaMismatch(newer_schema_message(status))
            config = _config()
            config.attributes["connection"] = conn
            command.upgrade(config, revision)
            conn.commit()
            return _status(conn)
    finally:
        engine.dispose()


def newer_schema_message(status: SchemaStatus) -> str:
    """What to tell an operator whose database was written by a newer Shipyard."""
    return (
        f"The database schema is at revision {status.current}, newer than this Shipyard "
        f"knows (its newest is {status.head}). Upgrade Shipyard (pip install -U shipyard) "
        "instead of pointing an older version at this database."
    )
