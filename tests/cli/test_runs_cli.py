"""``shipyard runs`` against a live server (runs made by mlflow) and the embedded store."""

from __future__ import annotations

import json
import math
import os
import pty
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from mlflow import MlflowClient
from mlflow.entities import Metric, Param, RunTag

from shipyard.client.tracking import Client

# conftest.LiveServer: .url, .backend_store_uri, .artifacts_destination
LiveServer = Any
Shipyard = Callable[..., Result]
Runs = Callable[..., Result]

RUN_KEYS = {
    "run_id",
    "run_name",
    "experiment_id",
    "user_id",
    "status",
    "start_time",
    "end_time",
    "artifact_uri",
    "lifecycle_stage",
    "params",
    "metrics",
    "tags",
}
FILES = {"model/weights.bin": os.urandom(300_000), "notes.txt": b"hello\n"}


def strict_json(text: str) -> Any:
    """JSON as a strict parser reads it: a bare NaN or Infinity fails."""

    def refuse(token: str) -> None:
        raise ValueError(f"not JSON: {token}")

    return json.loads(text, parse_constant=refuse)


def as_json(result: Result) -> Any:
    assert result.exit_code == 0, result.stderr
    return strict_json(result.stdout)


def assert_one_line_error(result: Result, *parts: str) -> None:
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ")
    assert result.stderr.count("\n") == 1, result.stderr
    for part in parts:
        assert part in result.stderr


@pytest.fixture(scope="module")
def mlflow_client(module_server: LiveServer) -> MlflowClient:
    return MlflowClient(tracking_uri=module_server.url)


