"""``shipyard artifacts``: a run's files on a tracking server."""

from __future__ import annotations

from pathlib import Path

import click

from shipyard.cli.output import OUTPUT_OPTION, emit, transfer
from shipyard.client.artifacts import RunArtifacts
from shipyard.client.http import TrackingHTTP
from shipyard.domain.errors import ShipyardError

TRACKING_URI_OPTION = click.option(
    "--tracking-uri",
    help="Tracking server address (default: $SHIPYARD_TRACKING_URI, $MLFLOW_TRACKING_URI, "
    "or http://127.0.0.1:5000).",
)
RUN_OPTION = click.option("--run-id", "-r", required=True, help="The run whose artifacts to use.")


def _open(tracking_uri: str | None, run_id: str) -> tuple[TrackingHTTP, RunArtifacts]:
    http = TrackingHTTP(tracking_uri)
    try:
        return http, RunArtifacts(http, run_id)
    except BaseException:
        http.close()
        raise


@click.group()
def artifacts() -> None:
    """List, upload and download the artifacts of a run."""


@artifacts.command("list")
@TRACKING_URI_OPTION
@RUN_OPTION
@click.option("--path", "-p", default="", help="Folder to list (default: the run's root).")
@click.option("--recursive", is_flag=True, help="List every file below the folder.")
@OUTPUT_OPTION
def list_command(
    tracking_uri: str | None, run_id: str, path: str, recursive: bool, output: str
) -> None:
    """List a run's artifacts."""
    try:
        http, run = _open(tracking_uri, run_id)
        with http:
            entries = list(run.walk(path)) if recursive else run.list(path)
    except ShipyardError as exc:
        raise click.ClickException(exc.message) from exc
    rows = [{"path": e.path, "is_dir": e.is_dir, "size": e.size} for e in entries]
    emit(rows, ["path", "is_dir", "size"], output)


@artifacts.command("upload")
@TRACKING_URI_OPTION
@RUN_OPTION
@click.argument("local_path", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--artifact-path", "-a", default="", help="Folder of the run to upload into (default: root)."
)
@OUTPUT_OPTION
def upload_command(
    tracking_uri: str | None, run_id: str, local_path: Path, artifact_path: str, output: str
) -> None:
    """Upload a file or a folder to a run, with a progress bar."""
    if local_path.is_file():
        total = local_path.stat().st_size
    else:
        total = sum(p.stat().st_size for p in local_path.rglob("*") if p.is_file())
    try:
        http, run = _open(tracking_uri, run_id)
        with http, transfer(f"uploading {local_path.name}", total) as advance:
            written = run.upload(local_path, artifact_path, advance)
    except ShipyardError as exc:
        raise click.ClickException(exc.message) from exc
    emit([{"uploaded": path} for path in written], ["uploaded"], output)


@artifacts.command("download")
@TRACKING_URI_OPTION
@RUN_OPTION
@click.option("--path", "-p", default="", help="File or folder to download (default: all).")
@click.option(
    "--dst",
    "-d",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Local folder to download into.",
)
@click.option(
    "--zip",
    "zip_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Save the folder as this one zip file instead (built by the server in one go).",
)
@OUTPUT_OPTION
def download_command(
    tracking_uri: str | None,
    run_id: str,
    path: str,
    dst: Path,
    zip_file: Path | None,
    output: str,
) -> None:
    """Download a run's artifacts, with a progress bar."""
    try:
        http, run = _open(tracking_uri, run_id)
        with http:
            total = run.total_size(path) or None
            if zip_file is not None:
                with transfer(f"archiving {path or run_id}", None) as advance:
                    run.download_archive(path, zip_file, advance)
                emit([{"downloaded": str(zip_file)}], ["downloaded"], output)
                return
            with transfer(f"downloading {path or run_id}", total) as advance:
                files = run.download(path, dst, advance)
    except ShipyardError as exc:
        raise click.ClickException(exc.message) from exc
    emit([{"downloaded": str(f)} for f in files], ["downloaded"], output)
