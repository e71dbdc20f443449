"""The light install: `pip install shipyard` is the client, the `server` extra is the server.

The client's import chain must work without the server's dependencies, and the server command
must say what to install when they are missing. A subprocess hides those packages with an
import hook, as if they had never been installed.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SERVER_ONLY = (
    "fastapi",
    "starlette",
    "uvicorn",
    "jinja2",
    "plotly",
    "psycopg",
    "boto3",
    "pydantic",
)

HIDE_SERVER_PACKAGES = textwrap.dedent(
    f"""
    import importlib.abc, sys

    class HideServerPackages(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):
            if name.split(".")[0] in {SERVER_ONLY!r}:
                raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
            return None

    sys.meta_path.insert(0, HideServerPackages())
    import importlib.util
    _find_spec = importlib.util.find_spec
    def find_spec(name, package=None):
        if name.split(".")[0] in {SERVER_ONLY!r}:
            return None
        return _find_spec(name, package)
    importlib.util.find_spec = find_spec
    """
)


def _run_without_server_packages(body: str) -> subprocess.CompletedProcess[str]:
    script = HIDE_SERVER_PACKAGES + textwrap.dedent(body)
    return subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )


def _requirement_names(requirements: list[str]) -> set[str]:
    names = set()
    for requirement in requirements:
        name = requirement.split(";")[0].split("[")[0]
        for sep in "<>=!~ ":
            name = name.split(sep)[0]
        names.add(name.strip().lower())
    return names


def test_the_core_install_leaves_the_server_packages_to_the_server_extra() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    core = _requirement_names(project["dependencies"])
    server = _requirement_names(project["optional-dependencies"]["server"])
    assert core.isdisjoint({"fastapi", "uvicorn", "jinja2", "plotly", "psycopg", "boto3"})
    assert {"fastapi", "uvicorn", "jinja2", "plotly", "psycopg", "boto3"} <= server


def test_client_store_and_cli_import_without_the_server_packages(tmp_path: Path) -> None:
    result = _run_without_server_packages(
        f"""
        import shipyard.cli.main
        from shipyard.client.rest import RestTracking
        from shipyard.store.engine import Database
        from shipyard.store.tracking import TrackingStore, prepare_database
        from shipyard.artifacts import open_artifact_store
        uri = "sqlite:///{tmp_path / "embedded.db"}"
        prepare_database(uri)
        store = TrackingStore(Database(uri), "{tmp_path / "artifacts"}")
        try:
            store.ensure_default_experiment()
            print(store.get_experiment("0").name)
        finally:
            store.close()
        open_artifact_store("{tmp_path / "artifacts"}")
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Default"


def test_server_command_names_the_extra_to_install() -> None:
    result = _run_without_server_packages(
        """
        from click.testing import CliRunner
        from shipyard.cli.main import cli
        outcome = CliRunner().invoke(cli, ["server", "--port", "0"])
        print(outcome.exit_code)
        print(outcome.output)
        """
    )
    assert result.returncode == 0, result.stderr
    exit_code, _, output = result.stdout.partition("\n")
    assert exit_code == "1"
    assert "pip install 'shipyard[server]'" in output
    assert "Traceback" not in output


def test_s3_and_postgres_name_the_extra_to_install() -> None:
    result = _run_without_server_packages(
        """
        from shipyard.domain.errors import InvalidParameter
        from shipyard.artifacts import open_artifact_store
        from shipyard.store.engine import parse_database_url
        for attempt in (
            lambda: open_artifact_store("s3://bucket/prefix"),
            lambda: parse_database_url("postgresql://postgres@127.0.0.1:5432/test"),
        ):
            try:
                attempt()
            except InvalidParameter as exc:
                print(exc)
            else:
                print("no error")
        """
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 2
    assert all("pip install 'shipyard[server]'" in line for line in lines), lines
