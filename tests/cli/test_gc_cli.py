"""``shipyard gc`` on the storage of a live server, after deletions made with the mlflow client.

The module has a server of its own (``module_server``): a collection purges every deleted item
of the database it is given, and other modules' deletions must not count here.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import Result
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

# conftest.LiveServer: .url, .backend_store_uri, .artifacts_destination
LiveServer = Any
Shipyard = Callable[..., Result]
DAY_MS = 86_400_000


@pytest.fixture
def tracking_server(module_server: LiveServer) -> LiveServer:
    """This module's own live server, whose storage every ``gc`` here is pointed at."""
    return module_server


@pytest.fixture
def client(tracking_server: LiveServer) -> MlflowClient:
    return MlflowClient(tracking_uri=tracking_server.url)


@pytest.fixture
def gc(shipyard: Shipyard, tracking_server: LiveServer) -> Callable[..., Result]:
    """``shipyard gc ARGS`` on the live server's database and artifact store."""

    def invoke(*args: str) -> Result:
        return shipyard(
            "gc",
            "--backend-store-uri",
            tracking_server.backend_store_uri,
            "--artifacts-destination",
            str(tracking_server.artifacts_destination),
            *args,
        )

    return invoke


def ok(result: Result) -> Result:
    assert result.exit_code == 0, result.output
    return result


def gc_json(gc: Callable[..., Result], *args: str) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(ok(gc("--json", *args)).stdout)
    return parsed


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def experiment_id(client: MlflowClient) -> str:
    return client.create_experiment(unique("gc"))


@pytest.fixture
def make_run(client: MlflowClient, experiment_id: str, tmp_path: Path) -> Callable[..., str]:
    """``make_run(deleted=True, experiment=experiment_id)``: a run with two artifact files."""

    def make(deleted: bool = True, experiment: str | None = None) -> str:
        run_id = client.create_run(experiment or experiment_id).info.run_id
        files = tmp_path / run_id
        (files / "sub").mkdir(parents=True)
        (files / "weights.bin").write_bytes(b"w" * 100)
        (files / "sub" / "plot.txt").write_bytes(b"p")
        client.log_artifacts(run_id, str(files))
        if deleted:
            client.delete_run(run_id)
        return run_id

    return make


def run_folder(server: LiveServer, experiment_id: str, run_id: str) -> Path:
    """Where the server keeps a run's artifacts: <experiment>/<run>/artifacts."""
    return server.artifacts_destination / experiment_id / run_id


def run_exists(client: MlflowClient, run_id: str) -> bool:
    try:
        client.get_run(run_id)
    except MlflowException as exc:
        assert exc.error_code == "RESOURCE_DOES_NOT_EXIST", exc
        return False
    return True


def experiment_exists(client: MlflowClient, experiment_id: str) -> bool:
    try:
        client.get_experiment(experiment_id)
    except MlflowException as exc:
        assert exc.error_code == "RESOURCE_DOES_NOT_EXIST", exc
        return False
    return True


def backdate_run_deletion(server: LiveServer, run_id: str, days: int) -> None:
    engine = sa.create_engine(server.backend_store_uri)
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.text("UPDATE runs SET deleted_time = :t WHERE run_id = :r"),
                {"t": int(time.time() * 1000) - days * DAY_MS, "r": run_id},
            )
    finally:
        engine.dispose()


# -- what goes ----------------------------------------------------------------------------------


def test_gc_purges_a_deleted_run(
    gc: Callable[..., Result], client: MlflowClient, make_run: Callable[..., str]
) -> None:
    run_id = make_run()

    ok(gc())

    assert not run_exists(client, run_id)


def test_gc_deletes_the_artifact_folder_of_a_purged_run(
    gc: Callable[..., Result],
    tracking_server: LiveServer,
    experiment_id: str,
    make_run: Callable[..., str],
) -> None:
    run_id = make_run()
    folder = run_folder(tracking_server, experiment_id, run_id)
    assert (folder / "artifacts" / "weights.bin").is_file()

    ok(gc())

    assert not folder.exists()


def test_gc_counts_the_artifact_files_it_deleted(
    gc: Callable[..., Result], make_run: Callable[..., str]
) -> None:
    run_id = make_run()

    report = gc_json(gc, "--run-ids", run_id)

    assert report["artifact_files_deleted"] == 2


