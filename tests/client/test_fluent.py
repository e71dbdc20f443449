"""Shipyard's fluent API (``shipyard.fluent``) against a live server, checked through ``mlflow``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from mlflow import MlflowClient

from shipyard import fluent
from shipyard.client.http import ServerUnreachable
from shipyard.domain.errors import InvalidParameter, NotFound


def test_start_run_as_a_context_manager_ends_the_run_finished_with_an_end_time(
    client: MlflowClient, experiment_id: str
) -> None:
    with fluent.start_run(experiment_id=experiment_id) as run:
        status_inside = client.get_run(run.info.run_id).info.status

    info = client.get_run(run.info.run_id).info
    assert status_inside == "RUNNING"
    assert info.status == "FINISHED"
    assert info.end_time is not None and info.end_time >= info.start_time


def test_start_run_as_a_context_manager_ends_the_run_failed_when_the_block_raises(
    client: MlflowClient, experiment_id: str
) -> None:
    with (
        pytest.raises(RuntimeError, match="boom"),
        fluent.start_run(experiment_id=experiment_id) as run,
    ):
        raise RuntimeError("boom")

    info = client.get_run(run.info.run_id).info
    assert info.status == "FAILED"
    assert info.end_time is not None


def test_leaving_the_run_context_leaves_no_active_run(experiment_id: str) -> None:
    with fluent.start_run(experiment_id=experiment_id):
        active_inside = fluent.active_run()

    assert active_inside is not None
    assert fluent.active_run() is None


def test_start_run_creates_the_run_in_the_given_experiment_with_its_name_and_tags(
    client: MlflowClient, experiment_id: str
) -> None:
    with fluent.start_run(
        experiment_id=experiment_id, run_name="baseline", tags={"team": "vision"}
    ) as run:
        pass

    found = client.get_run(run.info.run_id)
    assert found.info.experiment_id == experiment_id
    assert found.info.run_name == "baseline"
    assert found.data.tags["team"] == "vision"


def test_a_nested_run_is_tagged_with_its_parent_run_id(
    client: MlflowClient, experiment_id: str
) -> None:
    with (
        fluent.start_run(experiment_id=experiment_id) as parent,
        fluent.start_run(experiment_id=experiment_id, nested=True) as child,
    ):
        pass

    assert child.info.run_id != parent.info.run_id
    assert client.get_run(child.info.run_id).data.tags["mlflow.parentRunId"] == parent.info.run_id
    assert "mlflow.parentRunId" not in client.get_run(parent.info.run_id).data.tags


def test_ending_a_nested_run_makes_the_parent_active_again(experiment_id: str) -> None:
    with fluent.start_run(experiment_id=experiment_id) as parent:
        with fluent.start_run(experiment_id=experiment_id, nested=True):
            pass
        active = fluent.active_run()

    assert active is not None
    assert active.info.run_id == parent.info.run_id


def test_starting_a_second_run_while_one_is_active_is_refused(
    client: MlflowClient, experiment_id: str
) -> None:
    with fluent.start_run(experiment_id=experiment_id) as first:
        with pytest.raises(InvalidParameter, match=f"{first.info.run_id} is already active"):
            fluent.start_run(experiment_id=experiment_id)
        active = fluent.active_run()

    assert active is not None and active.info.run_id == first.info.run_id
    assert [r.info.run_id for r in client.search_runs([experiment_id])] == [first.info.run_id]


def test_start_run_with_run_id_resumes_that_run(client: MlflowClient, experiment_id: str) -> None:
    with fluent.start_run(experiment_id=experiment_id) as first:
        fluent.log_param("phase", "one")

    with fluent.start_run(run_id=first.info.run_id) as resumed:
        status_while_resumed = client.get_run(first.info.run_id).info.status
        fluent.log_param("second_phase", "two")

    run = client.get_run(first.info.run_id)
    assert resumed.info.run_id == first.info.run_id
    assert status_while_resumed == "RUNNING"
    assert run.info.status == "FINISHED"
    assert run.data.params == {"phase": "one", "second_phase": "two"}


def test_log_param_records_the_value_as_a_string(client: MlflowClient, experiment_id: str) -> None:
    with fluent.start_run(experiment_id=experiment_id) as run:
        fluent.log_param("depth", 3)

    assert client.get_run(run.info.run_id).data.params == {"depth": "3"}


def test_log_params_records_every_param(client: MlflowClient, experiment_id: str) -> None:
    with fluent.start_run(experiment_id=experiment_id) as run:
        fluent.log_params({"lr": 0.1, "optimizer": "sgd", "layers": 2})

    assert client.get_run(run.info.run_id).data.params == {
        "lr": "0.1",
        "optimizer": "sgd",
        "layers": "2",
    }


def test_log_param_with_a_new_value_for_a_logged_key_is_refused(
    client: MlflowClient, experiment_id: str
) -> None:
    with fluent.start_run(experiment_id=experiment_id) as run:
        fluent.log_param("depth", 3)
        with pytest.raises(InvalidParameter, match="depth"):
            fluent.log_param("depth", 4)

    assert client.get_run(run.info.run_id).data.params == {"depth": "3"}


def test_log_param_without_an_active_run_starts_one_and_logs_to_it(
    client: MlflowClient, experiment_id: str
) -> None:
    fluent.set_experiment(experiment_id=experiment_id)

    fluent.log_param("auto", "yes")
    fluent.flush()  # another client reads it

    active = fluent.active_run()
    assert active is not None
    run = client.get_run(active.info.run_id)
    assert run.info.experiment_id == experiment_id
    assert run.data.params == {"auto": "yes"}


def test_log_metric_records_each_point_at_its_step(
    client: MlflowClient, experiment_id: str
) -> None:
    with fluent.start_run(experiment_id=experiment_id) as run:
        fluent.log_metric("loss", 0.9, step=1)
        fluent.log_metric("loss", 0.5, step=2)
        fluent.log_metric("loss", 0.25, step=3)

    history = client.get_metric_history(run.info.run_id, "loss")
    assert sorted((m.step, m.value) for m in history) == [(1, 0.9), (2, 0.5), (3, 0.25)]
    assert all(m.timestamp > 0 for m in history)


def test_log_metric_without_a_step_logs_at_step_zero(
    client: MlflowClient, experiment_id: str
) -> None:
    with fluent.start_run(experiment_id=experiment_id) as run:
        fluent.log_metric("accuracy", 0.75)

    [point] = client.get_metric_history(run.info.run_id, "accuracy")
    assert (point.step, point.value) == (0, 0.75)


def test_log_metrics_records_every_metric_at_the_given_step(
    client: MlflowClient, experiment_id: str
) -> None:
    with fluent.start_run(experiment_id=experiment_id) as run:
        fluent.log_metrics({"precision": 0.5, "recall": 0.25}, step=7)

    precision = client.get_metric_history(run.info.run_id, "precision")
    recall = client.get_metric_history(run.info.run_id, "recall")
    assert [(m.step, m.value) for m in precision] == [(7, 0.5)]
    assert [(m.step, m.value) for m in recall] == [(7, 0.25)]


def test_the_latest_metric_value_is_the_runs_metric(
    client: MlflowClient, experiment_id: str
) -> None:
    with fluent.start_run(experiment_id=experiment_id) as run:
        fluent.log_metric("loss", 0.9, step=1)
        fluent.log_metric("loss", 0.1, step=2)

    assert client.get_run(run.info.run_id).data.metrics == {"loss": 0.1}


def test_set_tag_records_the_tag(client: MlflowClient, experiment_id: str) -> None:
    with fluent.start_run(experiment_id=experiment_id) as run:
        fluent.set_tag("stage", "tuning")

    assert client.get_run(run.info.run_id).data.tags["stage"] == "tuning"


def test_set_tag_twice_keeps_the_newer_value(client: MlflowClient, experiment_id: str) -> None:
    with fluent.start_run(experiment_id=experiment_id) as run:
        fluent.set_tag("stage", "tuning")
        fluent.set_tag("stage", "final")

    assert client.get_run(run.info.run_id).data.tags["stage"] == "final"


def test_set_tags_records_every_tag(client: MlflowClient, experiment_id: str) -> None:
    with fluent.start_run(experiment_id=experiment_id) as run:
        fluent.set_tags({"owner": "ana", "priority": 1})

    tags = client.get_run(run.info.run_id).data.tags
    assert (tags["owner"], tags["priority"]) == ("ana", "1")


def test_log_artifact_puts_the_file_under_the_artifact_path(
    client: MlflowClient, experiment_id: str, tmp_path: Path
) -> None:
    report = tmp_path / "report.txt"
    report.write_text("accuracy 0.9\n")

    with fluent.start_run(experiment_id=experiment_id) as run:
        fluent.log_artifact(report, "reports")

    files = client.list_artifacts(run.info.run_id, "reports")
    assert [(f.path, f.is_dir, f.file_size) for f in files] == [
        ("reports/report.txt", False, len("accuracy 0.9\n"))
    ]


def test_log_artifact_without_an_artifact_path_puts_the_file_at_the_root(
    client: MlflowClient, experiment_id: str, tmp_path: Path
) -> None:
    (tmp_path / "notes.md").write_text("# notes\n")

    with fluent.start_run(experiment_id=experiment_id) as run:
        fluent.log_artifact(str(tmp_path / "notes.md"))

    assert [f.path for f in client.list_artifacts(run.info.run_id)] == ["notes.md"]


def test_log_artifact_uploads_the_files_bytes(
    client: MlflowClient, experiment_id: str, tmp_path: Path
) -> None:
    payload = bytes(range(256)) * 4
    (tmp_path / "weights.bin").write_bytes(payload)

    with fluent.start_run(experiment_id=experiment_id) as run:
        fluent.log_artifact(tmp_path / "weights.bin")

    downloaded = client.download_artifacts(run.info.run_id, "weights.bin", str(tmp_path / "out"))
    assert Path(downloaded).read_bytes() == payload


def test_log_artifacts_uploads_the_folders_tree_under_the_artifact_path(
    client: MlflowClient, experiment_id: str, tmp_path: Path
) -> None:
    folder = tmp_path / "plots"
    (folder / "roc").mkdir(parents=True)
    (folder / "loss.png").write_bytes(b"\x89PNG loss")
    (folder / "roc" / "class0.png").write_bytes(b"\x89PNG roc")

    with fluent.start_run(experiment_id=experiment_id) as run:
        fluent.log_artifacts(folder, "figures")

    top = client.list_artifacts(run.info.run_id, "figures")
    nested = client.list_artifacts(run.info.run_id, "figures/roc")
    assert sorted((f.path, f.is_dir) for f in top) == [
        ("figures/loss.png", False),
        ("figures/roc", True),
    ]
    assert [f.path for f in nested] == ["figures/roc/class0.png"]


def test_log_artifacts_without_an_artifact_path_puts_the_files_at_the_root(
    client: MlflowClient, experiment_id: str, tmp_path: Path
) -> None:
    (tmp_path / "a.txt").write_text("a")
    (tmp_path / "b.txt").write_text("b")

    with fluent.start_run(experiment_id=experiment_id) as run:
        fluent.log_artifacts(str(tmp_path))

    assert sorted(f.path for f in client.list_artifacts(run.info.run_id)) == ["a.txt", "b.txt"]


def test_set_experiment_by_name_creates_the_experiment(
    client: MlflowClient, unique_name: Callable[[str], str]
) -> None:
    name = unique_name("fluent-new-experiment")

    experiment_id = fluent.set_experiment(name).experiment_id

    created = client.get_experiment_by_name(name)
    assert created is not None
    assert created.experiment_id == experiment_id


def test_set_experiment_by_the_name_of_an_existing_experiment_selects_it(
    client: MlflowClient, unique_name: Callable[[str], str]
) -> None:
    name = unique_name("fluent-existing-experiment")
    existing = client.create_experiment(name)

    assert fluent.set_experiment(name).experiment_id == existing


def test_runs_started_after_set_experiment_land_in_that_experiment(
    client: MlflowClient, unique_name: Callable[[str], str]
) -> None:
    experiment_id = fluent.set_experiment(unique_name("fluent-current-experiment")).experiment_id

    with fluent.start_run() as run:
        pass

    assert client.get_run(run.info.run_id).info.experiment_id == experiment_id


def test_set_experiment_without_a_name_or_id_is_refused() -> None:
    with pytest.raises(InvalidParameter, match="name or an experiment_id"):
        fluent.set_experiment()


def test_the_mlflow_experiment_name_variable_picks_the_experiment_of_new_runs(
    client: MlflowClient, unique_name: Callable[[str], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    name = unique_name("fluent-env-experiment")
    monkeypatch.setenv("MLFLOW_EXPERIMENT_NAME", name)

    with fluent.start_run() as run:
        pass

    experiment = client.get_experiment_by_name(name)
    assert experiment is not None
    assert client.get_run(run.info.run_id).info.experiment_id == experiment.experiment_id


def test_get_run_returns_what_the_run_logged(experiment_id: str) -> None:
    with fluent.start_run(experiment_id=experiment_id, run_name="fetched") as run:
        fluent.log_param("depth", 3)
        fluent.log_metric("loss", 0.5, step=4)
        fluent.set_tag("stage", "tuning")

    found = fluent.get_run(run.info.run_id)
    assert found.info.run_id == run.info.run_id
    assert found.info.name == "fetched"
    assert found.info.status == "FINISHED"
    assert found.params == {"depth": "3"}
    assert [(m.key, m.value, m.step) for m in found.metrics] == [("loss", 0.5, 4)]
    assert found.tags["stage"] == "tuning"


def test_end_run_without_an_active_run_does_nothing() -> None:
    fluent.end_run()

    assert fluent.active_run() is None


def test_set_tracking_uri_points_the_fluent_api_at_that_server(tracking_server: str) -> None:
    fluent.set_tracking_uri(f"{tracking_server}/")

    assert fluent.get_tracking_uri() == tracking_server


def test_end_run_with_a_status_records_that_status(
    client: MlflowClient, experiment_id: str
) -> None:
    run = fluent.start_run(experiment_id=experiment_id)

    fluent.end_run("KILLED")

    info = client.get_run(run.info.run_id).info
    assert (info.status, info.end_time is not None) == ("KILLED", True)
    assert fluent.active_run() is None


def test_start_run_tags_the_run_with_its_user_and_local_source(
    client: MlflowClient, experiment_id: str
) -> None:
    with fluent.start_run(experiment_id=experiment_id) as run:
        pass

    tags = client.get_run(run.info.run_id).data.tags
    assert tags["mlflow.source.type"] == "LOCAL"
    assert tags["mlflow.user"]
    assert tags["mlflow.source.name"]


def test_start_run_in_an_unknown_experiment_is_not_found_and_leaves_no_active_run() -> None:
    with pytest.raises(NotFound, match="999999"):
        fluent.start_run(experiment_id="999999")

    assert fluent.active_run() is None


def test_set_experiment_by_the_name_of_a_deleted_experiment_is_refused(
    client: MlflowClient, unique_name: Callable[[str], str]
) -> None:
    # mlflow.set_experiment refuses it too: runs could not be created there.
    name = unique_name("fluent-deleted-experiment")
    client.delete_experiment(client.create_experiment(name))

    with pytest.raises(InvalidParameter, match="deleted"):
        fluent.set_experiment(name)


def test_the_mlflow_experiment_id_variable_picks_the_experiment_of_new_runs(
    client: MlflowClient, experiment_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_EXPERIMENT_ID", experiment_id)

    with fluent.start_run() as run:
        pass

    assert client.get_run(run.info.run_id).info.experiment_id == experiment_id


def test_set_experiment_outranks_the_mlflow_experiment_name_variable(
    client: MlflowClient,
    experiment_id: str,
    unique_name: Callable[[str], str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MLFLOW_EXPERIMENT_NAME", unique_name("fluent-env-loses"))
    fluent.set_experiment(experiment_id=experiment_id)

    with fluent.start_run() as run:
        pass

    assert client.get_run(run.info.run_id).info.experiment_id == experiment_id


def test_without_set_tracking_uri_the_fluent_api_follows_mlflow_tracking_uri(
    client: MlflowClient, experiment_id: str, tracking_server: str
) -> None:
    # The compat fixtures point $MLFLOW_TRACKING_URI at the live server.
    fluent.set_tracking_uri(None)

    with fluent.start_run(experiment_id=experiment_id) as run:
        pass

    assert fluent.get_tracking_uri() == tracking_server
    assert client.get_run(run.info.run_id).info.status == "FINISHED"


def test_set_tracking_uri_moves_the_fluent_api_to_the_new_address(unused_port: int) -> None:
    fluent.set_tracking_uri(f"http://127.0.0.1:{unused_port}")

    with pytest.raises(ServerUnreachable, match=f"127.0.0.1:{unused_port}"):
        fluent.start_run()


def test_a_run_block_interrupted_by_ctrl_c_ends_the_run_killed(
    client: MlflowClient, experiment_id: str
) -> None:
    with (
        pytest.raises(KeyboardInterrupt),
        fluent.start_run(experiment_id=experiment_id) as run,
    ):
        raise KeyboardInterrupt

    assert client.get_run(run.info.run_id).info.status == "KILLED"


def test_end_run_with_an_unknown_status_is_refused_and_the_run_stays_active(
    experiment_id: str,
) -> None:
    run = fluent.start_run(experiment_id=experiment_id)

    with pytest.raises(InvalidParameter, match="FINISHED, FAILED or KILLED"):
        fluent.end_run("DONE")

    active = fluent.active_run()
    assert active is not None and active.info.run_id == run.info.run_id


def test_start_run_with_a_parent_run_id_tags_the_run_as_its_child(
    client: MlflowClient, experiment_id: str
) -> None:
    with fluent.start_run(experiment_id=experiment_id) as parent:
        pass
    with fluent.start_run(experiment_id=experiment_id, parent_run_id=parent.info.run_id) as child:
        pass

    assert client.get_run(child.info.run_id).data.tags["mlflow.parentRunId"] == parent.info.run_id


def test_a_nested_run_left_open_ends_with_its_parents_block(experiment_id: str) -> None:
    with fluent.start_run(experiment_id=experiment_id) as parent:
        child = fluent.start_run(nested=True)

    assert fluent.active_run() is None
    assert fluent.get_run(child.info.run_id).info.status.value == "FINISHED"
    assert fluent.get_run(parent.info.run_id).info.status.value == "FINISHED"
