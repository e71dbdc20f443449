"""Connections to the tracking database, and the one path every write takes.

``Database`` hides the two engines behind two calls: ``read(fn)`` runs ``fn(connection)`` in a
read transaction, ``write(fn)`` in a write transaction. What differs underneath:

- **SQLite** allows one writer at a time. Rather than let request threads fight over the lock
  (SQLite's busy handler sleeps, which ruins latency), every write goes to one writer thread.
  The writer takes whatever writes are queued, runs each inside its own savepoint of a single
  ``BEGIN IMMEDIATE`` transaction and commits them together (group commit). A failing write
  rolls back its savepoint only. Reads run on a pool of connections in WAL mode, so they never
  wait for the writer.
- **PostgreSQL** handles concurrent writers itself: a write runs in the calling thread in its
  own transaction, and is retried when the database picks it as a deadlock victim.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import os
import queue
import threading
import time
import weakref
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import unquote

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.pool import NullPool

from shipyard.domain.errors import InvalidParameter

log = logging.getLogger(__name__)

T = TypeVar("T")

# How many queued writes the SQLite writer folds into one transaction at most.
GROUP_COMMIT_MAX = 64
# Postgres: how often a write chosen as a deadlock or serialization victim is retried.
PG_WRITE_ATTEMPTS = 4
_PG_RETRYABLE_SQLSTATES = {"40001", "40P01"}


@dataclass(frozen=True, slots=True)
class DatabaseURL:
    """A backend store URI, checked and normalised for SQLAlchemy."""

    sqlalchemy_url: str
    dialect: str  # "sqlite" or "postgresql"
    sqlite_path: Path | None = None

    @property
    def is_sqlite(self) -> bool:
        """True for the embedded SQLite engine."""
        return self.dialect == "sqlite"


def parse_database_url(uri: str) -> DatabaseURL:
    """Accept ``sqlite:///path`` and ``postgresql://...`` (``postgres://`` too).

    PostgreSQL always goes through psycopg 3, whatever driver the URI names.
    """
    try:
        url = make_url(uri)
    except ArgumentError as exc:
        raise InvalidParameter(
            f"Cannot parse the backend store URI {uri!r}: use sqlite:///path/to/file.db "
            "or postgresql://user@host:5432/database"
        ) from exc
    backend = url.get_backend_name()
    if backend == "sqlite":
        database = url.database or ""
        if database in ("", ":memory:") or database.startswith("file:"):
            raise InvalidParameter(
                "An in-memory SQLite database cannot be shared between connections: "
                "give the backend store a file path, e.g. sqlite:///shipyard.db"
            )
        path = Path(unquote(database)).expanduser()
        return DatabaseURL(f"sqlite:///{path}", "sqlite", path)
    if backend in ("postgresql", "postgres"):
        if importlib.util.find_spec("psycopg") is None:
            raise InvalidParameter(
                "A PostgreSQL backend store needs the psycopg driver, which comes with the "
                "server install: pip install 'shipyard[server]'"
            )
        url = url.set(drivername="postgresql+psycopg")
        return DatabaseURL(url.render_as_string(hide_password=False), "postgresql")
    raise InvalidParameter(
        f"Unsupported backend store {backend!r}: Shipyard stores tracking data in SQLite "
        "(sqlite:///path) or PostgreSQL (postgresql://user@host/db)."
    )


@dataclass(slots=True)
class _WriteJob:
    fn: Callable[[Connection], Any]
    future: Future[Any]


_STOP = object()


class Database:
    """The tracking database: reads on a pool, writes through ``write``."""

    def __init__(self, uri: str, *, pool_size: int = 8) -> None:
        self.url = parse_database_url(uri)
        self.engine = _create_engine(self.url, pool_size)
        self._jobs: queue.SimpleQueue[_WriteJob | object] = queue.SimpleQueue()
        self._writer: threading.Thread | None = None
        self._closed = False
        self._lock = threading.Lock()
        _OPEN.add(self)

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.url.dialect

    def read(self, fn: Callable[[Connection], T]) -> T:
        """Run ``fn`` in a read transaction: every query in it sees one snapshot."""
        with self.engine.connect() as conn, conn.begin():
            return fn(conn)

    def write(self, fn: Callable[[Connection], T]) -> T:
        """Run ``fn`` in a write transaction; return its result or raise its error."""
        if self.url.is_sqlite:
            return self.submit_write(fn).result()
        return self._write_postgres(fn)

    async def awrite(self, fn: Callable[[Connection], T]) -> T:
        """``write`` for async callers: on SQLite the event loop awaits the writer directly,
        with no worker thread in between."""
        if self.url.is_sqlite:
            return await asyncio.wrap_future(self.submit_write(fn))
        return await asyncio.to_thread(self._write_postgres, fn)

    def submit_write(self, fn: Callable[[Connection], T]) -> Future[T]:
        """Queue a write and return a future (SQLite); on PostgreSQL, run it now."""
        future: Future[T] = Future()
        if not self.url.is_sqlite:
            try:
                future.set_result(self._write_postgres(fn))
            except BaseException as exc:
                future.set_exception(exc)
            return future
        if self._closed:
            raise RuntimeError("the database is closed")
        self._ensure_writer()
        self._jobs.put(_WriteJob(fn, future))
        return future

    def close(self) -> None:
        """Finish queued writes, stop the writer and close every connection."""
        with self._lock:
            self._closed = True
            writer, self._writer = self._writer, None
        if writer is not None:
            self._jobs.put(_STOP)
            writer.join()
        self.engine.dispose()

    def _forget_after_fork(self) -> None:
        """In a forked child: the writer thread did not survive the fork, and the pooled
        connections are the parent's (SQLite and libpq both forbid using them from two
        processes). Writes the parent had queued are the parent's to finish."""
        self.engine.dispose(close=False)
        self._jobs = queue.SimpleQueue()
        self._writer = None
        self._lock = threading.Lock()

    # -- PostgreSQL -------------------------------------------------------------------------

    def _write_postgres(self, fn: Callable[[Connection], T]) -> T:
        for attempt in range(1, PG_WRITE_ATTEMPTS + 1):
            try:
                with self.engine.begin() as conn:
                    return fn(conn)
            except DBAPIError as exc:
                sqlstate = getattr(exc.orig, "sqlstate", None)
                if sqlstate not in _PG_RETRYABLE_SQLSTATES or attempt == PG_WRITE_ATTEMPTS:
                    raise
                log.info("write retried after %s (attempt %d)", sqlstate, attempt)
                time.sleep(0.01 * attempt)
        raise AssertionError("unreachable")

    # -- SQLite writer ----------------------------------------------------------------------

    def _ensure_writer(self) -> None:
        if self._writer is not None:
            return
        with self._lock:
            if self._writer is None and not self._closed:
                self._writer = threading.Thread(
                    target=self._run_writer, name="shipyard-sqlite-writer", daemon=True
                )
                self._writer.start()

    def _run_writer(self) -> None:
        conn = self.engine.connect().execution_options(sqlite_begin="BEGIN IMMEDIATE")
        try:
            while True:
                first = self._jobs.get()
                if first is _STOP:
                    return
                batch = [first]
                stop = False
                while len(batch) < GROUP_COMMIT_MAX:
                    try:
                        job = self._jobs.get_nowait()
                    except queue.Empty:
                        break
                    if job is _STOP:
                        stop = True
                        break
                    batch.append(job)
                self._run_batch(conn, [job for job in batch if isinstance(job, _WriteJob)])
                if stop:
                    return
        finally:
            conn.close()

    def _run_batch(self, conn: Connection, batch: list[_WriteJob]) -> None:
        outcomes: list[tuple[bool, Any]] = []
        try:
            with conn.begin():
                if len(batch) == 1:
                    outcomes.append((True, batch[0].fn(conn)))
                else:
                    for job in batch:
                        savepoint = conn.begin_nested()
                        try:
                            result = job.fn(conn)
                        except Exception as exc:
                            savepoint.rollback()
                            outcomes.append((False, exc))
                        else:
                            savepoint.commit()
                            outcomes.append((True, result))
        except Exception as exc:
            # The single job failed, or BEGIN or COMMIT did: nothing of this batch is written.
            outcomes = [(False, exc)] * len(batch)
        for job, (ok, value) in zip(batch, outcomes, strict=True):
            if ok:
                job.future.set_result(value)
            else:
                job.future.set_exception(value)


