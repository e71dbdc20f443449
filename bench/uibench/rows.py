"""Table rows of the UI benchmark: trackbench's rows, plus a ceiling on Shipyard's value."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from trackbench.report import CANDIDATE, Row


@dataclass
class UiRow(Row):
    """A row whose target may also be "Shipyard's value at most ``ceiling``"."""

    ceiling: float | None = None

    def ceiling_met(self) -> bool | None:
        value = self.values.get(CANDIDATE)
        if self.ceiling is None or value is None:
            return None
        return value <= self.ceiling

    def goal_text(self) -> str:
        if self.ceiling is None:
            return super().goal_text()
        met = self.ceiling_met()
        verdict = "?" if met is None else ("met" if met else "NOT met")
        return f"<= {self.ceiling:,.0f} {self.unit.split()[0]}: {verdict}"

    def as_json(self) -> dict[str, Any]:
        data = super().as_json()
        if self.ceiling is not None:
            data["goal_met"] = self.ceiling_met()
        return data
