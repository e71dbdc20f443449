"""Fixtures that build real things: databases on SQLite and PostgreSQL, stores, in-process apps.

PostgreSQL: each test session (each xdist worker) gets a schema of its own in the ``test``
database at 127.0.0.1:5432, migrated once and emptied between tests, and dropped at the end.
Under CI (``CI=true``) an unreachable PostgreSQL fails the run; elsewhere its tests are skipped
with a message that says how to enable them.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from shipyard.artifacts.local import LocalArtifactStore
from shipyard.server.app import create_app
from shipyard.server.settings import ServerSettings
from shipyard.store.engine import Database
from shipyard.store.migrate import upgrade
from shipyard.store.schema import metadata
from shipyard.store.tracking import TrackingStore


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Hypothesis (under schemathesis) keeps its files outside the working tree."""
    try:
        from hypothesis.configuration import set_hypothesis_home_dir
    except ImportError:  # pragma: no cover - hypothesis comes with the test extra
        return
    set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "shipyard-test-hypothesis")


PG_ADMIN_URI = os.environ.get(
    "SHIPYARD_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
ARTIFACT_ROOT = "mlflow-artifacts:"


def _postgres_unavailable_reason() -> str | None:
    engine = sa.create_engine(PG_ADMIN_URI, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("select 1"))
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}".splitlines()[0]
    finally:
        engine.dispose()
    return None


@pytest.fixture(scope="session")
def postgres_schema_uri() -> Iterator[str]:
    """A migrated, session-private PostgreSQL schema; its URI selects it via search_path."""
    reason = _postgres_unavailable_reason()
    if reason is not None:
        if IN_CI:
            pytest.fail(f"PostgreSQL at {PG_ADMIN_URI} is required under CI: {reason}")
        pytest.skip(
            f"PostgreSQL is not reachable ({reason}); start it on 127.0.0.1:5432 "
            "(trust auth, database 'test') or set SHIPYARD_TEST_POSTGRES to run these tests."
        )
    schema = f"shipyard_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_ADMIN_URI)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    uri = f"{PG_ADMIN_URI}?options=-csearch_path%3D{schema}"
    upgrade(uri)
    try:
        yield uri
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite database file, copied for each test (faster than migrating again)."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_engine(postgres_schema_uri: str) -> Iterator[sa.Engine]:
    """One engine on the session's PostgreSQL schema, kept for emptying it between tests."""
    engine = sa.create_engine(postgres_schema_uri)
    try:
        yield engine
    finally:
        engine.dispose()


def _empty_postgres(engine: sa.Engine) -> None:
    # DELETE on tables this small takes milliseconds; TRUNCATE of every table took 0.1-0.4 s.
    with engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())
        sequences = conn.execute(
            sa.text(
                "SELECT sequence_name FROM information_schema.sequences "
                "WHERE sequence_schema = current_schema()"
            )
        ).scalars()
        for sequence in list(sequences):
            conn.execute(sa.text(f'ALTER SEQUENCE "{sequence}" RESTART'))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_uri(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty, migrated tracking database: SQLite and PostgreSQL in turn."""
    if request.param == "sqlite":
        path = tmp_path / "tracking.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    _empty_postgres(request.getfixturevalue("postgres_engine"))
    uri: str = request.getfixturevalue("postgres_schema_uri")
    return uri


@pytest.fixture
def store(db_uri: str) -> Iterator[TrackingStore]:
    """A tracking store on a fresh database, with its Default experiment."""
    tracking = TrackingStore(Database(db_uri), ARTIFACT_ROOT)
    tracking.ensure_default_experiment()
    try:
        yield tracking
    finally:
        tracking.close()


@pytest.fixture
def settings(tmp_path: Path, db_uri: str) -> ServerSettings:
    """Server settings on the test database and a temporary artifact folder."""
    return ServerSettings(
        backend_store_uri=db_uri,
        artifacts_destination=str(tmp_path / "artifacts"),
        data_dir=tmp_path,
    )


@pytest.fixture
def anyio_backend() -> str:
    """Async tests run on asyncio, as the server does."""
    return "asyncio"


@pytest.fixture
async def client(
    settings: ServerSettings, store: TrackingStore
) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the app in process (no sockets)."""
    artifacts = LocalArtifactStore(settings.artifacts_destination)
    app = create_app(settings, store=store, artifacts=artifacts)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://shipyard.test") as http:
        yield http