def test_gc_leaves_active_runs_and_their_artifacts_alone(
    gc: Callable[..., Result],
    client: MlflowClient,
    tracking_server: LiveServer,
    experiment_id: str,
    make_run: Callable[..., str],
) -> None:
    run_id = make_run(deleted=False)

    ok(gc())

    assert run_exists(client, run_id)
    assert (run_folder(tracking_server, experiment_id, run_id) / "artifacts").is_dir()


def test_gc_purges_a_deleted_experiment(
    gc: Callable[..., Result], client: MlflowClient, experiment_id: str
) -> None:
    client.delete_experiment(experiment_id)

    ok(gc())

    assert not experiment_exists(client, experiment_id)


def test_gc_purges_every_run_of_a_deleted_experiment(
    gc: Callable[..., Result],
    client: MlflowClient,
    experiment_id: str,
    make_run: Callable[..., str],
) -> None:
    run_id = make_run(deleted=False)
    client.delete_experiment(experiment_id)

    ok(gc())

    assert not run_exists(client, run_id)


def test_gc_deletes_the_artifact_folder_of_a_purged_experiment(
    gc: Callable[..., Result],
    client: MlflowClient,
    tracking_server: LiveServer,
    experiment_id: str,
    make_run: Callable[..., str],
) -> None:
    make_run(deleted=False)
    assert (tracking_server.artifacts_destination / experiment_id).is_dir()
    client.delete_experiment(experiment_id)

    ok(gc())

    assert not (tracking_server.artifacts_destination / experiment_id).exists()


def test_gc_frees_the_name_of_a_purged_experiment(
    gc: Callable[..., Result], client: MlflowClient
) -> None:
    name = unique("reused")
    client.delete_experiment(client.create_experiment(name))

    ok(gc())

    new_id = client.create_experiment(name)
    assert client.get_experiment(new_id).name == name


def test_gc_purges_a_deleted_logged_model_with_its_artifacts(
    gc: Callable[..., Result],
    client: MlflowClient,
    tracking_server: LiveServer,
    experiment_id: str,
    tmp_path: Path,
) -> None:
    model = client.create_logged_model(experiment_id)
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "MLmodel").write_text("flavors: {}\n")
    client.log_model_artifacts(model.model_id, str(tmp_path / "model"))
    folder = tracking_server.artifacts_destination / experiment_id / "models" / model.model_id
    assert (folder / "artifacts" / "MLmodel").is_file()
    client.delete_logged_model(model.model_id)

    report = gc_json(gc)

    assert model.model_id in report["logged_models"]
    assert not folder.exists()


def test_gc_leaves_artifacts_outside_the_store_alone_and_says_so(
    gc: Callable[..., Result], client: MlflowClient, tmp_path: Path
) -> None:
    location = tmp_path / "client-chosen"
    location.mkdir()
    (location / "keep.txt").write_text("mine")
    experiment = client.create_experiment(unique("outside"), artifact_location=location.as_uri())
    client.delete_experiment(experiment)

    report = gc_json(gc, "--experiment-ids", experiment)

    assert (location / "keep.txt").read_text() == "mine"
    assert any(location.as_uri() in note for note in report["notes"])


# -- what stays ---------------------------------------------------------------------------------


def test_gc_dry_run_deletes_nothing(
    gc: Callable[..., Result],
    client: MlflowClient,
    tracking_server: LiveServer,
    experiment_id: str,
    make_run: Callable[..., str],
) -> None:
    run_id = make_run()

    ok(gc("--dry-run"))

    assert client.get_run(run_id).info.lifecycle_stage == "deleted"
    assert (run_folder(tracking_server, experiment_id, run_id) / "artifacts").is_dir()


def test_gc_dry_run_lists_the_runs_and_experiments_that_would_go(
    gc: Callable[..., Result],
    client: MlflowClient,
    experiment_id: str,
    make_run: Callable[..., str],
) -> None:
    run_id = make_run()
    client.delete_experiment(experiment_id)
    name = client.get_experiment(experiment_id).name

    result = ok(gc("--dry-run"))

    assert "Would delete" in result.stdout
    assert f"experiment {experiment_id} ({name})" in result.stdout
    assert f"run {run_id}" in result.stdout


