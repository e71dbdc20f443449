"""The few statements whose SQL differs between SQLite and PostgreSQL: upserts, chunked IN."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Connection, Table
from sqlalchemy.dialects import postgresql, sqlite

T = TypeVar("T")

AnyRow = Any
"""A result row of any shape (SQLAlchemy's Row generics do not survive our helpers)."""

# Bound parameters per statement stay well under SQLite's limit (32766) and keep IN lists short.
IN_CHUNK = 900


def _insert(conn: Connection, table: Table) -> Any:
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def insert_ignore(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert rows, skipping any whose primary key is already there."""
    if rows:
        conn.execute(_insert(conn, table).on_conflict_do_nothing(), list(rows))


def insert_ignore_returning(
    conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]], column: str
) -> set[Any]:
    """Insert rows, skipping existing keys; return ``column`` of the rows actually inserted."""
    if not rows:
        return set()
    stmt = _insert(conn, table).on_conflict_do_nothing().returning(table.c[column])
    return set(conn.execute(stmt, list(rows)).scalars())


def upsert(
    conn: Connection,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    keys: Sequence[str],
    update: Sequence[str],
    where: Callable[[Any], ColumnElement[bool]] | None = None,
) -> None:
    """Insert rows; where the key exists, overwrite the ``update`` columns.

    ``where``, if given, receives the incoming row (the statement's ``excluded`` columns) and
    returns the condition under which the existing row is overwritten.
    """
    if not rows:
        return
    stmt = _insert(conn, table)
    stmt = stmt.on_conflict_do_update(
        index_elements=list(keys),
        set_={name: stmt.excluded[name] for name in update},
        where=where(stmt.excluded) if where is not None else None,
    )
    conn.execute(stmt, list(rows))


_BULK_SQL: dict[tuple[str, str, tuple[str, ...]], str] = {}


def _bulk_sql(conn: Connection, table: Table, columns: tuple[str, ...]) -> str:
    key = (conn.dialect.name, table.name, columns)
    sql = _BULK_SQL.get(key)
    if sql is None:
        names = ", ".join(f'"{name}"' for name in columns)
        if conn.dialect.name == "postgresql":
            arrays = ", ".join(
                f"%s::{table.c[name].type.compile(dialect=conn.dialect)}[]" for name in columns
            )
            source = f"SELECT * FROM unnest({arrays})"
        else:
            source = f"VALUES ({', '.join('?' for _ in columns)})"
        sql = f'INSERT INTO "{table.name}" ({names}) {source} ON CONFLICT DO NOTHING'
        _BULK_SQL[key] = sql
    return sql


def bulk_insert_ignore(
    conn: Connection, table: Table, columns: tuple[str, ...], rows: Sequence[tuple[Any, ...]]
) -> None:
    """Insert many rows given as tuples, skipping those whose key exists: the ingest hot path.

    Bypasses SQLAlchemy's per-row parameter processing: on SQLite one ``executemany`` of a
    prepared statement, on PostgreSQL one statement over ``unnest`` of one array per column.
    Values must already be what the driver takes (ints, floats, strs, bools).
    """
    if not rows:
        return
    sql = _bulk_sql(conn, table, columns)
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(sql, tuple(list(column) for column in zip(*rows, strict=True)))
    else:
        conn.exec_driver_sql(sql, list(rows))


def raw_rows(conn: Connection, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    """Run a read through the driver and return plain tuples: for listings of thousands of rows.

    ``sql`` uses ``?`` placeholders (rewritten for psycopg); it runs on the connection's current
    transaction, so it sees the same snapshot as the statements around it.
    """
    dbapi_connection = conn.connection.dbapi_connection
    assert dbapi_connection is not None
    if conn.dialect.name == "postgresql":
        sql = sql.replace("?", "%s")
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(sql, list(params))
        return list(cursor.fetchall())
    finally:
        cursor.close()


def chunks(items: Sequence[T], size: int = IN_CHUNK) -> Iterator[Sequence[T]]:
    """Consecutive slices of at most ``size`` items."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
