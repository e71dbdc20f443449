"""``shipyard experiments``: list, inspect, create, rename, delete and restore experiments.

These commands (and ``shipyard runs``) work on any tracking URI through ``shipyard.Client``:
a server, or the embedded store with no server at all.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from itertools import islice
from typing import Any

import click

from shipyard.cli.output import OUTPUT_OPTION, emit, emit_one, when
from shipyard.client.backend import open_backend
from shipyard.client.batching import LoggingSettings
from shipyard.client.tracking import (
    Client,
    all_experiments,
    experiment_by_id_or_name,
)
from shipyard.domain.entities import Experiment, ViewType
from shipyard.domain.errors import InvalidParameter, NotFound, ShipyardError

TRACKING_URI_OPTION = click.option(
    "--tracking-uri",
    metavar="URI",
    help="A tracking server (http://host:port) or an embedded store (a folder, file:///folder, "
    "sqlite:///file.db). Default: $SHIPYARD_TRACKING_URI, $MLFLOW_TRACKING_URI, or the "
    "embedded store in $SHIPYARD_HOME (~/.shipyard).",
)
VIEWS = {"active": ViewType.ACTIVE_ONLY, "deleted": ViewType.DELETED_ONLY, "all": ViewType.ALL}
VIEW_OPTION = click.option(
    "--view",
    type=click.Choice(list(VIEWS)),
    default="active",
    show_default=True,
    help="Which to list: active, deleted, or all.",
)
ORDER_BY_OPTION = click.option(
    "--order-by",
    multiple=True,
    metavar="CLAUSE",
    help='e.g. "name ASC", "metrics.loss DESC"; repeat for ties.',
)
DEFAULT_MAX_RESULTS = 1000
MAX_RESULTS_OPTION = click.option(
    "--max-results",
    type=click.IntRange(1),
    default=DEFAULT_MAX_RESULTS,
    show_default=True,
    help="List at most this many.",
)
FILTER_HINT = "The filter grammar is in docs/search.md, e.g. \"name LIKE 'fraud%'\"."
EXPERIMENT_HINT = "See the experiments with `shipyard experiments list --view all`."
# Experiments are fetched a page at a time; a server may answer with shorter pages.
_PAGE_SIZE = 1000

Hints = Mapping[type[ShipyardError], str]


def _one_line(message: str, hint: str | None = None) -> str:
    # Later lines, if any, draw where a filter went wrong: the first line already says so.
    text = next((line.strip() for line in message.splitlines() if line.strip()), "Failed.")
    if not text.endswith((".", "!", "?")):
        text += "."
    return f"{text} {hint}" if hint else text


@contextmanager
def tracking(
    tracking_uri: str | None, *, create: bool = False, hints: Hints | None = None
) -> Iterator[Client]:
    """A client on the tracking URI; a Shipyard error ends the command with one line on stderr
    (with the hint given for its kind, if any) and exit status 1.

    ``create=False`` refuses an embedded store that does not exist rather than making one.
    """
    try:
        backend = open_backend(tracking_uri, create=create)
    except ShipyardError as exc:
        raise click.ClickException(_one_line(exc.message)) from exc
    try:
        # Nothing is logged from the CLI, so no background sender is needed.
        with Client(backend=backend, logging=LoggingSettings(asynchronous=False)) as client:
            yield client
    except ShipyardError as exc:
        hint = next((text for kind, text in (hints or {}).items() if isinstance(exc, kind)), None)
        raise click.ClickException(_one_line(exc.message, hint)) from exc
    except OSError as exc:  # a local file or folder of a transfer
        where = f" {exc.filename}" if exc.filename else ""
        raise click.ClickException(f"Cannot use{where}: {exc.strerror or exc}.") from exc


def parse_tags(
    _ctx: click.Context, _param: click.Parameter, values: Sequence[str]
) -> dict[str, str]:
    """``--tag key=value`` options as a dict (click callback)."""
    tags = {}
    for value in values:
        key, sep, text = value.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{value!r} is not KEY=VALUE.")
        tags[key] = text
    return tags


TAG_OPTION = click.option(
    "--tag",
    "tags",
    multiple=True,
    metavar="KEY=VALUE",
    callback=parse_tags,
    help="A tag to set; repeat for more.",
)


def warn_if_cut(found: int, limit: int) -> None:
    """Say on stderr that a listing stopped at --max-results while more were left."""
    if found > limit:
        click.echo(f"Showing the first {limit}; raise --max-results to see more.", err=True)


def experiment_record(experiment: Experiment) -> dict[str, Any]:
    """An experiment as the JSON output shows it (times in ms since the epoch)."""
    return {
        "experiment_id": experiment.experiment_id,
        "name": experiment.name,
        "artifact_location": experiment.artifact_location,
        "lifecycle_stage": str(experiment.lifecycle_stage),
        "creation_time": experiment.creation_time,
        "last_update_time": experiment.last_update_time,
        "tags": dict(experiment.tags),
    }


@click.group()
def experiments() -> None:
    """Experiments: list, show, create, rename, tag, delete, restore."""


@experiments.command("list")
@TRACKING_URI_OPTION
@click.option("--filter", "filter_string", help="e.g. \"name LIKE 'fraud%'\", \"tags.team = 'x'\".")
@ORDER_BY_OPTION
@VIEW_OPTION
@MAX_RESULTS_OPTION
@OUTPUT_OPTION
def list_command(
    tracking_uri: str | None,
    filter_string: str | None,
    order_by: tuple[str, ...],
    view: str,
    max_results: int,
    output: str,
) -> None:
    """List experiments (those matching --filter, if given)."""
    with tracking(tracking_uri, hints={InvalidParameter: FILTER_HINT}) as client:
        pages = all_experiments(
            client,
            view_type=VIEWS[view],
            filter_string=filter_string,
            order_by=list(order_by) or None,
            max_results=min(max_results + 1, _PAGE_SIZE),
        )
        found = list(islice(pages, max_results + 1))
    warn_if_cut(len(found), max_results)
    records = [experiment_record(e) for e in found[:max_results]]
    if output == "json":
        emit(records, [], output)
        return
    rows = [
        {
            "experiment_id": r["experiment_id"],
            "name": r["name"],
            "lifecycle_stage": r["lifecycle_stage"],
            "created": when(r["creation_time"]),
            "artifact_location": r["artifact_location"],
        }
        for r in records
    ]
    emit(rows, ["experiment_id", "name", "lifecycle_stage", "created", "artifact_location"], output)


experiments.add_command(list_command, "search")


@experiments.command("get")
@TRACKING_URI_OPTION
@click.argument("experiment")
@OUTPUT_OPTION
def get_command(tracking_uri: str | None, experiment: str, output: str) -> None:
    """Show an experiment (EXPERIMENT: its id or its name) and its tags."""
    with tracking(tracking_uri, hints={NotFound: EXPERIMENT_HINT}) as client:
        record = experiment_record(experiment_by_id_or_name(client, experiment))
    summary = {
        "experiment_id": record["experiment_id"],
        "name": record["name"],
        "lifecycle_stage": record["lifecycle_stage"],
        "artifact_location": record["artifact_location"],
        "created": when(record["creation_time"]),
        "updated": when(record["last_update_time"]),
    }
    emit_one(record, output, summary=summary, sections={"tags": record["tags"]})


@experiments.command("create")
@TRACKING_URI_OPTION
@click.argument("name")
@click.option(
    "--artifact-location",
    metavar="URI",
    help="Where its runs' artifacts go (default: the store's artifact root).",
)
@TAG_OPTION
@OUTPUT_OPTION
def create_command(
    tracking_uri: str | None,
    name: str,
    artifact_location: str | None,
    tags: dict[str, str],
    output: str,
) -> None:
    """Create an experiment called NAME; print its id."""
    with tracking(tracking_uri, create=True) as client:
        experiment_id = client.create_experiment(name, artifact_location, tags)
        record = experiment_record(client.get_experiment(experiment_id))
    if output == "json":
        emit_one(record, output, summary={})
    else:
        click.echo(f"Created experiment {name!r} with id {experiment_id}.")


@experiments.command("rename")
@TRACKING_URI_OPTION
@click.argument("experiment")
@click.argument("new_name")
def rename_command(tracking_uri: str | None, experiment: str, new_name: str) -> None:
    """Rename an experiment (EXPERIMENT: its id or its name)."""
    with tracking(tracking_uri, hints={NotFound: EXPERIMENT_HINT}) as client:
        found = experiment_by_id_or_name(client, experiment)
        client.rename_experiment(found.experiment_id, new_name)
    click.echo(f"Renamed experiment {found.experiment_id} from {found.name!r} to {new_name!r}.")


@experiments.command("delete")
@TRACKING_URI_OPTION
@click.argument("experiment", nargs=-1, required=True)
def delete_command(tracking_uri: str | None, experiment: tuple[str, ...]) -> None:
    """Delete experiments and their runs (ids or names); `restore` brings them back."""
    with tracking(tracking_uri, hints={NotFound: EXPERIMENT_HINT}) as client:
        for reference in experiment:
            found = experiment_by_id_or_name(client, reference)
            client.delete_experiment(found.experiment_id)
            click.echo(f"Deleted experiment {found.experiment_id} ({found.name!r}).")


@experiments.command("restore")
@TRACKING_URI_OPTION
@click.argument("experiment", nargs=-1, required=True)
def restore_command(tracking_uri: str | None, experiment: tuple[str, ...]) -> None:
    """Restore deleted experiments (ids or names) and the runs deleted with them."""
    with tracking(tracking_uri, hints={NotFound: EXPERIMENT_HINT}) as client:
        for reference in experiment:
            found = experiment_by_id_or_name(client, reference)
            client.restore_experiment(found.experiment_id)
            click.echo(f"Restored experiment {found.experiment_id} ({found.name!r}).")


@experiments.command("set-tag")
@TRACKING_URI_OPTION
@click.argument("experiment")
@click.argument("key")
@click.argument("value")
def set_tag_command(tracking_uri: str | None, experiment: str, key: str, value: str) -> None:
    """Set tag KEY to VALUE on an experiment (EXPERIMENT: its id or its name)."""
    with tracking(tracking_uri, hints={NotFound: EXPERIMENT_HINT}) as client:
        found = experiment_by_id_or_name(client, experiment)
        client.set_experiment_tag(found.experiment_id, key, value)
    click.echo(f"Set {key}={value!r} on experiment {found.experiment_id} ({found.name!r}).")
