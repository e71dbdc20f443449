"""The embedded store: logging with no server, then serving what was logged with one."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

import shipyard
from client.servers import ServerProcess
from shipyard import fluent
from shipyard.client.backend import resolve_tracking_uri
from shipyard.domain.errors import InvalidParameter, NotFound


@pytest.fixture
def no_tracking_uri(monkeypatch: pytest.MonkeyPatch) -> None:
    """Neither tracking URI variable set, and the fluent API on the environment's choice."""
    monkeypatch.delenv("SHIPYARD_TRACKING_URI", raising=False)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    fluent.set_tracking_uri(None)


def _log_a_run(notes: Path) -> str:
    notes.write_text("served")
    fluent.set_experiment("embedded-then-served")
    with fluent.start_run(run_name="offline") as run:
        fluent.log_param("lr", 0.1)
        for step in range(3):
            fluent.log_metric("loss", 1.0 - step / 10, step=step)
        fluent.log_artifact(notes, "docs")
    fluent.set_tracking_uri(None)  # close the store, as a finished script does
    return run.info.run_id


def _read_over_http(url: str, run_id: str) -> tuple[dict[str, Any], list[float], bytes]:
    api = f"{url}/api/2.0/mlflow"
    with httpx.Client(timeout=30) as http:
        run = http.get(f"{api}/runs/get", params={"run_id": run_id}).raise_for_status().json()
        history = http.get(
            f"{api}/metrics/get-history", params={"run_id": run_id, "metric_key": "loss"}
        ).raise_for_status()
        artifact_root = run["run"]["info"]["artifact_uri"].removeprefix("mlflow-artifacts:/")
        notes = http.get(
            f"{url}/api/2.0/mlflow-artifacts/artifacts/{artifact_root}/docs/notes.txt"
        ).raise_for_status()
    values = [point["value"] for point in history.json()["metrics"]]
    return run["run"], values, notes.content


def test_runs_logged_embedded_are_served_by_shipyard_server_on_that_data_dir(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    fluent.set_tracking_uri(str(data_dir))
    run_id = _log_a_run(tmp_path / "notes.txt")

    server = ServerProcess.on_data_dir(data_dir, tmp_path).start()
    try:
        run, values, notes = _read_over_http(server.url, run_id)
    finally:
        server.stop()

    assert run["info"]["run_name"] == "offline"
    assert run["info"]["status"] == "FINISHED"
    assert run["data"]["params"] == [{"key": "lr", "value": "0.1"}]
    assert values == [1.0, 0.9, 0.8]
    assert notes == b"served"


def test_without_a_tracking_uri_runs_go_to_the_data_dir_shipyard_server_uses_by_default(
    tmp_path: Path, no_tracking_uri: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("SHIPYARD_HOME", str(home))

    uri = fluent.get_tracking_uri()
    run_id = _log_a_run(tmp_path / "notes.txt")
    server = ServerProcess.on_data_dir(None, tmp_path).start()
    try:
        run, values, notes = _read_over_http(server.url, run_id)
    finally:
        server.stop()

    assert uri == home.resolve().as_uri()
    assert (home / "shipyard.db").is_file()
    assert (run["info"]["run_name"], values, notes) == ("offline", [1.0, 0.9, 0.8], b"served")


def test_shipyard_tracking_uri_outranks_mlflow_tracking_uri(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:9")
    monkeypatch.setenv("SHIPYARD_TRACKING_URI", str(tmp_path / "store"))

    with shipyard.Client() as client:
        experiment_id = client.create_experiment("precedence")

    assert resolve_tracking_uri() == str(tmp_path / "store")
    assert resolve_tracking_uri("http://example.test:5000") == "http://example.test:5000"
    assert (tmp_path / "store" / "shipyard.db").is_file()
    assert experiment_id


def test_mlflow_tracking_uri_is_used_when_shipyard_tracking_uri_is_not_set(
    tmp_path: Path, no_tracking_uri: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow-style.db'}")

    with shipyard.Client() as client:
        experiment_id = client.create_experiment("from-mlflow-variable")
        found = client.get_experiment(experiment_id)

    assert found.name == "from-mlflow-variable"
    assert (tmp_path / "mlflow-style.db").is_file()


def test_a_file_uri_names_the_same_store_as_its_folder(tmp_path: Path) -> None:
    folder = tmp_path / "store"
    with shipyard.Client(folder.as_uri()) as writer:
        experiment_id = writer.create_experiment("file-uri")

    with shipyard.Client(str(folder)) as reader:
        assert reader.get_experiment(experiment_id).name == "file-uri"


@pytest.mark.parametrize(
    "uri", ["ftp://example.test/x", "s3://bucket/prefix", "sqlite://", "sqlite:///"]
)
def test_a_tracking_uri_of_no_known_kind_is_refused_with_the_forms_to_use(uri: str) -> None:
    with pytest.raises(InvalidParameter, match=r"sqlite:///path/to/file\.db"):
        shipyard.Client(uri)


def test_a_run_id_the_embedded_store_does_not_have_is_not_found(tmp_path: Path) -> None:
    with shipyard.Client(str(tmp_path)) as client, pytest.raises(NotFound):
        client.get_run("0" * 32)


_WRITER = """
import sys
from shipyard import fluent

fluent.set_tracking_uri(sys.argv[1])
fluent.set_experiment("shared")
with fluent.start_run(run_name=f"writer-{sys.argv[2]}"):
    fluent.log_param("writer", sys.argv[2])
    for step in range(200):
        fluent.log_metric("loss", 1.0 / (step + 1), step=step)
fluent.set_tracking_uri(None)
"""


def test_scripts_started_together_on_a_new_store_all_log_their_runs(tmp_path: Path) -> None:
    """Several training scripts on one fresh data dir: they race to create the database and the
    experiment, then write at the same time; every run and every point must arrive."""
    data_dir = tmp_path / "data"
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(data_dir), str(number)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for number in range(6)
    ]
    outputs = [writer.communicate(timeout=180)[0] for writer in writers]

    assert [writer.returncode for writer in writers] == [0] * 6, outputs
    client = shipyard.Client(str(data_dir))
    try:
        experiment = client.get_experiment_by_name("shared")
        assert experiment is not None
        runs = client.search_runs([experiment.experiment_id])
        assert sorted(run.info.run_name for run in runs) == [f"writer-{n}" for n in range(6)]
        for run in runs:
            history = client.get_metric_history(run.info.run_id, "loss")
            assert [point.step for point in history] == list(range(200))
            assert run.info.status == "FINISHED"
    finally:
        client.close()
