"""Result metrics and the three ways they are written: console table, Markdown, JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from trackbench.report import format_value

CANDIDATE = "shipyard"
BASELINE = "mlflow"
HEADERS = ("metric", "unit", CANDIDATE, BASELINE, "ratio", "target met?", "note")
NUMERIC_COLUMNS = {2, 3, 4}


@dataclass(frozen=True)
class Target:
    """A goal of issue 3: a minimum ratio to MLflow, or a ceiling on Shipyard's own value."""

    kind: Literal["ratio", "below"]
    value: float

    def describe(self, unit: str) -> str:
        """``>= 5x`` or ``< 64 MB``."""
        if self.kind == "ratio":
            return f">= {self.value:g}x"
        return f"< {self.value:g} {unit.split()[-1]}"

    def met(self, metric: Metric) -> bool | None:
        """Whether ``metric`` meets the goal; None when it cannot be judged."""
        if self.kind == "ratio":
            ratio = metric.ratio()
            return None if ratio is None else ratio >= self.value
        value = metric.values.get(CANDIDATE)
        return None if value is None else value < self.value


@dataclass
class Metric:
    """One line of the table: what was measured, one value per server, and the goal.

    ``ratio`` is how many times better Shipyard is: shipyard/mlflow for throughput,
    mlflow/shipyard for times. ``compared=False`` rows (memory growth, Shipyard-only figures)
    have no ratio, because one side is not there or can be close to zero.
    """

    name: str
    unit: str
    better: Literal["higher", "lower"]
    values: dict[str, float | None]
    note: str = ""
    target: Target | None = None
    compared: bool = True

    def ratio(self) -> float | None:
        """How many times better Shipyard is; None without two positive values."""
        candidate, baseline = self.values.get(CANDIDATE), self.values.get(BASELINE)
        if not self.compared or not candidate or not baseline or candidate < 0 or baseline < 0:
            return None
        return candidate / baseline if self.better == "higher" else baseline / candidate

    def target_text(self) -> str:
        """``>= 5x: met`` and the like; empty without a target."""
        if self.target is None:
            return ""
        met = self.target.met(self)
        verdict = "?" if met is None else ("met" if met else "NOT met")
        return f"{self.target.describe(self.unit)}: {verdict}"

    def cells(self) -> tuple[str, ...]:
        """The row as table cells."""
        ratio = self.ratio()
        return (
            self.name,
            self.unit,
            format_value(self.values.get(CANDIDATE)),
            format_value(self.values.get(BASELINE)),
            "-" if ratio is None else f"{format_value(ratio)}x",
            self.target_text(),
            self.note,
        )

    def as_json(self) -> dict[str, Any]:
        """The metric with its ratio and verdict."""
        return {
            "name": self.name,
            "unit": self.unit,
            "better": self.better,
            "values": self.values,
            "ratio": self.ratio(),
            "target": None if self.target is None else self.target.describe(self.unit),
            "target_met": None if self.target is None else self.target.met(self),
            "note": self.note,
        }


def count_of(count: int, singular: str, plural: str) -> str:
    """``1 process``, ``15 processes``."""
    return f"{count} {singular if count == 1 else plural}"


def console_table(metrics: list[Metric]) -> str:
    """A fixed-width table, numbers right-aligned."""
    table = [HEADERS, *(metric.cells() for metric in metrics)]
    widths = [max(len(row[i]) for row in table) for i in range(len(HEADERS))]
    lines = []
    for row in table:
        cells = [
            cell.rjust(width) if i in NUMERIC_COLUMNS else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def markdown_table(metrics: list[Metric]) -> str:
    """The same table in GitHub Markdown."""
    align = ["---", "---", "---:", "---:", "---:", "---", "---"]
    lines = ["| " + " | ".join(HEADERS) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(metric.cells()) + " |" for metric in metrics]
    return "\n".join(lines)


MARKDOWN_LEGEND = (
    "MB = 10^6 bytes. Ratio = how many times better Shipyard is (higher throughput or lower "
    "time), medians over repetitions that alternate which server goes first. Memory is the RSS "
    "summed over the server's whole process tree (parent and children), sampled every 50 ms; "
    "growth is the peak during a transfer minus the idle RSS before the large transfers, the "
    "worst repetition. Every download is checked against the upload (size and SHA-256)."
)


@dataclass
class Report:
    """Everything the run produced, as written to disk."""

    command: str
    quick: bool
    duration_seconds: float
    machine: dict[str, Any]
    servers: dict[str, dict[str, Any]]
    sizes: dict[str, int]
    metrics: list[Metric]
    warnings: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """The report as plain JSON data."""
        return {
            "command": self.command,
            "quick": self.quick,
            "duration_seconds": self.duration_seconds,
            "machine": self.machine,
            "servers": self.servers,
            "sizes": self.sizes,
            "metrics": [metric.as_json() for metric in self.metrics],
            "warnings": self.warnings,
            "details": self.details,
        }

    def markdown(self) -> str:
        """A section ready to paste into docs/benchmarks.md."""
        machine = self.machine
        lines = [
            f"### Artifacts: Shipyard vs MLflow ({'quick' if self.quick else 'full'} run)",
            "",
            f"Command: `{self.command}`",
            "",
            f"Machine: {machine['cpu_count']} CPUs ({machine['cpu_model']}), "
            f"{machine['memory_gb']} GB RAM, {machine['platform']}, Python {machine['python']}; "
            f"load average {machine['load_at_start']} at start, "
            f"{machine.get('load_at_end', '?')} at end; run took "
            f"{self.duration_seconds / 60:.1f} min.",
            "",
        ]
        lines += [
            f"- {name} {server['version']}: `{server['command']}` "
            f"({count_of(server['processes'], 'process', 'processes')} when idle)"
            for name, server in self.servers.items()
        ]
        lines += ["", markdown_table(self.metrics), "", MARKDOWN_LEGEND]
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