_OPEN: weakref.WeakSet[Database] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for database in list(_OPEN):
        database._forget_after_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _create_engine(url: DatabaseURL, pool_size: int) -> Engine:
    if url.is_sqlite:
        assert url.sqlite_path is not None
        url.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url.sqlalchemy_url,
            pool_size=pool_size,
            max_overflow=pool_size,
            connect_args={"check_same_thread": False, "timeout": 30},
        )
        _configure_sqlite(engine)
        return engine
    return create_engine(
        url.sqlalchemy_url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
    )


def _configure_sqlite(engine: Engine) -> None:
    """WAL, a busy timeout, foreign keys, case-sensitive LIKE, and transactions we control.

    Python's sqlite3 module opens transactions on its own schedule; turning that off and
    emitting BEGIN ourselves is the documented way to get real SERIALIZABLE transactions and
    savepoints through SQLAlchemy.
    """

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in (
            # The busy timeout first: switching a new file to WAL needs a lock that another
            # process opening the same store may hold.
            "PRAGMA busy_timeout=30000",
            "PRAGMA journal_mode=WAL",
            "PRAGMA synchronous=NORMAL",
            "PRAGMA foreign_keys=ON",
            "PRAGMA case_sensitive_like=ON",
            "PRAGMA temp_store=MEMORY",
            "PRAGMA cache_size=-65536",
        ):
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn: Connection) -> None:
        conn.exec_driver_sql(conn.get_execution_options().get("sqlite_begin", "BEGIN"))


def create_migration_engine(uri: str) -> Engine:
    """A throwaway engine for migrations: no pool, same connection setup."""
    url = parse_database_url(uri)
    if url.is_sqlite:
        assert url.sqlite_path is not None
        url.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url.sqlalchemy_url, poolclass=NullPool)
        _configure_sqlite(engine)
        return engine
    return create_engine(url.sqlalchemy_url, poolclass=NullPool)
