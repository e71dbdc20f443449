"""Result rows, and the three ways they are written: console table, Markdown, JSON."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

CANDIDATE = "shipyard"
BASELINE = "mlflow"


@dataclass(frozen=True)
class Goal:
    """A target from issue 2: a minimum speedup, or an absolute ceiling for Shipyard's value."""

    kind: Literal["speedup", "below"]
    value: float

    def describe(self, unit: str) -> str:
        """The goal as shown in the table, e.g. ``>= 30x`` or ``< 5 ms``."""
        if self.kind == "speedup":
            return f">= {self.value:g}x"
        return f"< {self.value:g} {unit.split()[-1]}"

    def met(self, row: Row) -> bool | None:
        """Whether ``row`` meets the goal; None when it cannot be judged."""
        if self.kind == "speedup":
            speedup = row.speedup()
            return None if speedup is None else speedup >= self.value
        value = row.values.get(CANDIDATE)
        return None if value is None else value < self.value


@dataclass
class Row:
    """One line of the table: a workload, what was measured, one value per server.

    ``better`` says which direction wins, so :meth:`speedup` is always "how many times better
    Shipyard is": shipyard/mlflow for throughput, mlflow/shipyard for times and memory.
    """

    workload: str
    unit: str
    better: Literal["higher", "lower"]
    values: dict[str, float | None]
    note: str = ""
    goal: Goal | None = None

    def speedup(self) -> float | None:
        """How many times better Shipyard is than MLflow; None without both values."""
        candidate, baseline = self.values.get(CANDIDATE), self.values.get(BASELINE)
        if not candidate or not baseline:
            return None
        return candidate / baseline if self.better == "higher" else baseline / candidate

    def goal_text(self) -> str:
        """``>= 30x: met`` and the like; empty without a goal."""
        if self.goal is None:
            return ""
        met = self.goal.met(self)
        verdict = "?" if met is None else ("met" if met else "NOT met")
        return f"{self.goal.describe(self.unit)}: {verdict}"

    def as_json(self) -> dict[str, Any]:
        """The row with its speedup and goal verdict, for the JSON report."""
        data = asdict(self)
        data["speedup"] = self.speedup()
        data["goal"] = None if self.goal is None else asdict(self.goal)
        data["goal_met"] = None if self.goal is None else self.goal.met(self)
        return data


def format_value(value: float | None) -> str:
    """A number with as many digits as are meaningful at its size."""
    if value is None:
        return "-"
    magnitude = abs(value)
    if magnitude >= 1000:
        return f"{value:,.0f}"
    if magnitude >= 100:
        return f"{value:.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    if magnitude >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def format_speedup(row: Row) -> str:
    """``12.3x`` or ``-``."""
    speedup = row.speedup()
    return "-" if speedup is None else f"{format_value(speedup)}x"


HEADERS = ("workload", "metric", CANDIDATE, BASELINE, "speedup", "target", "note")


def _cells(row: Row) -> tuple[str, ...]:
    return (
        row.workload,
        row.unit,
        format_value(row.values.get(CANDIDATE)),
        format_value(row.values.get(BASELINE)),
        format_speedup(row),
        row.goal_text(),
        row.note,
    )


def console_table(rows: list[Row]) -> str:
    """A fixed-width table; numbers right-aligned."""
    table = [HEADERS, *(_cells(row) for row in rows)]
    widths = [max(len(line[i]) for line in table) for i in range(len(HEADERS))]
    numeric = {2, 3, 4}
    lines = []
    for line in table:
        cells = [
            cell.rjust(width) if i in numeric else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(line, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def markdown_table(rows: list[Row]) -> str:
    """The same table in GitHub Markdown."""
    lines = [
        "| " + " | ".join(HEADERS) + " |",
        "|" + "|".join(["---", "---", "---:", "---:", "---:", "---", "---"]) + "|",
    ]
    lines.extend("| " + " | ".join(_cells(row)).replace("\n", " ") + " |" for row in rows)
    return "\n".join(lines)


@dataclass
class Report:
    """Everything the run produced, as written to disk."""

    command: str
    quick: bool
    duration_seconds: float
    machine: dict[str, Any]
    servers: dict[str, dict[str, Any]]
    sizes: dict[str, int]
    rows: list[Row]
    warnings: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """The report as plain JSON data."""
        data = asdict(self)
        data["rows"] = [row.as_json() for row in self.rows]
        return data

    def markdown(self) -> str:
        """A section ready to paste into docs/benchmarks.md."""
        machine = self.machine
        lines = [
            f"### Tracking server: Shipyard vs MLflow ({'quick' if self.quick else 'full'} run)",
            "",
            f"Command: `{self.command}`",
            "",
            f"Machine: {machine['cpu_count']} CPUs ({machine['cpu_model']}), "
            f"{machine['memory_gb']} GB RAM, {machine['platform']}, Python {machine['python']}; "
            f"load average {machine['load_at_start']} at start, "
            f"{machine.get('load_at_end', '?')} at end; "
            f"run took {self.duration_seconds / 60:.1f} min.",
            "",
        ]
        for name, server in self.servers.items():
            lines.append(
                f"- {name} {server['version']}: `{server['command']}` "
                f"(workers: {server['workers']}; {server['processes']} processes when idle)"
            )
        lines += [
            "",
            markdown_table(self.rows),
            "",
            "Speedup = how many times better Shipyard is (higher throughput, or lower time or "
            "memory); medians over interleaved repetitions. Memory sums the server's whole "
            "process tree: RSS counts shared pages once per process, PSS splits them.",
        ]
        if self.warnings:
            lines += ["", "Warnings:", "", *(f"- {warning}" for warning in self.warnings)]
        return "\n".join(lines) + "\n"

    def write(self, json_path: Path) -> Path:
        """Write the JSON file and a Markdown file next to it; the Markdown path."""
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(self.as_json(), indent=2) + "\n")
        markdown_path = json_path.with_suffix(".md")
        markdown_path.write_text(self.markdown())
        return markdown_path
