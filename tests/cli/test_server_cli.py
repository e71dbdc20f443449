"""``shipyard server``: embedded default, printed URL, signals, workers, refusals, settings.

What only a process shows (files created, the URL served, signals, workers) runs a real
``shipyard server``; refusals to start run the command in process.
"""

from __future__ import annotations

import signal
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result

from shipyard import __version__
from shipyard.cli.server import server
from shipyard.server.settings import SETTINGS, Setting
from shipyard.store.migrate import head_revision, schema_status, upgrade

HOST = "127.0.0.1"
UNKNOWN_REVISION = "9f9f9f9f9f9f"
OLDER_REVISION = "0001"
STOP_TIMEOUT_S = 15.0
# A refusal that does not happen would serve for ever: give up long before pytest's own limit.
REFUSAL_TIMEOUT = pytest.mark.timeout(60)

# conftest.ServerProcess: .url, .port, .process, .stdout(), .stderr(), .terminate()
ServerProcess = Any
LaunchServer = Callable[..., ServerProcess]
Shipyard = Callable[..., Result]


def stamp(uri: str, revision: str) -> None:
    """Write a schema revision into a database's alembic_version table."""
    engine = sa.create_engine(uri)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE alembic_version SET version_num = :r"), {"r": revision})
    finally:
        engine.dispose()


# -- the embedded default -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def home_server(
    launch_server: LaunchServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[ServerProcess, Path]]:
    """``shipyard server --port 0`` with SHIPYARD_HOME naming a folder that does not exist yet."""
    root = tmp_path_factory.mktemp("home-server")
    home = root / "not-yet" / "home"
    process = launch_server("--port", "0", home=home, workdir=root / "cwd")
    yield process, home
    process.kill()


def test_server_with_shipyard_home_creates_the_database_there(
    home_server: tuple[ServerProcess, Path],
) -> None:
    _, home = home_server

    assert (home / "shipyard.db").is_file()


def test_server_with_shipyard_home_creates_the_artifact_folder_there(
    home_server: tuple[ServerProcess, Path],
) -> None:
    _, home = home_server

    assert (home / "artifacts").is_dir()


def test_server_on_port_zero_prints_a_url_that_answers_health(
    home_server: tuple[ServerProcess, Path],
) -> None:
    process, _ = home_server

    response = httpx.get(f"{process.url}/health")

    assert process.port != 0
    assert (response.status_code, response.text) == (200, "OK")


def test_server_version_endpoint_answers_the_package_version(
    home_server: tuple[ServerProcess, Path],
) -> None:
    process, _ = home_server

    response = httpx.get(f"{process.url}/version")

    assert (response.status_code, response.text) == (200, __version__)


@pytest.fixture(scope="module")
def data_dir_server(
    launch_server: LaunchServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Path, Path]]:
    """``shipyard server --port 0 --data-dir D`` with SHIPYARD_HOME naming another folder;
    yields D and that home."""
    root = tmp_path_factory.mktemp("data-dir-server")
    data_dir, home = root / "fresh" / "data", root / "home-from-env"
    process = launch_server(
        "--port", "0", "--data-dir", str(data_dir), home=home, workdir=root / "cwd"
    )
    yield data_dir, home
    process.kill()


def test_server_with_data_dir_creates_the_database_there(
    data_dir_server: tuple[Path, Path],
) -> None:
    data_dir, _ = data_dir_server

    assert (data_dir / "shipyard.db").is_file()


def test_server_with_data_dir_creates_the_artifact_folder_there(
    data_dir_server: tuple[Path, Path],
) -> None:
    data_dir, _ = data_dir_server

    assert (data_dir / "artifacts").is_dir()


def test_server_data_dir_option_wins_over_shipyard_home(
    data_dir_server: tuple[Path, Path],
) -> None:
    _, home = data_dir_server

    assert not home.exists()


# -- stopping and workers -----------------------------------------------------------------------


def test_server_exits_with_code_zero_on_sigterm(start_server: LaunchServer) -> None:
    process = start_server("--port", "0")

    assert process.terminate() == 0, process.stderr()


