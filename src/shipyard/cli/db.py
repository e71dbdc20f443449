"""``shipyard db``: the tracking database's schema."""

from __future__ import annotations

import json
from pathlib import Path

import click

from shipyard.domain.errors import ShipyardError
from shipyard.server.settings import ServerSettings
from shipyard.store.migrate import (
    SchemaMismatch,
    SchemaState,
    newer_schema_message,
    schema_status,
    upgrade,
)

_URI_OPTION = click.option(
    "--backend-store-uri",
    envvar="SHIPYARD_BACKEND_STORE_URI",
    help="Database to act on (default: the embedded SQLite database in ~/.shipyard).",
)


def _uri(value: str | None) -> str:
    return value or ServerSettings.embedded().backend_store_uri


@click.group()
def db() -> None:
    """Inspect and upgrade the tracking database schema."""


@db.command("upgrade")
@_URI_OPTION
def upgrade_command(backend_store_uri: str | None) -> None:
    """Run the schema migrations up to the newest revision (back up the database first)."""
    uri = _uri(backend_store_uri)
    if uri.startswith("sqlite:///"):
        Path(uri.removeprefix("sqlite:///")).expanduser().parent.mkdir(parents=True, exist_ok=True)
    try:
        before = schema_status(uri)
        if before.state is SchemaState.NEWER:
            raise click.ClickException(newer_schema_message(before))
        after = upgrade(uri)
    except (ShipyardError, SchemaMismatch) as exc:
        raise click.ClickException(str(exc)) from exc
    if before.current == after.current:
        click.echo(f"Already at the newest schema revision ({after.current}).")
    else:
        click.echo(f"Upgraded the schema from {before.current or 'empty'} to {after.current}.")


@db.command("status")
@_URI_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
def status_command(backend_store_uri: str | None, as_json: bool) -> None:
    """Show the database's schema revision and whether it needs an upgrade."""
    try:
        status = schema_status(_uri(backend_store_uri))
    except (ShipyardError, SchemaMismatch) as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(
            json.dumps({"state": status.state, "current": status.current, "head": status.head})
        )
        return
    click.echo(
        f"schema: {status.current or '(empty)'}  newest known: {status.head}  ({status.state})"
    )
