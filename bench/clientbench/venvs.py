"""Throwaway venvs with one client each, installed by pip as a user would, cached between runs.

``shipyard``: ``pip install <repo>`` (the light client, no extras); ``mlflow``: ``pip install
mlflow==3.17.2``; ``bare``: nothing, to subtract what every venv holds (pip itself). Sizes are
the bytes of each venv's site-packages (``du``-like: the sum of file sizes).
"""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

MLFLOW_REQUIREMENT = "mlflow==3.17.2"


@dataclass
class Venv:
    name: str
    path: Path
    install_seconds: float | None  # None: reused from the cache

    @property
    def python(self) -> Path:
        return self.path / "bin" / "python"

    def site_packages(self) -> Path:
        [found] = (self.path / "lib").glob("python*/site-packages")
        return found

    def size_bytes(self) -> int:
        return tree_bytes(self.site_packages())

    def distributions(self) -> int:
        return len(list(self.site_packages().glob("*.dist-info")))


def tree_bytes(folder: Path) -> int:
    total = 0
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            total += path.stat().st_size
    return total


def ensure(name: str, root: Path, requirement: str | None, fresh: bool) -> Venv:
    """The venv ``root/name`` with ``requirement`` installed; made (or remade) if needed."""
    path = root / name
    marker = path / ".clientbench-complete"
    if marker.exists() and not fresh:
        return Venv(name, path, None)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(path)], check=True)
    if requirement is not None:
        subprocess.run(
            [str(path / "bin" / "python"), "-m", "pip", "install", "--quiet", requirement],
            check=True,
        )
    marker.write_text((requirement or "") + "\n")
    return Venv(name, path, time.perf_counter() - started)
