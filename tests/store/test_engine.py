"""The Database: SQLite's connection setup and single writer with group commit, PostgreSQL's
retried writes, and the backend store URIs it accepts."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import Connection, event
from sqlalchemy.exc import DBAPIError, IntegrityError

from shipyard.domain.errors import InvalidParameter
from shipyard.store.engine import Database, parse_database_url

WAIT_S = 10


class Boom(Exception):
    """The error a test's write raises on purpose."""


@dataclass
class Scratch:
    """A database with a one-column table of its own to write to."""

    db: Database
    table: str

    def insert(self, n: int) -> Callable[[Connection], int]:
        def fn(conn: Connection) -> int:
            conn.exec_driver_sql(f"INSERT INTO {self.table} (n) VALUES ({n})")
            return n

        return fn

    def values(self) -> list[int]:
        return self.db.read(
            lambda c: sorted(c.exec_driver_sql(f"SELECT n FROM {self.table}").scalars())
        )


def _scratch(uri: str) -> Iterator[Scratch]:
    db = Database(uri)
    table = f"scratch_{uuid.uuid4().hex[:10]}"
    db.write(lambda c: c.exec_driver_sql(f"CREATE TABLE {table} (n INTEGER PRIMARY KEY)"))
    try:
        yield Scratch(db, table)
    finally:
        db.write(lambda c: c.exec_driver_sql(f"DROP TABLE {table}"))
        db.close()


@pytest.fixture
def scratch(db_uri: str) -> Iterator[Scratch]:
    """A scratch table on SQLite and on PostgreSQL in turn."""
    yield from _scratch(db_uri)


@pytest.fixture
def sqlite_scratch(tmp_path: Path) -> Iterator[Scratch]:
    """A scratch table in a new SQLite file."""
    yield from _scratch(f"sqlite:///{tmp_path / 'engine.db'}")


@pytest.fixture
def postgres_scratch(postgres_schema_uri: str) -> Iterator[Scratch]:
    """A scratch table in the session's PostgreSQL schema."""
    yield from _scratch(postgres_schema_uri)


class HeldWriter:
    """Keeps the SQLite writer busy inside a write until released, so that writes queue up."""

    def __init__(self, db: Database) -> None:
        self._release = threading.Event()
        entered = threading.Event()

        def hold(conn: Connection) -> None:
            entered.set()
            assert self._release.wait(WAIT_S)

        self.future = db.submit_write(hold)
        assert entered.wait(WAIT_S)

    def release(self) -> None:
        self._release.set()
        self.future.result(WAIT_S)


def count_commits(db: Database) -> list[int]:
    commits: list[int] = []
    event.listen(db.engine, "commit", lambda conn: commits.append(1))
    return commits


# -- SQLite connections -------------------------------------------------------------------------


def test_sqlite_reads_use_wal_journal_mode(sqlite_scratch: Scratch) -> None:
    mode = sqlite_scratch.db.read(lambda c: c.exec_driver_sql("PRAGMA journal_mode").scalar())

    assert mode == "wal"


def test_sqlite_writer_has_foreign_keys_on(sqlite_scratch: Scratch) -> None:
    enabled = sqlite_scratch.db.write(lambda c: c.exec_driver_sql("PRAGMA foreign_keys").scalar())

    assert enabled == 1


def test_sqlite_reads_have_foreign_keys_on(sqlite_scratch: Scratch) -> None:
    enabled = sqlite_scratch.db.read(lambda c: c.exec_driver_sql("PRAGMA foreign_keys").scalar())

    assert enabled == 1


def test_sqlite_connections_wait_for_a_lock_instead_of_failing(sqlite_scratch: Scratch) -> None:
    timeout = sqlite_scratch.db.read(lambda c: c.exec_driver_sql("PRAGMA busy_timeout").scalar())

    assert timeout >= 5000


