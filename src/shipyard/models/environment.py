"""The environment files of a package: ``requirements.txt``, ``python_env.yaml``, ``conda.yaml``.

They list what loading the model needs: the flavor's library pinned to the installed version,
plus the serializer when one is used (cloudpickle, skops). Unlike MLflow, Shipyard does not add
``mlflow`` itself: neither Shipyard's loader nor MLflow's in-process loader needs it listed.
(``mlflow models serve --env-manager virtualenv`` builds an environment from these files and
then needs ``--install-mlflow``.) Versions are read from package metadata, so writing the files
imports nothing.
"""

from __future__ import annotations

import importlib.metadata
import re
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

import yaml  # type: ignore[import-untyped]

REQUIREMENTS_FILE_NAME = "requirements.txt"
PYTHON_ENV_FILE_NAME = "python_env.yaml"
CONDA_ENV_FILE_NAME = "conda.yaml"
PYTHON_VERSION = "{}.{}.{}".format(*sys.version_info[:3])

_BUILD_PACKAGES = ("pip", "setuptools", "wheel")


def installed_version(distribution: str) -> str | None:
    """The installed version of a distribution, or ``None`` when it is not installed."""
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def pinned_requirement(distribution: str) -> str:
    """``name==version`` for the installed distribution, without a local label (``+cpu``), so
    that pip can install it from an index; just the name when it is not installed."""
    version = installed_version(distribution)
    if version is None:
        return distribution
    return f"{distribution}=={version.split('+', 1)[0]}"


def resolve_requirements(
    defaults: Sequence[str],
    pip_requirements: Iterable[str] | None = None,
    extra_pip_requirements: Iterable[str] | None = None,
) -> list[str]:
    """The requirements to write: ``pip_requirements`` replaces the defaults, and
    ``extra_pip_requirements`` adds to them; duplicates are dropped, first one wins."""
    chosen = list(pip_requirements) if pip_requirements is not None else list(defaults)
    chosen += list(extra_pip_requirements or ())
    seen: set[str] = set()
    out = []
    for requirement in (r.strip() for r in chosen):
        key = _requirement_name(requirement)
        if requirement and key not in seen:
            seen.add(key)
            out.append(requirement)
    return out


def write_environment(directory: Path, requirements: Sequence[str]) -> dict[str, str]:
    """Write the three files; returns the ``env`` entry of the ``python_function`` flavor."""
    (directory / REQUIREMENTS_FILE_NAME).write_text("".join(f"{r}\n" for r in requirements))
    python_env = {
        "python": PYTHON_VERSION,
        "build_dependencies": [_build_dependency(p) for p in _BUILD_PACKAGES],
        "dependencies": [f"-r {REQUIREMENTS_FILE_NAME}"],
    }
    (directory / PYTHON_ENV_FILE_NAME).write_text(
        yaml.safe_dump(python_env, sort_keys=False, default_flow_style=False)
    )
    pip_version = installed_version("pip")
    conda_env = {
        "name": "shipyard-env",
        "channels": ["conda-forge"],
        "dependencies": [
            f"python={PYTHON_VERSION}",
            f"pip<={pip_version}" if pip_version else "pip",
            {"pip": list(requirements)},
        ],
    }
    (directory / CONDA_ENV_FILE_NAME).write_text(
        yaml.safe_dump(conda_env, default_flow_style=False)
    )
    return {"conda": CONDA_ENV_FILE_NAME, "virtualenv": PYTHON_ENV_FILE_NAME}


def read_requirements(directory: Path) -> list[str]:
    """The requirement lines of a package's ``requirements.txt`` (comments dropped)."""
    path = directory / REQUIREMENTS_FILE_NAME
    if not path.exists():
        return []
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return [line for line in lines if line]


def _build_dependency(package: str) -> str:
    version = installed_version(package)
    return f"{package}=={version}" if version else package


def _requirement_name(requirement: str) -> str:
    match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
    name = match.group(0) if match else requirement
    return re.sub(r"[-_.]+", "-", name).lower()
