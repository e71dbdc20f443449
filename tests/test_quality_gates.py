"""The project's quality gates, run as tests so CI enforces them: format, lint, strict types."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *command], cwd=ROOT, capture_output=True, text=True, timeout=600
    )


@pytest.mark.parametrize(
    "command",
    [
        ("ruff", "format", "--check", "src", "tests", "bench"),
        ("ruff", "check", "src", "tests", "bench"),
        ("mypy", "src"),
    ],
    ids=["ruff-format", "ruff-check", "mypy-strict"],
)
def test_gate_passes(command: tuple[str, ...]) -> None:
    result = _run(*command)
    assert result.returncode == 0, f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}"
