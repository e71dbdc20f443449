"""``shipyard db``: upgrading and inspecting the tracking database's schema from the shell."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result

from shipyard.cli.main import cli
from shipyard.store.migrate import head_revision, upgrade

UNKNOWN_REVISION = "9f9f9f9f9f9f"
FIRST_REVISION = "0001"


@pytest.fixture
def uri(tmp_path: Path) -> str:
    """A SQLite database that does not exist yet, in a folder that does not exist yet."""
    return f"sqlite:///{tmp_path / 'new-folder' / 'tracking.db'}"


def shipyard(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env=env)


def set_version(uri: str, revision: str | None) -> None:
    engine = sa.create_engine(uri)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM alembic_version"))
            if revision is not None:
                conn.execute(
                    sa.text("INSERT INTO alembic_version (version_num) VALUES (:r)"),
                    {"r": revision},
                )
    finally:
        engine.dispose()


def status_json(uri: str) -> dict[str, object]:
    result = shipyard("db", "status", "--backend-store-uri", uri, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


# -- upgrade ------------------------------------------------------------------------------------


def test_db_upgrade_creates_the_schema_of_a_new_database(uri: str) -> None:
    result = shipyard("db", "upgrade", "--backend-store-uri", uri)

    assert result.exit_code == 0, result.output
    assert f"Upgraded the schema from empty to {head_revision()}" in result.output
    assert status_json(uri)["state"] == "current"


def test_db_upgrade_twice_says_it_is_already_current(uri: str) -> None:
    shipyard("db", "upgrade", "--backend-store-uri", uri)

    result = shipyard("db", "upgrade", "--backend-store-uri", uri)

    assert result.exit_code == 0, result.output
    assert f"Already at the newest schema revision ({head_revision()})" in result.output


def test_db_upgrade_of_an_older_schema_names_both_revisions(uri: str) -> None:
    upgrade(uri, FIRST_REVISION)

    result = shipyard("db", "upgrade", "--backend-store-uri", uri)

    assert result.exit_code == 0, result.output
    assert f"Upgraded the schema from {FIRST_REVISION} to {head_revision()}" in result.output
    assert status_json(uri)["state"] == "current"


def test_db_upgrade_reads_the_uri_from_the_environment(uri: str) -> None:
    result = shipyard("db", "upgrade", env={"SHIPYARD_BACKEND_STORE_URI": uri})

    assert result.exit_code == 0, result.output
    assert status_json(uri)["state"] == "current"


def test_db_upgrade_of_a_newer_schema_fails_and_says_to_upgrade_shipyard(uri: str) -> None:
    shipyard("db", "upgrade", "--backend-store-uri", uri)
    set_version(uri, UNKNOWN_REVISION)

    result = shipyard("db", "upgrade", "--backend-store-uri", uri)

    assert result.exit_code != 0
    assert "Upgrade Shipyard" in result.output
    assert UNKNOWN_REVISION in result.output
    assert "Traceback" not in result.output


def test_db_upgrade_of_a_newer_schema_leaves_its_version_alone(uri: str) -> None:
    shipyard("db", "upgrade", "--backend-store-uri", uri)
    set_version(uri, UNKNOWN_REVISION)

    shipyard("db", "upgrade", "--backend-store-uri", uri)

    assert status_json(uri)["current"] == UNKNOWN_REVISION


def test_db_upgrade_of_an_unsupported_uri_fails_with_a_message() -> None:
    result = shipyard("db", "upgrade", "--backend-store-uri", "mysql://alice@db/tracking")

    assert result.exit_code != 0
    assert "Unsupported backend store" in result.output


def test_db_upgrade_of_a_foreign_database_fails_with_a_message(uri: str) -> None:
    shipyard("db", "upgrade", "--backend-store-uri", uri)
    set_version(uri, None)

    result = shipyard("db", "upgrade", "--backend-store-uri", uri)

    assert result.exit_code != 0
    assert "not created by Shipyard" in result.output


# -- status -------------------------------------------------------------------------------------


def test_db_status_json_of_a_new_database_is_empty(uri: str) -> None:
    assert status_json(uri) == {"state": "empty", "current": None, "head": head_revision()}


def test_db_status_json_of_an_upgraded_database_is_current(uri: str) -> None:
    shipyard("db", "upgrade", "--backend-store-uri", uri)

    assert status_json(uri) == {
        "state": "current",
        "current": head_revision(),
        "head": head_revision(),
    }


def test_db_status_json_of_an_older_schema_is_older(uri: str) -> None:
    upgrade(uri, FIRST_REVISION)

    assert status_json(uri) == {
        "state": "older",
        "current": FIRST_REVISION,
        "head": head_revision(),
    }


def test_db_status_json_of_a_newer_schema_is_newer(uri: str) -> None:
    shipyard("db", "upgrade", "--backend-store-uri", uri)
    set_version(uri, UNKNOWN_REVISION)

    assert status_json(uri) == {
        "state": "newer",
        "current": UNKNOWN_REVISION,
        "head": head_revision(),
    }


def test_db_status_does_not_create_the_schema(uri: str) -> None:
    status_json(uri)

    assert status_json(uri)["state"] == "empty"


def test_db_status_as_text_names_both_revisions(uri: str) -> None:
    shipyard("db", "upgrade", "--backend-store-uri", uri)

    result = shipyard("db", "status", "--backend-store-uri", uri)

    assert result.exit_code == 0, result.output
    assert result.output.count(head_revision()) == 2
    assert "current" in result.output
