"""How commands print: tables for people, JSON for scripts, progress bars on terminals."""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table
from rich.text import Text

OUTPUT_OPTION = click.option(
    "--output",
    "-o",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="table for people, json for scripts.",
)


def emit(rows: Sequence[dict[str, Any]], columns: Sequence[str], output: str) -> None:
    """Print rows as a table or as a JSON list."""
    if output == "json":
        click.echo(json.dumps(list(rows), default=str))
        return
    table = Table(*columns, box=None, header_style="bold")
    for row in rows:
        table.add_row(*(_cell(row.get(c)) for c in columns))
    _console().print(table)


def emit_one(
    record: Mapping[str, Any],
    output: str,
    *,
    summary: Mapping[str, Any],
    sections: Mapping[str, Mapping[str, Any]] | None = None,
) -> None:
    """Print one thing: ``record`` as a JSON object, or for people ``summary`` as a field/value
    table followed by a key/value table for each section (params, tags...)."""
    if output == "json":
        click.echo(json.dumps(record, default=str))
        return
    console = _console()
    fields = Table(box=None, show_header=False)
    for name, value in summary.items():
        fields.add_row(Text(name, style="bold"), _cell(value))
    console.print(fields)
    for title, values in (sections or {}).items():
        console.print()
        console.print(Text(f"{title} ({len(values)})", style="bold"))
        table = Table(box=None, show_header=False)
        for key, value in values.items():
            table.add_row(Text(f"  {key}"), _cell(value))
        console.print(table)


def _cell(value: Any) -> Text:
    # Text, not a str: rich would read "[...]" in a tag or param value as markup.
    return Text("" if value is None else str(value))


def _console() -> Console:
    # On a terminal the table fits the window; piped, nothing is cut or wrapped.
    return Console() if sys.stdout.isatty() else Console(width=100_000)


def when(milliseconds: int | None) -> str:
    """A time in milliseconds since the epoch, for people (UTC); empty when unset."""
    if not milliseconds:
        return ""
    moment = datetime.fromtimestamp(int(milliseconds) / 1000, tz=UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def number(value: float) -> float | str:
    """A float for JSON output: NaN and infinities as the strings MLflow's JSON uses, since a
    bare NaN token is not JSON."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


@contextmanager
def transfer(description: str, total: int | None) -> Iterator[Any]:
    """A byte-counting progress bar on a terminal (silent otherwise); yields ``advance(n)``."""
    if not sys.stderr.isatty():
        yield lambda _n: None
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=False) as progress:
        task = progress.add_task(description, total=total)

        def advance(count: int) -> None:
            progress.advance(task, count)

        yield advance
