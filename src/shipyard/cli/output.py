"""How commands print: tables for people, JSON for scripts, progress bars on terminals."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
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
        table.add_row(*("" if row.get(c) is None else str(row.get(c)) for c in columns))
    # On a terminal the table fits the window; piped, nothing is cut or wrapped.
    console = Console() if sys.stdout.isatty() else Console(width=100_000)
    console.print(table)


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
