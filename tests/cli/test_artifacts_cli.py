"""``shipyard artifacts list|upload|download`` against a live server, runs made by mlflow."""

from __future__ import annotations

import json
import os
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import Result
from mlflow import MlflowClient

# conftest.LiveServer: .url, .backend_store_uri, .artifacts_destination
LiveServer = Any
Shipyard = Callable[..., Result]

# the run every read-only test looks at: path -> bytes
RUN_FILES = {
    "a.txt": b"alpha\n",
    "big.bin": os.urandom(3 * 1024 * 1024 // 2),  # more than one 1 MiB transfer chunk
    "sub/b.bin": bytes(range(256)) * 4,
    "sub/deeper/c.json": b'{"c": 3}',
}


def write_tree(root: Path, files: dict[str, bytes]) -> Path:
    for relative, data in files.items():
        path = root.joinpath(*relative.split("/"))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def read_tree(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def below(folder: str, files: dict[str, bytes]) -> dict[str, bytes]:
    """The files under ``folder``, with paths relative to it."""
    prefix = folder + "/"
    return {k.removeprefix(prefix): v for k, v in files.items() if k.startswith(prefix)}


@pytest.fixture(scope="module")
def client(live_server: LiveServer) -> MlflowClient:
    return MlflowClient(tracking_uri=live_server.url)


@pytest.fixture(scope="module")
def experiment_id(client: MlflowClient) -> str:
    return client.create_experiment("cli-artifacts")


@pytest.fixture(scope="module")
def logged_run(
    client: MlflowClient, experiment_id: str, tmp_path_factory: pytest.TempPathFactory
) -> str:
    """A run whose artifacts (RUN_FILES) were logged by the mlflow client; tests only read it."""
    run_id = client.create_run(experiment_id).info.run_id
    client.log_artifacts(run_id, str(write_tree(tmp_path_factory.mktemp("logged"), RUN_FILES)))
    return run_id


@pytest.fixture
def empty_run(client: MlflowClient, experiment_id: str) -> str:
    return client.create_run(experiment_id).info.run_id


@pytest.fixture
def artifacts(shipyard: Shipyard, live_server: LiveServer) -> Callable[..., Result]:
    """``artifacts(subcommand, *args)``: ``shipyard artifacts`` on the live server."""

    def invoke(subcommand: str, *args: str) -> Result:
        return shipyard("artifacts", subcommand, "--tracking-uri", live_server.url, *args)

    return invoke


def ok(result: Result) -> Result:
    assert result.exit_code == 0, result.output
    return result


def table_rows(output: str) -> list[list[str]]:
    """The rows of a printed table, cells split on whitespace, header dropped."""
    return [line.split() for line in output.strip().splitlines()[1:]]


def mlflow_files(client: MlflowClient, run_id: str, tmp_path: Path) -> dict[str, bytes]:
    """Every artifact of a run, as the mlflow client downloads them."""
    return read_tree(Path(client.download_artifacts(run_id, "", str(tmp_path / "via-mlflow"))))


# -- upload -------------------------------------------------------------------------------------

UPLOADED = {
    "top.txt": b"top\n",
    "nested/one.csv": b"a,b\n1,2\n",
    "nested/deeper/two.bin": os.urandom(4096),
}


def test_upload_of_a_folder_puts_every_nested_file_under_the_artifact_path(
    artifacts: Callable[..., Result], client: MlflowClient, empty_run: str, tmp_path: Path
) -> None:
    outputs = write_tree(tmp_path / "outputs", UPLOADED)

    ok(artifacts("upload", "--run-id", empty_run, str(outputs), "--artifact-path", "results"))

    assert mlflow_files(client, empty_run, tmp_path) == {
        f"results/{path}": data for path, data in UPLOADED.items()
    }


def test_upload_of_a_folder_reports_every_path_written_as_json(
    artifacts: Callable[..., Result], empty_run: str, tmp_path: Path
) -> None:
    outputs = write_tree(tmp_path / "outputs", UPLOADED)

    result = ok(artifacts("upload", "-r", empty_run, str(outputs), "-a", "results", "-o", "json"))

    reported = sorted(row["uploaded"] for row in json.loads(result.stdout))
    assert reported == sorted(f"results/{path}" for path in UPLOADED)


def test_upload_of_a_file_with_artifact_path_puts_it_in_that_folder(
    artifacts: Callable[..., Result], client: MlflowClient, empty_run: str, tmp_path: Path
) -> None:
    config = tmp_path / "config.yaml"
    config.write_bytes(b"lr: 0.01\n")

    ok(artifacts("upload", "--run-id", empty_run, str(config), "--artifact-path", "configs"))

    assert mlflow_files(client, empty_run, tmp_path) == {"configs/config.yaml": b"lr: 0.01\n"}


def test_upload_of_a_file_without_artifact_path_puts_it_at_the_run_root(
    artifacts: Callable[..., Result], client: MlflowClient, empty_run: str, tmp_path: Path
) -> None:
    notes = tmp_path / "notes.md"
    notes.write_bytes(b"# notes\n")

    ok(artifacts("upload", "--run-id", empty_run, str(notes)))

    assert mlflow_files(client, empty_run, tmp_path) == {"notes.md": b"# notes\n"}


# -- list ---------------------------------------------------------------------------------------


def test_list_table_shows_the_top_level_entries_with_their_sizes(
    artifacts: Callable[..., Result], logged_run: str
) -> None:
    result = ok(artifacts("list", "--run-id", logged_run))

    assert table_rows(result.stdout) == [
        ["a.txt", "False", str(len(RUN_FILES["a.txt"]))],
        ["big.bin", "False", str(len(RUN_FILES["big.bin"]))],
        ["sub", "True"],
    ]


def test_list_json_gives_path_kind_and_size_of_each_entry(
    artifacts: Callable[..., Result], logged_run: str
) -> None:
    result = ok(artifacts("list", "--run-id", logged_run, "-o", "json"))

    assert json.loads(result.stdout) == [
        {"path": "a.txt", "is_dir": False, "size": len(RUN_FILES["a.txt"])},
        {"path": "big.bin", "is_dir": False, "size": len(RUN_FILES["big.bin"])},
        {"path": "sub", "is_dir": True, "size": None},
    ]


def test_list_recursive_gives_every_file_below_the_folder(
    artifacts: Callable[..., Result], logged_run: str
) -> None:
    result = ok(artifacts("list", "--run-id", logged_run, "--recursive", "-o", "json"))

    listed = {row["path"]: row["size"] for row in json.loads(result.stdout)}
    assert listed == {path: len(data) for path, data in RUN_FILES.items()}


def test_list_of_a_sub_folder_gives_paths_from_the_run_root(
    artifacts: Callable[..., Result], logged_run: str
) -> None:
    result = ok(artifacts("list", "--run-id", logged_run, "--path", "sub", "-o", "json"))

    assert [row["path"] for row in json.loads(result.stdout)] == ["sub/b.bin", "sub/deeper"]


def test_list_table_shows_long_paths_in_full(
    artifacts: Callable[..., Result], client: MlflowClient, empty_run: str, tmp_path: Path
) -> None:
    deep = "checkpoints/epoch-0001/optimizer-state/shard-00001-of-00008.safetensors"
    write_tree(tmp_path / "deep", {deep: b"x"})
    client.log_artifacts(empty_run, str(tmp_path / "deep"))

    result = ok(artifacts("list", "--run-id", empty_run, "--recursive"))

    assert deep in result.stdout


def test_list_of_a_path_leaving_the_run_fails_with_a_message(
    artifacts: Callable[..., Result], logged_run: str
) -> None:
    result = artifacts("list", "--run-id", logged_run, "--path", "../other-run")

    assert result.exit_code == 1
    assert "other-run" in result.stderr


# -- download -----------------------------------------------------------------------------------


def test_download_of_a_folder_writes_its_files_byte_identical(
    artifacts: Callable[..., Result], logged_run: str, tmp_path: Path
) -> None:
    ok(artifacts("download", "--run-id", logged_run, "--path", "sub", "--dst", str(tmp_path / "d")))

    assert read_tree(tmp_path / "d") == below("sub", RUN_FILES)


def test_download_without_a_path_writes_every_file_of_the_run(
    artifacts: Callable[..., Result], logged_run: str, tmp_path: Path
) -> None:
    ok(artifacts("download", "--run-id", logged_run, "--dst", str(tmp_path / "all")))

    assert read_tree(tmp_path / "all") == RUN_FILES


def test_download_of_a_single_file_writes_it_byte_identical(
    artifacts: Callable[..., Result], logged_run: str, tmp_path: Path
) -> None:
    ok(artifacts("download", "-r", logged_run, "-p", "big.bin", "-d", str(tmp_path / "one")))

    assert read_tree(tmp_path / "one") == {"big.bin": RUN_FILES["big.bin"]}


def test_download_json_lists_the_local_files_written(
    artifacts: Callable[..., Result], logged_run: str, tmp_path: Path
) -> None:
    destination = tmp_path / "d"

    result = ok(
        artifacts("download", "-r", logged_run, "-p", "sub", "-d", str(destination), "-o", "json")
    )

    written = sorted(Path(row["downloaded"]) for row in json.loads(result.stdout))
    assert written == sorted(destination / p for p in below("sub", RUN_FILES))


def test_download_of_a_missing_path_fails_with_a_message(
    artifacts: Callable[..., Result], logged_run: str, tmp_path: Path
) -> None:
    result = artifacts("download", "-r", logged_run, "-p", "nope", "-d", str(tmp_path / "d"))

    assert result.exit_code == 1
    assert "No artifacts at 'nope'" in result.stderr


def test_download_zip_is_a_valid_archive_of_the_nested_files(
    artifacts: Callable[..., Result], logged_run: str, tmp_path: Path
) -> None:
    archive = tmp_path / "sub.zip"

    ok(artifacts("download", "--run-id", logged_run, "--path", "sub", "--zip", str(archive)))

    with zipfile.ZipFile(archive) as opened:
        assert opened.testzip() is None
        contents = {name: opened.read(name) for name in opened.namelist()}
    assert contents == below("sub", RUN_FILES)


def test_download_zip_without_a_path_archives_the_whole_run(
    artifacts: Callable[..., Result], logged_run: str, tmp_path: Path
) -> None:
    archive = tmp_path / "run.zip"

    ok(artifacts("download", "--run-id", logged_run, "--zip", str(archive)))

    with zipfile.ZipFile(archive) as opened:
        contents = {name: opened.read(name) for name in opened.namelist()}
    assert contents == RUN_FILES


def test_download_zip_of_a_missing_folder_fails_and_writes_no_file(
    artifacts: Callable[..., Result], logged_run: str, tmp_path: Path
) -> None:
    archive = tmp_path / "nope.zip"

    result = artifacts("download", "-r", logged_run, "-p", "nope", "--zip", str(archive))

    assert result.exit_code == 1
    assert not archive.exists()


# -- errors and where the server is -------------------------------------------------------------


def test_list_of_an_unknown_run_fails_with_the_servers_message(
    artifacts: Callable[..., Result], live_server: LiveServer
) -> None:
    unknown = "0" * 32
    answer = httpx.get(f"{live_server.url}/api/2.0/mlflow/runs/get", params={"run_id": unknown})

    result = artifacts("list", "--run-id", unknown)

    assert answer.status_code == 404
    assert result.exit_code == 1
    assert answer.json()["message"] in result.stderr


def test_upload_to_an_unknown_run_fails_with_the_servers_message(
    artifacts: Callable[..., Result], tmp_path: Path
) -> None:
    notes = tmp_path / "notes.md"
    notes.write_bytes(b"x")

    result = artifacts("upload", "--run-id", "0" * 32, str(notes))

    assert result.exit_code == 1
    assert "0" * 32 in result.stderr


def test_an_unreachable_server_gets_a_message_to_start_one_or_set_tracking_uri(
    shipyard: Shipyard, unused_port: int, empty_run: str
) -> None:
    url = f"http://127.0.0.1:{unused_port}"

    result = shipyard("artifacts", "list", "--tracking-uri", url, "--run-id", empty_run)

    assert result.exit_code == 1
    assert "shipyard server" in result.stderr
    assert "--tracking-uri" in result.stderr
    assert url in result.stderr


def test_a_tracking_uri_that_is_not_http_fails_with_a_message(
    shipyard: Shipyard, empty_run: str
) -> None:
    result = shipyard("artifacts", "list", "--tracking-uri", "sqlite:///x.db", "-r", empty_run)

    assert result.exit_code == 1
    assert "not an http(s):// address" in result.stderr


@pytest.fixture
def unproxied_run(client: MlflowClient, tmp_path: Path) -> tuple[str, Path]:
    """A run in an experiment whose artifact location the client chose (a local folder)."""
    location = tmp_path / "client-chosen"
    location.mkdir()
    experiment = client.create_experiment(
        f"cli-unproxied-{tmp_path.name}", artifact_location=location.as_uri()
    )
    return client.create_run(experiment).info.run_id, location


def test_list_of_a_run_the_server_does_not_proxy_fails_with_a_message(
    artifacts: Callable[..., Result], unproxied_run: tuple[str, Path]
) -> None:
    run_id, _ = unproxied_run

    result = artifacts("list", "--run-id", run_id)

    assert result.exit_code == 1
    assert "does not proxy" in result.stderr


def test_upload_to_a_run_the_server_does_not_proxy_writes_nothing(
    artifacts: Callable[..., Result], unproxied_run: tuple[str, Path], tmp_path: Path
) -> None:
    run_id, location = unproxied_run
    notes = tmp_path / "notes.md"
    notes.write_bytes(b"x")

    result = artifacts("upload", "--run-id", run_id, str(notes))

    assert result.exit_code == 1
    assert list(location.rglob("*")) == []


def test_tracking_uri_comes_from_mlflow_tracking_uri_when_not_given(
    shipyard: Shipyard, live_server: LiveServer, logged_run: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", live_server.url)

    result = ok(shipyard("artifacts", "list", "--run-id", logged_run, "-o", "json"))

    assert len(json.loads(result.stdout)) == 3


def test_shipyard_tracking_uri_wins_over_mlflow_tracking_uri(
    shipyard: Shipyard,
    live_server: LiveServer,
    logged_run: str,
    unused_port: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"http://127.0.0.1:{unused_port}")
    monkeypatch.setenv("SHIPYARD_TRACKING_URI", live_server.url)

    result = ok(shipyard("artifacts", "list", "--run-id", logged_run, "-o", "json"))

    assert len(json.loads(result.stdout)) == 3