def test_foreign_keys_are_enforced_on_writes(db_uri: str) -> None:
    db = Database(db_uri)
    orphan = sa.text(
        "INSERT INTO experiment_tags (experiment_id, key, value) VALUES (424242, 'k', 'v')"
    )
    try:
        with pytest.raises(IntegrityError):
            db.write(lambda c: c.execute(orphan))
    finally:
        db.close()


def test_sqlite_reads_proceed_while_the_writer_holds_a_transaction(
    sqlite_scratch: Scratch,
) -> None:
    sqlite_scratch.db.write(sqlite_scratch.insert(1))
    held = HeldWriter(sqlite_scratch.db)
    try:
        # in WAL mode the read does not wait for the writer; without it, it would fail with
        # "database is locked" once the busy timeout ran out
        values = sqlite_scratch.values()
    finally:
        held.release()

    assert values == [1]


# -- writes on both engines ---------------------------------------------------------------------


def test_write_returns_the_functions_result(scratch: Scratch) -> None:
    assert scratch.db.write(scratch.insert(7)) == 7
    assert scratch.values() == [7]


def test_write_reraises_the_functions_exception(scratch: Scratch) -> None:
    error = Boom("no")

    def fail(conn: Connection) -> None:
        raise error

    with pytest.raises(Boom) as raised:
        scratch.db.write(fail)
    assert raised.value is error


def test_failed_write_leaves_nothing_behind(scratch: Scratch) -> None:
    def insert_then_fail(conn: Connection) -> None:
        scratch.insert(1)(conn)
        raise Boom("after the insert")

    with pytest.raises(Boom):
        scratch.db.write(insert_then_fail)

    assert scratch.values() == []


def test_concurrent_writes_from_8_threads_all_land(scratch: Scratch) -> None:
    errors: list[BaseException] = []

    def worker(offset: int) -> None:
        try:
            for n in range(200):
                scratch.db.write(scratch.insert(offset + n))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(t * 1000,)) for t in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    assert scratch.values() == [t * 1000 + n for t in range(8) for n in range(200)]


# -- the SQLite writer --------------------------------------------------------------------------