def test_gc_older_than_keeps_recently_deleted_runs(
    gc: Callable[..., Result], client: MlflowClient, make_run: Callable[..., str]
) -> None:
    run_id = make_run()

    report = gc_json(gc, "--older-than", "1d")

    assert run_id not in report["runs"]
    assert run_exists(client, run_id)


def test_gc_older_than_keeps_recently_deleted_experiments(
    gc: Callable[..., Result], client: MlflowClient, experiment_id: str
) -> None:
    client.delete_experiment(experiment_id)

    ok(gc("--older-than", "1d"))

    assert experiment_exists(client, experiment_id)


def test_gc_older_than_collects_runs_deleted_before_the_cutoff(
    gc: Callable[..., Result],
    client: MlflowClient,
    tracking_server: LiveServer,
    make_run: Callable[..., str],
) -> None:
    run_id = make_run()
    backdate_run_deletion(tracking_server, run_id, days=2)

    ok(gc("--older-than", "1d"))

    assert not run_exists(client, run_id)


def test_gc_run_ids_purges_only_those_runs(
    gc: Callable[..., Result], client: MlflowClient, make_run: Callable[..., str]
) -> None:
    chosen, other = make_run(), make_run()

    report = gc_json(gc, "--run-ids", chosen)

    assert report["runs"] == [chosen]
    assert not run_exists(client, chosen)
    assert run_exists(client, other)


def test_gc_experiment_ids_purges_only_those_experiments(
    gc: Callable[..., Result], client: MlflowClient
) -> None:
    chosen, other = client.create_experiment(unique("a")), client.create_experiment(unique("b"))
    client.delete_experiment(chosen)
    client.delete_experiment(other)

    ok(gc("--experiment-ids", chosen))

    assert not experiment_exists(client, chosen)
    assert experiment_exists(client, other)


def test_gc_of_a_run_that_is_not_deleted_fails_with_a_message(
    gc: Callable[..., Result], client: MlflowClient, make_run: Callable[..., str]
) -> None:
    run_id = make_run(deleted=False)

    result = gc("--run-ids", run_id)

    assert result.exit_code == 1
    assert f"Cannot collect run {run_id}" in result.stderr
    assert "not deleted" in result.stderr
    assert run_exists(client, run_id)


def test_gc_with_a_malformed_duration_is_a_usage_error(gc: Callable[..., Result]) -> None:
    result = gc("--older-than", "soon")

    assert result.exit_code == 2
    assert "30d" in result.stderr


def test_gc_with_nothing_to_collect_says_so(gc: Callable[..., Result]) -> None:
    ok(gc())

    result = ok(gc())

    assert "Nothing to collect" in result.stdout


# -- JSON ---------------------------------------------------------------------------------------


def test_gc_json_reports_what_was_deleted(
    gc: Callable[..., Result],
    client: MlflowClient,
    experiment_id: str,
    make_run: Callable[..., str],
) -> None:
    run_id = make_run()
    name = client.get_experiment(experiment_id).name
    client.delete_experiment(experiment_id)

    report = gc_json(gc, "--experiment-ids", experiment_id)

    assert report == {
        "runs": [run_id],
        "logged_models": [],
        "experiments": [{"id": experiment_id, "name": name}],
        "artifact_files_deleted": 2,
        "notes": [],
        "dry_run": False,
    }


def test_gc_dry_run_json_reports_what_would_go(
    gc: Callable[..., Result], make_run: Callable[..., str]
) -> None:
    run_id = make_run()

    report = gc_json(gc, "--dry-run", "--run-ids", run_id)

    assert report == {"runs": [run_id], "logged_models": [], "experiments": [], "dry_run": True}


# -- the database it is given -------------------------------------------------------------------


def test_gc_of_a_database_that_does_not_exist_creates_none(
    shipyard: Shipyard, tmp_path: Path
) -> None:
    # a mistyped --backend-store-uri must not become a new, empty database
    missing = tmp_path / "typo.db"

    shipyard(
        "gc",
        "--backend-store-uri",
        f"sqlite:///{missing}",
        "--artifacts-destination",
        str(tmp_path / "artifacts"),
        "--dry-run",
    )

    assert not missing.exists()
