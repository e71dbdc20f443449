"""``shipyard runs``: search runs, show one, delete and restore, metric history, transfers.

``runs download`` and ``runs upload`` move a run's artifacts through ``shipyard.Client``, so they
work on the embedded store as well as on a server; ``shipyard artifacts`` offers listings and
zip downloads from a server.
"""

from __future__ import annotations

import posixpath
from pathlib import Path
from typing import Any

import click

from shipyard.cli.experiments import (
    EXPERIMENT_HINT,
    FILTER_HINT,
    MAX_RESULTS_OPTION,
    ORDER_BY_OPTION,
    TRACKING_URI_OPTION,
    VIEW_OPTION,
    VIEWS,
    tracking,
    warn_if_cut,
)
from shipyard.cli.output import OUTPUT_OPTION, emit, emit_one, number, transfer, when
from shipyard.client.tracking import Client, all_runs, experiment_by_id_or_name
from shipyard.domain.entities import Run
from shipyard.domain.errors import InvalidParameter, NotFound

RUN_HINT = "Find run ids with `shipyard runs list --experiment <id-or-name>`."
LIST_COLUMNS = ["run_id", "run_name", "experiment_id", "status", "user_id", "started", "ended"]


def run_record(run: Run) -> dict[str, Any]:
    """A run as the JSON output shows it: info fields, then params, latest metrics and tags
    as objects (times in ms since the epoch)."""
    info = run.info
    return {
        "run_id": info.run_id,
        "run_name": info.name,
        "experiment_id": info.experiment_id,
        "user_id": info.user_id,
        "status": str(info.status),
        "start_time": info.start_time,
        "end_time": info.end_time,
        "artifact_uri": info.artifact_uri,
        "lifecycle_stage": str(info.lifecycle_stage),
        "params": dict(run.params),
        "metrics": {m.key: number(m.value) for m in run.metrics},
        "tags": dict(run.tags),
    }


def _duration(start: int | None, end: int | None) -> str:
    if not start or not end:
        return ""
    seconds = max(0, end - start) / 1000
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(int(minutes), 60)
    return f"{hours}h{minutes:02d}m{seconds:04.1f}s" if hours else f"{minutes}m{seconds:04.1f}s"


@click.group()
def runs() -> None:
    """Runs: search, show, delete, restore, metric history, artifact transfers."""


@runs.command("list")
@TRACKING_URI_OPTION
@click.option(
    "--experiment",
    "-e",
    "experiment_refs",
    multiple=True,
    required=True,
    metavar="ID_OR_NAME",
    help="The experiment to search; repeat for more.",
)
@click.option(
    "--filter", "filter_string", help="e.g. \"metrics.loss < 0.1 and params.lr = '0.01'\"."
)
@ORDER_BY_OPTION
@VIEW_OPTION
@MAX_RESULTS_OPTION
@OUTPUT_OPTION
def list_command(
    tracking_uri: str | None,
    experiment_refs: tuple[str, ...],
    filter_string: str | None,
    order_by: tuple[str, ...],
    view: str,
    max_results: int,
    output: str,
) -> None:
    """List the runs of experiments (those matching --filter, if given), newest first."""
    hints = {InvalidParameter: FILTER_HINT, NotFound: EXPERIMENT_HINT}
    with tracking(tracking_uri, hints=hints) as client:
        ids = [experiment_by_id_or_name(client, ref).experiment_id for ref in experiment_refs]
        found = list(
            all_runs(
                client,
                list(dict.fromkeys(ids)),
                filter_string=filter_string or "",
                run_view_type=VIEWS[view],
                order_by=list(order_by) or None,
                max_results=max_results + 1,
            )
        )
    warn_if_cut(len(found), max_results)
    records = [run_record(r) for r in found[:max_results]]
    if output == "json":
        emit(records, [], output)
        return
    rows = [{**r, "started": when(r["start_time"]), "ended": when(r["end_time"])} for r in records]
    emit(rows, LIST_COLUMNS, output)


runs.add_command(list_command, "search")


@runs.command("get")
@TRACKING_URI_OPTION
@click.argument("run_id")
@OUTPUT_OPTION
def get_command(tracking_uri: str | None, run_id: str, output: str) -> None:
    """Show a run: its info, params, latest metrics and tags."""
    with tracking(tracking_uri, hints={NotFound: RUN_HINT}) as client:
        run = client.get_run(run_id)
    record = run_record(run)
    summary = {
        "run_id": record["run_id"],
        "run_name": record["run_name"],
        "experiment_id": record["experiment_id"],
        "status": record["status"],
        "lifecycle_stage": record["lifecycle_stage"],
        "user_id": record["user_id"],
        "started": when(record["start_time"]),
        "ended": when(record["end_time"]),
        "duration": _duration(record["start_time"], record["end_time"]),
        "artifact_uri": record["artifact_uri"],
    }
    metrics = {m.key: f"{m.value} (step {m.step})" for m in run.metrics}
    sections = {"params": record["params"], "metrics": metrics, "tags": record["tags"]}
    emit_one(record, output, summary=summary, sections=sections)