def test_server_exits_with_code_zero_on_ctrl_c(start_server: LaunchServer) -> None:
    # what `--workers 2` does too
    process = start_server("--port", "0")

    assert process.terminate(signal.SIGINT) == 0, process.stderr()


@pytest.fixture(scope="module")
def two_workers(
    launch_server: LaunchServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    root = tmp_path_factory.mktemp("two-workers")
    process = launch_server(
        "--port", "0", "--workers", "2", home=root / "home", workdir=root / "cwd"
    )
    yield process
    process.kill()


def test_server_with_two_workers_runs_two_worker_processes(two_workers: ServerProcess) -> None:
    children = psutil.Process(two_workers.process.pid).children()

    assert len(children) == 2


def test_server_with_two_workers_serves_writes_and_reads(two_workers: ServerProcess) -> None:
    names = [f"exp-{i}" for i in range(10)]
    for name in names:
        # a new connection each time, so both workers get a share
        created = httpx.post(
            f"{two_workers.url}/api/2.0/mlflow/experiments/create", json={"name": name}
        )
        assert created.status_code == 200, created.text

    found = [
        httpx.get(
            f"{two_workers.url}/api/2.0/mlflow/experiments/get-by-name",
            params={"experiment_name": name},
        ).json()["experiment"]["name"]
        for name in names
    ]

    assert found == names


def test_server_with_two_workers_stops_them_all_on_sigterm(start_server: LaunchServer) -> None:
    process = start_server("--port", "0", "--workers", "2")
    children = psutil.Process(process.process.pid).children()

    code = process.terminate()

    _, alive = psutil.wait_procs(children, timeout=STOP_TIMEOUT_S)
    assert code == 0, process.stderr()
    assert alive == []


# -- refusing to start --------------------------------------------------------------------------


@REFUSAL_TIMEOUT
def test_server_on_a_port_in_use_fails_with_a_one_line_error(shipyard: Shipyard) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind((HOST, 0))
        taken.listen()
        port = taken.getsockname()[1]

        result = shipyard("server", "--port", str(port))

    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert f"{HOST}:{port}" in lines[0]
    assert "in use" in lines[0]


@pytest.fixture
def newer_database(tmp_path: Path) -> str:
    uri = f"sqlite:///{tmp_path / 'newer.db'}"
    upgrade(uri)
    stamp(uri, UNKNOWN_REVISION)
    return uri


@REFUSAL_TIMEOUT
def test_server_refuses_a_database_from_a_newer_shipyard(
    newer_database: str, shipyard: Shipyard
) -> None:
    result = shipyard("server", "--port", "0", "--backend-store-uri", newer_database)

    assert result.exit_code == 1
    assert "Upgrade Shipyard" in result.stderr
    assert UNKNOWN_REVISION in result.stderr


@REFUSAL_TIMEOUT
def test_server_refusing_its_database_does_not_print_a_serving_url(
    newer_database: str, shipyard: Shipyard
) -> None:
    result = shipyard("server", "--port", "0", "--backend-store-uri", newer_database)

    assert result.exit_code == 1
    assert "serving:" not in result.stdout


@pytest.fixture
def older_database(tmp_path: Path) -> str:
    uri = f"sqlite:///{tmp_path / 'older.db'}"
    upgrade(uri, OLDER_REVISION)
    return uri


@REFUSAL_TIMEOUT
def test_server_refuses_an_older_schema_without_upgrade_db(
    older_database: str, shipyard: Shipyard
) -> None:
    result = shipyard("server", "--port", "0", "--backend-store-uri", older_database)

    assert result.exit_code == 1
    assert "shipyard db upgrade" in result.stderr
    assert "--upgrade-db" in result.stderr


@REFUSAL_TIMEOUT
def test_server_refusing_an_older_schema_leaves_it_at_its_revision(
    older_database: str, shipyard: Shipyard
) -> None:
    shipyard("server", "--port", "0", "--backend-store-uri", older_database)

    assert schema_status(older_database).current == OLDER_REVISION


def test_server_with_upgrade_db_upgrades_an_older_schema_and_serves(
    older_database: str, start_server: LaunchServer
) -> None:
    process = start_server("--port", "0", "--backend-store-uri", older_database, "--upgrade-db")

    default = httpx.get(f"{process.url}/api/2.0/mlflow/experiments/get?experiment_id=0")

    assert default.status_code == 200, default.text
    assert schema_status(older_database).current == head_revision()


@REFUSAL_TIMEOUT
def test_server_with_a_mysql_uri_fails_with_a_message(shipyard: Shipyard) -> None:
    result = shipyard("server", "--port", "0", "--backend-store-uri", "mysql://x")

    assert result.exit_code == 1
    assert "Unsupported backend store 'mysql'" in result.stderr


# -- settings: --help and the environment -------------------------------------------------------


@pytest.fixture(scope="module")
def server_help() -> str:
    result = CliRunner().invoke(server, ["--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.name)
def test_server_help_lists_the_option_of_every_setting(server_help: str, setting: Setting) -> None:
    for flag in setting.flag.split("/"):
        assert flag in server_help


def test_server_help_names_the_environment_variable_of_every_setting(server_help: str) -> None:
    # docs/configuration.md: "`shipyard server --help` prints the same table", which has them
    missing = [e for setting in SETTINGS for e in setting.envvars if e not in server_help]

    assert missing == []


ENVIRONMENT_SAMPLES: dict[str, tuple[str, object]] = {
    "host": ("0.0.0.0", "0.0.0.0"),
    "port": ("5123", 5123),
    "data_dir": ("/srv/shipyard-data", Path("/srv/shipyard-data")),
    "backend_store_uri": ("sqlite:////srv/t.db", "sqlite:////srv/t.db"),
    "artifacts_destination": ("/srv/artifacts", "/srv/artifacts"),
    "serve_artifacts": ("false", False),
    "s3_endpoint_url": ("http://minio.test:9000", "http://minio.test:9000"),
    "workers": ("3", 3),
    "upgrade_db": ("true", True),
    "max_body_bytes": ("2048", 2048),
    "root_path": ("/shipyard", "/shipyard"),
    "log_level": ("debug", "debug"),
}
EVERY_ENVVAR = [(envvar, setting.name) for setting in SETTINGS for envvar in setting.envvars]


def test_every_setting_has_an_environment_sample_here() -> None:
    assert set(ENVIRONMENT_SAMPLES) == {setting.name for setting in SETTINGS}


@pytest.mark.parametrize(("envvar", "name"), EVERY_ENVVAR, ids=[e for e, _ in EVERY_ENVVAR])
def test_server_reads_each_setting_from_its_environment_variable(
    envvar: str, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw, expected = ENVIRONMENT_SAMPLES[name]
    monkeypatch.setenv(envvar, raw)

    with server.make_context("server", []) as context:
        assert context.params[name] == expected


@pytest.fixture(scope="module")
def environment_server(
    launch_server: LaunchServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[ServerProcess, int, Path]]:
    """A server configured by SHIPYARD_PORT, SHIPYARD_BACKEND_STORE_URI and
    SHIPYARD_ARTIFACTS_DESTINATION only; yields it, the port and its storage folder."""
    root = tmp_path_factory.mktemp("environment-server")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port = probe.getsockname()[1]
    storage = root / "storage"
    storage.mkdir()
    env = {
        "SHIPYARD_PORT": str(port),
        "SHIPYARD_BACKEND_STORE_URI": f"sqlite:///{storage / 'tracking.db'}",
        "SHIPYARD_ARTIFACTS_DESTINATION": str(storage / "files"),
    }
    process = launch_server(home=root / "home", workdir=root / "cwd", env=env)
    yield process, port, storage
    process.kill()


def test_server_listens_on_shipyard_port_from_the_environment(
    environment_server: tuple[ServerProcess, int, Path],
) -> None:
    process, port, _ = environment_server

    assert process.port == port
    assert httpx.get(f"http://{HOST}:{port}/health").text == "OK"


def test_server_keeps_its_database_where_the_environment_says(
    environment_server: tuple[ServerProcess, int, Path],
) -> None:
    _, _, storage = environment_server

    assert (storage / "tracking.db").is_file()


def test_server_keeps_its_artifacts_where_the_environment_says(
    environment_server: tuple[ServerProcess, int, Path],
) -> None:
    _, _, storage = environment_server

    assert (storage / "files").is_dir()
