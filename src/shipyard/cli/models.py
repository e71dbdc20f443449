"""``shipyard models``: the model registry from the command line."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from shipyard.artifacts.uris import PROXY_ROOT, managed_path
from shipyard.cli.artifacts import TRACKING_URI_OPTION
from shipyard.cli.output import OUTPUT_OPTION, emit, transfer
from shipyard.client.artifacts import ArtifactFolder
from shipyard.client.http import TrackingHTTP
from shipyard.client.registry import RegistryClient
from shipyard.domain.errors import InvalidParameter, ShipyardError

T = TypeVar("T")


@contextmanager
def _registry(tracking_uri: str | None) -> Iterator[RegistryClient]:
    try:
        with TrackingHTTP(tracking_uri) as http:
            yield RegistryClient(http)
    except ShipyardError as exc:
        raise click.ClickException(exc.message) from exc


def _when(milliseconds: Any) -> str:
    if not milliseconds:
        return ""
    moment = datetime.fromtimestamp(int(milliseconds) / 1000, tz=UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def _call(tracking_uri: str | None, action: Callable[[RegistryClient], T]) -> T:
    with _registry(tracking_uri) as registry:
        return action(registry)


@click.group()
def models() -> None:
    """Registered models: versions, aliases, approval, downloads."""


@models.command("list")
@TRACKING_URI_OPTION
@click.option("--filter", "filter_string", help="e.g. \"name LIKE 'fraud%'\".")
@OUTPUT_OPTION
def list_command(tracking_uri: str | None, filter_string: str | None, output: str) -> None:
    """List registered models."""
    found = _call(tracking_uri, lambda r: r.search_models(filter_string))
    rows = [
        {
            "name": m["name"],
            "aliases": ", ".join(f"@{a['alias']}=v{a['version']}" for a in m.get("aliases", [])),
            "latest": max((int(v["version"]) for v in m.get("latest_versions", [])), default=None),
            "updated": _when(m.get("last_updated_timestamp")),
        }
        for m in found
    ]
    emit(rows if output == "table" else found, ["name", "aliases", "latest", "updated"], output)


@models.command("versions")
@TRACKING_URI_OPTION
@click.argument("name")
@OUTPUT_OPTION
def versions_command(tracking_uri: str | None, name: str, output: str) -> None:
    """List the versions of a model with their aliases, stage and approval status."""

    def collect(registry: RegistryClient) -> list[dict[str, Any]]:
        rows = []
        for version in registry.versions(name):
            approval = registry.approval(name, version["version"])
            rows.append({**version, "approval": approval})
        return rows

    found = _call(tracking_uri, collect)
    table = [
        {
            "version": v["version"],
            "aliases": ", ".join(v.get("aliases", [])),
            "stage": v.get("current_stage"),
            "approval": v["approval"]["status"],
            "run_id": v.get("run_id"),
            "created": _when(v.get("creation_timestamp")),
        }
        for v in found
    ]
    emit(table if output == "table" else found, list(table[0] if table else ["version"]), output)


@models.command("alias-history")
@TRACKING_URI_OPTION
@click.argument("name")
@click.option("--alias", help="Only this alias.")
@OUTPUT_OPTION
def alias_history_command(
    tracking_uri: str | None, name: str, alias: str | None, output: str
) -> None:
    """Which version held each alias when, and who moved it."""
    changes = _call(tracking_uri, lambda r: r.alias_history(name, alias))
    rows = [
        {
            "when": _when(c["timestamp"]),
            "alias": c["alias"],
            "from": c["from_version"] or "-",
            "to": c["to_version"] or "(removed)",
            "by": c["changed_by"] or "",
        }
        for c in changes
    ]
    emit(rows if output == "table" else changes, ["when", "alias", "from", "to", "by"], output)


@models.command("set-alias")
@TRACKING_URI_OPTION
@click.argument("name")
@click.argument("alias")
@click.argument("version")
def set_alias_command(tracking_uri: str | None, name: str, alias: str, version: str) -> None:
    """Point ALIAS of model NAME at VERSION (recorded in the alias history)."""
    _call(tracking_uri, lambda r: r.set_alias(name, alias, version))
    click.echo(f"{name}@{alias} -> version {version}")


@models.command("delete-alias")
@TRACKING_URI_OPTION
@click.argument("name")
@click.argument("alias")
def delete_alias_command(tracking_uri: str | None, name: str, alias: str) -> None:
    """Remove ALIAS from model NAME."""
    _call(tracking_uri, lambda r: r.delete_alias(name, alias))
    click.echo(f"{name}@{alias} removed")


def _approval_command(status: str, verb: str) -> Callable[..., None]:
    @TRACKING_URI_OPTION
    @click.argument("name")
    @click.argument("version")
    @click.option("--comment", "-m", help="Why (kept with the decision).")
    @OUTPUT_OPTION
    def command(
        tracking_uri: str | None, name: str, version: str, comment: str | None, output: str
    ) -> None:
        result = _call(tracking_uri, lambda r: r.set_approval(name, version, status, comment))
        emit([result], ["name", "version", "status", "comment"], output)

    command.__doc__ = f"{verb} a version of a model."
    return command


models.command("approve")(_approval_command("Approved", "Approve"))
models.command("reject")(_approval_command("Rejected", "Reject"))
models.command("reset-approval")(
    _approval_command("PendingManualApproval", "Put back to pending approval")
)


@models.command("approval")
@TRACKING_URI_OPTION
@click.argument("name")
@click.argument("version")
@OUTPUT_OPTION
def approval_command(tracking_uri: str | None, name: str, version: str, output: str) -> None:
    """Show a version's approval status, who set it, when and why."""
    result = _call(tracking_uri, lambda r: r.approval(name, version))
    result = {**result, "updated": _when(result.get("updated_timestamp"))}
    emit([result], ["name", "version", "status", "updated_by", "updated", "comment"], output)


@models.command("download")
@TRACKING_URI_OPTION
@click.argument("reference")
@click.option(
    "--dst",
    "-d",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Local folder to download into.",
)
@OUTPUT_OPTION
def download_command(tracking_uri: str | None, reference: str, dst: Path, output: str) -> None:
    """Download a version's files: REFERENCE is name/3, name@alias, or name (the newest)."""
    try:
        with TrackingHTTP(tracking_uri) as http:
            registry = RegistryClient(http)
            version = registry.resolve(reference)
            uri = registry.download_uri(version["name"], version["version"])
            if not uri.startswith(PROXY_ROOT):
                raise InvalidParameter(
                    f"The version's files are at {uri}, which this server does not proxy."
                )
            root = managed_path(uri, "") or ""
            folder = ArtifactFolder(http, root)
            with transfer(f"downloading {reference}", folder.total_size() or None) as advance:
                files = folder.download("", dst, advance)
    except ShipyardError as exc:
        raise click.ClickException(exc.message) from exc
    emit([{"downloaded": str(f)} for f in files], ["downloaded"], output)