@runs.command("delete")
@TRACKING_URI_OPTION
@click.argument("run_ids", nargs=-1, required=True)
def delete_command(tracking_uri: str | None, run_ids: tuple[str, ...]) -> None:
    """Delete runs (`restore` brings them back until `shipyard gc` removes them)."""
    with tracking(tracking_uri, hints={NotFound: RUN_HINT}) as client:
        for run_id in run_ids:
            client.delete_run(run_id)
            click.echo(f"Deleted run {run_id}.")


@runs.command("restore")
@TRACKING_URI_OPTION
@click.argument("run_ids", nargs=-1, required=True)
def restore_command(tracking_uri: str | None, run_ids: tuple[str, ...]) -> None:
    """Restore deleted runs."""
    with tracking(tracking_uri, hints={NotFound: RUN_HINT}) as client:
        for run_id in run_ids:
            client.restore_run(run_id)
            click.echo(f"Restored run {run_id}.")


@runs.command("metric-history")
@TRACKING_URI_OPTION
@click.argument("run_id")
@click.argument("key")
@OUTPUT_OPTION
def metric_history_command(tracking_uri: str | None, run_id: str, key: str, output: str) -> None:
    """Every point of metric KEY of a run, oldest first."""
    with tracking(tracking_uri, hints={NotFound: RUN_HINT}) as client:
        points = client.get_metric_history(run_id, key)
        if not points:
            _no_such_metric(client, run_id, key)
    records: list[dict[str, Any]] = [
        {"step": p.step, "value": number(p.value), "timestamp": p.timestamp} for p in points
    ]
    if output == "json":
        emit(records, [], output)
        return
    rows = [{**r, "time": when(r["timestamp"])} for r in records]
    emit(rows, ["step", "value", "time"], output)


def _no_such_metric(client: Client, run_id: str, key: str) -> None:
    """Raise NotFound naming the metrics the run has (or NotFound for the run itself)."""
    keys = sorted(m.key for m in client.get_run(run_id).metrics)
    has = f"its metrics are: {', '.join(keys)}" if keys else "it has no metrics"
    raise NotFound(f"Run {run_id} has no metric {key!r}; {has}.")


def _size(client: Client, run_id: str, path: str) -> int | None:
    """Bytes to transfer for a file or folder of a run's artifacts (None if unknown)."""
    total = sum(item.size or 0 for item in client.walk_artifacts(run_id, path))
    if total:
        return total
    inside = path.strip("/")
    for item in client.list_artifacts(run_id, posixpath.dirname(inside)):
        if item.path == inside and not item.is_dir:
            return item.size
    return None


@runs.command("download")
@TRACKING_URI_OPTION
@click.argument("run_id")
@click.argument("path", default="")
@click.option(
    "--dst",
    "-d",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Local folder to download into; the artifact keeps its path below it.",
)
@OUTPUT_OPTION
def download_command(
    tracking_uri: str | None, run_id: str, path: str, dst: Path, output: str
) -> None:
    """Download a run's artifacts (PATH: a file or folder, default all), with a progress bar.

    As with MLflow, PATH is kept: `runs download RUN plots -d out` writes out/plots/...
    """
    with tracking(tracking_uri, hints={NotFound: RUN_HINT}) as client:
        total = _size(client, run_id, path)
        with transfer(f"downloading {path or run_id}", total) as advance:
            local = client.download_artifacts(run_id, path, dst, advance)
    record = {"run_id": run_id, "path": path, "local_path": local}
    if output == "json":
        emit_one(record, output, summary={})
    else:
        click.echo(local)


@runs.command("upload")
@TRACKING_URI_OPTION
@click.argument("run_id")
@click.argument("local_path", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--artifact-path",
    "-a",
    default="",
    help="Folder of the run's artifacts to upload into (default: the root).",
)
@OUTPUT_OPTION
def upload_command(
    tracking_uri: str | None, run_id: str, local_path: Path, artifact_path: str, output: str
) -> None:
    """Upload a file, or the files of a folder (keeping its tree), to a run, with a progress
    bar."""
    if local_path.is_file():
        total = local_path.stat().st_size
    else:
        total = sum(p.stat().st_size for p in local_path.rglob("*") if p.is_file())
    with (
        tracking(tracking_uri, hints={NotFound: RUN_HINT}) as client,
        transfer(f"uploading {local_path.name}", total) as advance,
    ):
        client.log_artifact(run_id, local_path, artifact_path, advance)
    folder = artifact_path.strip("/")
    target = posixpath.join(folder, local_path.name) if local_path.is_file() else folder
    record = {"run_id": run_id, "local_path": str(local_path), "artifact_path": target}
    if output == "json":
        emit_one(record, output, summary={})
    else:
        click.echo(f"Uploaded {local_path} to {target or 'the root'} of run {run_id}'s artifacts.")


runs.add_command(upload_command, "log-artifact")