@pytest.fixture(scope="module")
def sweep(mlflow_client: MlflowClient, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """An experiment with three finished runs (loss 0.3, 0.1, 0.2 at its last step), a param,
    tags and artifacts on the first; read only."""
    name = f"sweep-{uuid.uuid4().hex[:8]}"
    experiment_id = mlflow_client.create_experiment(name)
    run_ids = []
    for index, loss in enumerate([0.3, 0.1, 0.2]):
        run = mlflow_client.create_run(experiment_id, run_name=f"trial-{index}")
        run_id = run.info.run_id
        mlflow_client.log_batch(
            run_id,
            metrics=[Metric("loss", loss * (3 - step), 1_000 + step, step) for step in range(3)],
            params=[Param("lr", str(index / 10))],
            tags=[RunTag("kind", "sweep")],
        )
        mlflow_client.set_terminated(run_id)
        run_ids.append(run_id)
    local = tmp_path_factory.mktemp("sweep-files")
    for relative, data in FILES.items():
        path = local / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    mlflow_client.log_artifacts(run_ids[0], str(local))
    return {"name": name, "experiment_id": experiment_id, "run_ids": run_ids}


@pytest.fixture
def runs(shipyard: Shipyard, module_server: LiveServer) -> Runs:
    """``runs(command, *args)``: ``shipyard runs COMMAND`` on the module's server."""

    def run(command: str, *args: str) -> Result:
        return shipyard("runs", command, "--tracking-uri", module_server.url, *args)

    return run


def fresh_run(mlflow_client: MlflowClient) -> tuple[str, str]:
    """A run of a new experiment of the test's own: (experiment_id, run_id)."""
    experiment_id = mlflow_client.create_experiment(f"own-{uuid.uuid4().hex[:8]}")
    return experiment_id, mlflow_client.create_run(experiment_id).info.run_id


# -- list and search ------------------------------------------------------------------------


def test_list_json_holds_each_run_with_params_metrics_and_tags(
    runs: Runs, sweep: dict[str, Any]
) -> None:
    listed = as_json(runs("list", "--experiment", sweep["name"], "-o", "json"))

    assert [r["run_id"] for r in listed] == sweep["run_ids"][::-1]  # newest first
    assert all(set(r) == RUN_KEYS for r in listed)
    last = listed[0]
    assert last["run_name"] == "trial-2"
    assert last["experiment_id"] == sweep["experiment_id"]
    assert last["status"] == "FINISHED"
    assert last["lifecycle_stage"] == "active"
    assert last["params"] == {"lr": "0.2"}
    assert last["metrics"] == {"loss": pytest.approx(0.2)}
    assert last["tags"]["kind"] == "sweep"
    assert isinstance(last["start_time"], int)
    assert last["end_time"] >= last["start_time"]


def test_list_table_has_a_header_and_a_row_each(runs: Runs, sweep: dict[str, Any]) -> None:
    result = runs("list", "-e", sweep["experiment_id"])

    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == [
        "run_id",
        "run_name",
        "experiment_id",
        "status",
        "user_id",
        "started",
        "ended",
    ]
    rows = [line.split()[:4] for line in lines[1:]]
    assert [row[0] for row in rows] == sweep["run_ids"][::-1]
    assert rows[-1][1:] == ["trial-0", sweep["experiment_id"], "FINISHED"]


def test_search_filters_and_orders(runs: Runs, sweep: dict[str, Any]) -> None:
    found = as_json(
        runs(
            "search",
            "-e",
            sweep["name"],
            "--filter",
            "metrics.loss < 0.25",
            "--order-by",
            "metrics.loss ASC",
            "-o",
            "json",
        )
    )

    assert [r["run_name"] for r in found] == ["trial-1", "trial-2"]


def test_list_spans_several_experiments_by_name_and_id(
    runs: Runs, sweep: dict[str, Any], mlflow_client: MlflowClient
) -> None:
    other, other_run = fresh_run(mlflow_client)

    found = as_json(runs("list", "-e", sweep["name"], "-e", other, "-o", "json"))

    assert {r["run_id"] for r in found} == {*sweep["run_ids"], other_run}


def test_max_results_cuts_the_list_and_says_so(runs: Runs, sweep: dict[str, Any]) -> None:
    result = runs("list", "-e", sweep["name"], "--max-results", "2", "-o", "json")

    assert len(as_json(result)) == 2
    assert "Showing the first 2; raise --max-results to see more." in result.stderr


def test_bad_filter_is_one_line_with_the_grammar_hint(runs: Runs, sweep: dict[str, Any]) -> None:
    assert_one_line_error(
        runs("list", "-e", sweep["name"], "--filter", "metrics.loss <"),
        "Invalid filter",
        "docs/search.md",
    )


def test_list_of_an_unknown_experiment_names_it(runs: Runs) -> None:
    assert_one_line_error(
        runs("list", "-e", "no-such-experiment"),
        "'no-such-experiment'",
        "shipyard experiments list --view all",
    )


def test_list_needs_an_experiment(runs: Runs) -> None:
    result = runs("list")

    assert result.exit_code == 2
    assert "--experiment" in result.stderr


# -- get, metric history --------------------------------------------------------------------


def test_get_json_is_the_run_as_listed(runs: Runs, sweep: dict[str, Any]) -> None:
    run_id = sweep["run_ids"][1]

    found = as_json(runs("get", run_id, "-o", "json"))
    listed = as_json(runs("list", "-e", sweep["name"], "-o", "json"))

    assert found == next(r for r in listed if r["run_id"] == run_id)
    assert found["artifact_uri"].endswith(f"{run_id}/artifacts")


def test_get_table_shows_info_then_params_metrics_tags(runs: Runs, sweep: dict[str, Any]) -> None:
    run_id = sweep["run_ids"][0]

    result = runs("get", run_id)

    assert result.exit_code == 0, result.stderr
    lines = [line.split() for line in result.stdout.splitlines()]
    assert ["run_id", run_id] in lines
    assert ["run_name", "trial-0"] in lines
    assert ["status", "FINISHED"] in lines
    assert ["params", "(1)"] in lines and ["lr", "0.0"] in lines
    assert ["metrics", "(1)"] in lines
    assert ["loss", str(0.3), "(step", "2)"] in lines
    assert ["kind", "sweep"] in lines


def test_get_unknown_run_says_how_to_find_runs(runs: Runs) -> None:
    assert_one_line_error(
        runs("get", "0" * 32), "0" * 32, "shipyard runs list --experiment <id-or-name>"
    )


def test_metric_history_json_is_every_point_oldest_first(runs: Runs, sweep: dict[str, Any]) -> None:
    points = as_json(runs("metric-history", sweep["run_ids"][0], "loss", "-o", "json"))

    assert points == [
        {"step": step, "value": pytest.approx(0.3 * (3 - step)), "timestamp": 1_000 + step}
        for step in range(3)
    ]


def test_metric_history_table(runs: Runs, sweep: dict[str, Any]) -> None:
    result = runs("metric-history", sweep["run_ids"][1], "loss")

    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["step", "value", "time"]
    assert [line.split()[:2] for line in lines[1:]] == [
        ["0", str(0.1 * 3)],
        ["1", str(0.1 * 2)],
        ["2", str(0.1)],
    ]
    assert lines[1].split()[2:] == ["1970-01-01", "00:00:01", "UTC"]


def test_metric_history_of_an_unknown_key_names_the_run_metrics(
    runs: Runs, sweep: dict[str, Any]
) -> None:
    assert_one_line_error(
        runs("metric-history", sweep["run_ids"][0], "los"),
        "has no metric 'los'",
        "its metrics are: loss",
    )


def test_nan_and_infinity_stay_valid_json(runs: Runs, mlflow_client: MlflowClient) -> None:
    _, run_id = fresh_run(mlflow_client)
    mlflow_client.log_metric(run_id, "odd", math.nan, step=0)
    mlflow_client.log_metric(run_id, "odd", math.inf, step=1)
    mlflow_client.log_metric(run_id, "low", -math.inf)

    history = as_json(runs("metric-history", run_id, "odd", "-o", "json"))
    found = as_json(runs("get", run_id, "-o", "json"))

    assert [p["value"] for p in history] == ["NaN", "Infinity"]
    assert found["metrics"] == {"odd": "Infinity", "low": "-Infinity"}


# -- delete and restore ---------------------------------------------------------------------


def test_delete_then_restore(runs: Runs, mlflow_client: MlflowClient) -> None:
    experiment_id, run_id = fresh_run(mlflow_client)
    _, other_id = fresh_run(mlflow_client)

    deleted = runs("delete", run_id, other_id)

    assert deleted.exit_code == 0, deleted.stderr
    assert deleted.stdout == f"Deleted run {run_id}.\nDeleted run {other_id}.\n"
    assert as_json(runs("list", "-e", experiment_id, "-o", "json")) == []
    gone = as_json(runs("list", "-e", experiment_id, "--view", "deleted", "-o", "json"))
    assert [(r["run_id"], r["lifecycle_stage"]) for r in gone] == [(run_id, "deleted")]

    restored = runs("restore", run_id)

    assert restored.exit_code == 0, restored.stderr
    assert restored.stdout == f"Restored run {run_id}.\n"
    active = as_json(runs("list", "-e", experiment_id, "-o", "json"))
    assert [r["run_id"] for r in active] == [run_id]
    assert as_json(runs("get", other_id, "-o", "json"))["lifecycle_stage"] == "deleted"


def test_delete_of_an_unknown_run_fails_cleanly(runs: Runs) -> None:
    assert_one_line_error(runs("delete", "f" * 32), "f" * 32)


# -- artifact transfers ---------------------------------------------------------------------


def test_download_keeps_the_artifact_path_below_dst(
    runs: Runs, sweep: dict[str, Any], tmp_path: Path
) -> None:
    result = runs("download", sweep["run_ids"][0], "model", "--dst", str(tmp_path / "out"))

    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"{tmp_path / 'out' / 'model'}\n"
    assert (tmp_path / "out/model/weights.bin").read_bytes() == FILES["model/weights.bin"]
    assert not (tmp_path / "out/notes.txt").exists()


def test_download_everything_and_one_file_as_json(
    runs: Runs, sweep: dict[str, Any], tmp_path: Path
) -> None:
    run_id = sweep["run_ids"][0]

    everything = as_json(runs("download", run_id, "-d", str(tmp_path / "all"), "-o", "json"))
    one = as_json(runs("download", run_id, "notes.txt", "-d", str(tmp_path / "one"), "-o", "json"))

    assert everything == {"run_id": run_id, "path": "", "local_path": str(tmp_path / "all")}
    for relative, data in FILES.items():
        assert (tmp_path / "all" / relative).read_bytes() == data
    assert one["local_path"] == str(tmp_path / "one" / "notes.txt")
    assert sorted(p.name for p in (tmp_path / "one").iterdir()) == ["notes.txt"]


def test_download_of_a_missing_path_fails_cleanly(
    runs: Runs, sweep: dict[str, Any], tmp_path: Path
) -> None:
    assert_one_line_error(
        runs("download", sweep["run_ids"][0], "nothing-here", "-d", str(tmp_path)), "nothing-here"
    )


def test_download_into_a_path_below_a_file_fails_cleanly(
    runs: Runs, sweep: dict[str, Any], tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")

    assert_one_line_error(
        runs("download", sweep["run_ids"][0], "notes.txt", "-d", str(blocker / "dst")),
        "Cannot use",
        str(blocker),
    )


def test_upload_then_download_round_trips(
    runs: Runs, mlflow_client: MlflowClient, tmp_path: Path
) -> None:
    _, run_id = fresh_run(mlflow_client)
    local = tmp_path / "report.csv"
    local.write_bytes(b"a,b\n1,2\n")

    uploaded = runs("upload", run_id, str(local), "--artifact-path", "reports", "-o", "json")

    assert as_json(uploaded) == {
        "run_id": run_id,
        "local_path": str(local),
        "artifact_path": "reports/report.csv",
    }
    listed = mlflow_client.list_artifacts(run_id, "reports")
    assert [(f.path, f.file_size) for f in listed] == [("reports/report.csv", 8)]
    back = as_json(
        runs("download", run_id, "reports/report.csv", "-d", str(tmp_path / "back"), "-o", "json")
    )
    assert Path(back["local_path"]).read_bytes() == local.read_bytes()


def test_log_artifact_uploads_a_folder_keeping_its_tree(
    runs: Runs, mlflow_client: MlflowClient, tmp_path: Path
) -> None:
    _, run_id = fresh_run(mlflow_client)
    folder = tmp_path / "bundle"
    (folder / "inner").mkdir(parents=True)
    (folder / "top.txt").write_text("top")
    (folder / "inner" / "deep.txt").write_text("deep")

    result = runs("log-artifact", run_id, str(folder))

    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"Uploaded {folder} to the root of run {run_id}'s artifacts.\n"
    assert {f.path for f in mlflow_client.list_artifacts(run_id)} == {"inner", "top.txt"}
    assert [f.path for f in mlflow_client.list_artifacts(run_id, "inner")] == ["inner/deep.txt"]


def test_upload_to_an_unknown_run_fails_cleanly(runs: Runs, tmp_path: Path) -> None:
    local = tmp_path / "x.txt"
    local.write_text("x")

    assert_one_line_error(runs("upload", "e" * 32, str(local)), "e" * 32)


def test_progress_bar_on_a_terminal_only(
    module_server: LiveServer, sweep: dict[str, Any], tmp_path: Path
) -> None:
    command = [
        str(Path(sys.executable).parent / "shipyard"),
        "runs",
        "download",
        sweep["run_ids"][0],
        "model",
        "--tracking-uri",
        module_server.url,
    ]
    env = {**os.environ, "COLUMNS": "120"}

    def run_with_stderr(stderr: int) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [*command, "-d", str(tmp_path / f"dst-{stderr}")],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=stderr,
            env=env,
            timeout=120,
            check=True,
        )

    controller, terminal = pty.openpty()
    try:
        run_with_stderr(terminal)
        os.close(terminal)
        drawn = b""
        while True:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # the terminal side is closed: everything is read
                break
            if not chunk:
                break
            drawn += chunk
    finally:
        os.close(controller)
    piped = run_with_stderr(subprocess.PIPE)

    assert b"downloading model" in drawn
    assert b"300.0 kB" in drawn or b"0.3 MB" in drawn
    assert piped.stderr == b""


# -- the embedded store ---------------------------------------------------------------------


def test_embedded_store_list_get_and_transfers(shipyard: Shipyard, tmp_path: Path) -> None:
    data = tmp_path / "data"
    with Client(str(data)) as client:
        experiment_id = client.create_experiment("local")
        run_id = client.create_run(experiment_id, run_name="offline").info.run_id
        client.log_param(run_id, "seed", 7)
        client.log_metric(run_id, "acc", 0.9, step=1)
        client.set_terminated(run_id)
    local = tmp_path / "weights.bin"
    local.write_bytes(b"\x00\x01" * 1000)
    uri = ("--tracking-uri", str(data))

    listed = as_json(shipyard("runs", "list", "-e", "local", *uri, "-o", "json"))
    uploaded = shipyard("runs", "upload", run_id, str(local), "-a", "ckpt", *uri)
    back = as_json(
        shipyard("runs", "download", run_id, "ckpt", "-d", str(tmp_path / "b"), *uri, "-o", "json")
    )

    assert [(r["run_id"], r["params"], r["metrics"]) for r in listed] == [
        (run_id, {"seed": "7"}, {"acc": 0.9})
    ]
    assert uploaded.exit_code == 0, uploaded.stderr
    assert (Path(back["local_path"]) / "weights.bin").read_bytes() == local.read_bytes()
    assert (data / "artifacts").is_dir()
