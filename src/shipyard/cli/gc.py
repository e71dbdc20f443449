"""``shipyard gc``: delete for good what was soft-deleted, artifacts included."""

from __future__ import annotations

import json
import re
from typing import Any

import click

from shipyard.artifacts import open_artifact_store
from shipyard.domain.clock import now_ms
from shipyard.domain.errors import InvalidParameter, ShipyardError
from shipyard.server.purging import carry_out
from shipyard.server.settings import ServerSettings
from shipyard.store.engine import Database, parse_database_url
from shipyard.store.gc import GcPlan
from shipyard.store.migrate import SchemaMismatch, SchemaState, schema_status
from shipyard.store.tracking import TrackingStore, prepare_database

_DURATION = re.compile(r"^(\d+)([smhd]?)$")
_UNIT_MS = {"": 1000, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}


def parse_duration(text: str) -> int:
    """``30d``, ``12h``, ``15m``, ``45s`` (or plain seconds) as milliseconds."""
    match = _DURATION.match(text.strip().lower())
    if match is None:
        raise click.BadParameter(f"{text!r} is not a duration such as 30d, 12h, 15m or 0.")
    number, unit = match.groups()
    return int(number) * _UNIT_MS[unit]


def _check_exists(uri: str) -> None:
    """Refuse a database that is not there (gc must not create one)."""
    parsed = parse_database_url(uri)
    if parsed.sqlite_path is not None and not parsed.sqlite_path.exists():
        raise InvalidParameter(
            f"No tracking database at {parsed.sqlite_path}: check --backend-store-uri."
        )
    if schema_status(uri).state is SchemaState.EMPTY:
        raise InvalidParameter(f"The database {uri} holds no tracking data: check the URI.")


def _summary(plan: GcPlan) -> dict[str, Any]:
    return {
        "runs": [item.id for item in plan.runs],
        "logged_models": [item.id for item in plan.logged_models],
        "experiments": [{"id": e.id, "name": e.name} for e in plan.experiments],
    }


@click.command("gc")
@click.option(
    "--backend-store-uri",
    envvar="SHIPYARD_BACKEND_STORE_URI",
    help="Tracking database (default: the embedded SQLite database in ~/.shipyard).",
)
@click.option(
    "--artifacts-destination",
    envvar="SHIPYARD_ARTIFACTS_DESTINATION",
    help="The server's artifact store (default: the embedded folder in ~/.shipyard).",
)
@click.option(
    "--s3-endpoint-url",
    envvar=["SHIPYARD_S3_ENDPOINT_URL", "MLFLOW_S3_ENDPOINT_URL", "AWS_ENDPOINT_URL"],
    help="Endpoint of an S3-compatible artifact store.",
)
@click.option(
    "--older-than",
    default="0",
    show_default=True,
    help="Only what was deleted at least this long ago: 30d, 12h, 15m, 45s.",
)
@click.option("--run-ids", default="", help="Only these deleted runs (comma-separated).")
@click.option(
    "--experiment-ids", default="", help="Only these deleted experiments (comma-separated)."
)
@click.option("--dry-run", is_flag=True, help="Show what would be deleted; delete nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
def gc_command(
    backend_store_uri: str | None,
    artifacts_destination: str | None,
    s3_endpoint_url: str | None,
    older_than: str,
    run_ids: str,
    experiment_ids: str,
    dry_run: bool,
    as_json: bool,
) -> None:
    """Permanently delete runs, experiments and logged models in the deleted stage.

    Their params, metrics, tags and artifacts go too, and the names of purged experiments can
    be used again. Restoring is impossible afterwards: try --dry-run first.
    """
    embedded = ServerSettings.embedded()
    uri = backend_store_uri or embedded.backend_store_uri
    destination = artifacts_destination or embedded.artifacts_destination
    cutoff = now_ms() - parse_duration(older_than)
    try:
        _check_exists(uri)
        prepare_database(uri)
        store = TrackingStore(Database(uri), "")
    except (ShipyardError, SchemaMismatch) as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        plan = store.plan_gc(
            deleted_before=cutoff,
            run_ids=[r.strip() for r in run_ids.split(",") if r.strip()],
            experiment_ids=[e.strip() for e in experiment_ids.split(",") if e.strip()],
        )
        summary = _summary(plan)
        if dry_run or plan.empty:
            _report(summary, as_json, deleted=False, dry_run=dry_run)
            return
        artifacts = open_artifact_store(destination, s3_endpoint_url=s3_endpoint_url)
        result = carry_out(plan, store, artifacts)
        summary["artifact_files_deleted"] = result.artifact_files_deleted
        summary["notes"] = result.notes
        _report(summary, as_json, deleted=True, dry_run=False)
    except ShipyardError as exc:
        raise click.ClickException(exc.message) from exc
    finally:
        store.close()


def _report(summary: dict[str, Any], as_json: bool, *, deleted: bool, dry_run: bool) -> None:
    if as_json:
        click.echo(json.dumps({**summary, "dry_run": dry_run}))
        return
    verb = "Deleted" if deleted else "Would delete"
    counts = (
        f"{len(summary['runs'])} run(s), {len(summary['logged_models'])} logged model(s), "
        f"{len(summary['experiments'])} experiment(s)"
    )
    if not (summary["runs"] or summary["logged_models"] or summary["experiments"]):
        click.echo("Nothing to collect: no deleted runs, models or experiments match.")
        return
    click.echo(f"{verb} {counts}.")
    for experiment in summary["experiments"]:
        click.echo(f"  experiment {experiment['id']} ({experiment['name']})")
    for run_id in summary["runs"]:
        click.echo(f"  run {run_id}")
    if deleted:
        click.echo(f"Artifact files deleted: {summary['artifact_files_deleted']}")
        for note in summary["notes"]:
            click.echo(f"  note: {note}")