def test_sqlite_concurrent_writes_share_commits(sqlite_scratch: Scratch) -> None:
    commits = count_commits(sqlite_scratch.db)

    def worker(offset: int) -> None:
        for n in range(200):
            sqlite_scratch.db.write(sqlite_scratch.insert(offset + n))

    threads = [threading.Thread(target=worker, args=(t * 1000,)) for t in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert 0 < len(commits) < 1600


def test_sqlite_queued_writes_commit_as_one_group(sqlite_scratch: Scratch) -> None:
    held = HeldWriter(sqlite_scratch.db)
    commits = count_commits(sqlite_scratch.db)
    futures = [sqlite_scratch.db.submit_write(sqlite_scratch.insert(n)) for n in range(50)]

    held.release()
    results = [future.result(WAIT_S) for future in futures]

    assert results == list(range(50))
    assert len(commits) == 2  # the held write's, then one for all fifty


def test_sqlite_failing_write_in_a_group_rolls_back_only_itself(sqlite_scratch: Scratch) -> None:
    def insert_then_fail(conn: Connection) -> None:
        sqlite_scratch.insert(2)(conn)
        raise Boom("rolled back")

    held = HeldWriter(sqlite_scratch.db)
    futures: list[Future[Any]] = [
        sqlite_scratch.db.submit_write(sqlite_scratch.insert(1)),
        sqlite_scratch.db.submit_write(insert_then_fail),
        sqlite_scratch.db.submit_write(sqlite_scratch.insert(3)),
    ]
    held.release()

    assert futures[0].result(WAIT_S) == 1
    with pytest.raises(Boom):
        futures[1].result(WAIT_S)
    assert futures[2].result(WAIT_S) == 3
    assert sqlite_scratch.values() == [1, 3]


def test_sqlite_database_error_in_a_group_rolls_back_only_its_write(
    sqlite_scratch: Scratch,
) -> None:
    def two_inserts_second_clashes(conn: Connection) -> None:
        sqlite_scratch.insert(20)(conn)
        sqlite_scratch.insert(10)(conn)

    held = HeldWriter(sqlite_scratch.db)
    first = sqlite_scratch.db.submit_write(sqlite_scratch.insert(10))
    clash = sqlite_scratch.db.submit_write(two_inserts_second_clashes)
    last = sqlite_scratch.db.submit_write(sqlite_scratch.insert(30))
    held.release()

    with pytest.raises(IntegrityError):
        clash.result(WAIT_S)
    assert (first.result(WAIT_S), last.result(WAIT_S)) == (10, 30)
    assert sqlite_scratch.values() == [10, 30]


def test_sqlite_close_finishes_queued_writes(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'close.db'}"
    db = Database(uri)
    scratch = Scratch(db, "queued")
    db.write(lambda c: c.exec_driver_sql("CREATE TABLE queued (n INTEGER PRIMARY KEY)"))
    held = HeldWriter(db)
    futures = [db.submit_write(scratch.insert(n)) for n in range(20)]

    closer = threading.Thread(target=db.close)
    closer.start()
    time.sleep(0.05)  # close() is now waiting for the writer
    held.release()
    closer.join(WAIT_S)

    assert not closer.is_alive()
    assert [future.result(0) for future in futures] == list(range(20))
    reopened = Database(uri)
    try:
        assert Scratch(reopened, "queued").values() == list(range(20))
    finally:
        reopened.close()


def test_sqlite_write_after_close_is_refused(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'closed.db'}")
    db.close()

    with pytest.raises(RuntimeError, match="closed"):
        db.write(lambda c: None)


# -- PostgreSQL ---------------------------------------------------------------------------------


def test_postgres_deadlock_victim_is_retried(postgres_scratch: Scratch) -> None:
    # Two writes lock rows 1 and 2 in opposite orders: PostgreSQL aborts one of them
    # (SQLSTATE 40P01) and the Database runs that one again, after the other committed.
    table = postgres_scratch.table
    postgres_scratch.db.write(postgres_scratch.insert(1))
    postgres_scratch.db.write(postgres_scratch.insert(2))
    both_hold_a_lock = threading.Barrier(2, timeout=WAIT_S)
    attempts = {"a": 0, "b": 0}

    def crossing(name: str, first: int, second: int) -> Callable[[Connection], None]:
        def fn(conn: Connection) -> None:
            attempts[name] += 1
            conn.exec_driver_sql("SET LOCAL deadlock_timeout = '100ms'")
            conn.exec_driver_sql(f"UPDATE {table} SET n = n + 100 WHERE n = {first}")
            if attempts[name] == 1:
                both_hold_a_lock.wait()
            conn.exec_driver_sql(f"UPDATE {table} SET n = n + 1000 WHERE n = {second}")

        return fn

    errors: list[BaseException] = []

    def run(fn: Callable[[Connection], None]) -> None:
        try:
            postgres_scratch.db.write(fn)
        except BaseException as exc:
            errors.append(exc)

    threads = [
        threading.Thread(target=run, args=(crossing("a", 1, 2),)),
        threading.Thread(target=run, args=(crossing("b", 2, 1),)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert errors == []
    # one of them ran once; the deadlock victim ran again (more than once if the loaded
    # machine let it collide with the winner's commit again)
    assert min(attempts.values()) == 1 and max(attempts.values()) >= 2
    # Whichever order they committed in, each write ran exactly once in the end:
    # each row was moved by both of them, so neither still has its first value.
    assert len(postgres_scratch.values()) == 2
    assert not set(postgres_scratch.values()) & {1, 2}


def test_postgres_other_database_errors_are_not_retried(postgres_scratch: Scratch) -> None:
    postgres_scratch.db.write(postgres_scratch.insert(1))
    attempts = []

    def clash(conn: Connection) -> None:
        attempts.append(1)
        postgres_scratch.insert(1)(conn)

    with pytest.raises(IntegrityError):
        postgres_scratch.db.write(clash)
    assert len(attempts) == 1


def test_postgres_submit_write_runs_now_and_returns_a_done_future(
    postgres_scratch: Scratch,
) -> None:
    future = postgres_scratch.db.submit_write(postgres_scratch.insert(5))

    assert future.done()
    assert future.result() == 5


def test_postgres_submit_write_puts_the_error_in_the_future(postgres_scratch: Scratch) -> None:
    def fail(conn: Connection) -> None:
        raise Boom("in the future")

    future = postgres_scratch.db.submit_write(fail)

    assert isinstance(future.exception(), Boom)


# -- backend store URIs -------------------------------------------------------------------------


def test_parse_sqlite_url_keeps_the_file_path(tmp_path: Path) -> None:
    url = parse_database_url(f"sqlite:///{tmp_path}/data/tracking.db")

    assert (url.dialect, url.is_sqlite) == ("sqlite", True)
    assert url.sqlite_path == tmp_path / "data" / "tracking.db"


def test_parse_sqlite_url_expands_the_home_directory() -> None:
    url = parse_database_url("sqlite:///~/tracking.db")

    assert url.sqlite_path == Path("~/tracking.db").expanduser()


@pytest.mark.parametrize(
    "uri",
    [
        "postgresql://alice:secret@db.example:5432/tracking",
        "postgres://alice:secret@db.example:5432/tracking",
        "postgresql+psycopg2://alice:secret@db.example:5432/tracking",
    ],
)
def test_parse_postgres_url_uses_psycopg_3_and_keeps_the_credentials(uri: str) -> None:
    url = parse_database_url(uri)

    assert url.dialect == "postgresql"
    assert not url.is_sqlite
    assert url.sqlalchemy_url == "postgresql+psycopg://alice:secret@db.example:5432/tracking"


def test_parse_postgres_url_keeps_query_options() -> None:
    url = parse_database_url("postgresql://alice@db/tracking?options=-csearch_path%3Dteam")

    assert "options=-csearch_path%3Dteam" in url.sqlalchemy_url


@pytest.mark.parametrize("uri", ["mysql://alice@db/tracking", "mssql+pyodbc://db/tracking"])
def test_parse_url_refuses_other_databases(uri: str) -> None:
    with pytest.raises(InvalidParameter, match="Unsupported backend store") as raised:
        parse_database_url(uri)
    assert "sqlite:///" in raised.value.message
    assert "postgresql://" in raised.value.message


@pytest.mark.parametrize("uri", ["sqlite://", "sqlite:///:memory:", "sqlite:///file:x?mode=memory"])
def test_parse_url_refuses_in_memory_sqlite(uri: str) -> None:
    with pytest.raises(InvalidParameter, match="in-memory SQLite") as raised:
        parse_database_url(uri)
    assert "file path" in raised.value.message


@pytest.mark.parametrize("uri", ["", "not a uri", "://nothing"])
def test_parse_url_refuses_an_unparseable_uri(uri: str) -> None:
    with pytest.raises(InvalidParameter, match="Cannot parse the backend store URI"):
        parse_database_url(uri)


def test_postgres_database_reports_its_dialect(postgres_schema_uri: str) -> None:
    db = Database(postgres_schema_uri)
    try:
        assert db.dialect == "postgresql"
    finally:
        db.close()


def test_postgres_database_reads_from_the_schema_in_its_uri(postgres_schema_uri: str) -> None:
    db = Database(postgres_schema_uri)
    try:
        schema = db.read(lambda c: c.exec_driver_sql("SELECT current_schema()").scalar())
    finally:
        db.close()

    assert schema == postgres_schema_uri.rsplit("%3D", 1)[1]


def test_database_error_of_a_write_is_a_dbapi_error(scratch: Scratch) -> None:
    scratch.db.write(scratch.insert(1))

    with pytest.raises(DBAPIError):
        scratch.db.write(scratch.insert(1))
