"""The fluent API (``mlflow.start_run`` and friends) against the live server."""

from __future__ import annotations

from collections.abc import Callable

import mlflow
import mlflow.tracking.fluent
import pandas as pd
import pytest
from mlflow import MlflowClient

pytestmark = pytest.mark.compat


def test_start_run_creates_running_run_and_end_run_finishes_it(
    client: MlflowClient, experiment_id: str
) -> None:
    run = mlflow.start_run(experiment_id=experiment_id, run_name="fluent")
    status_while_active = client.get_run(run.info.run_id).info.status

    mlflow.end_run()

    info = client.get_run(run.info.run_id).info
    assert status_while_active == "RUNNING"
    assert info.run_name == "fluent"
    assert info.status == "FINISHED"
    assert info.end_time is not None
    assert mlflow.active_run() is None


def test_start_run_with_description_sets_note_tag(client: MlflowClient, experiment_id: str) -> None:
    with mlflow.start_run(
        experiment_id=experiment_id, description="tuned **depth**", tags={"origin": "nb"}
    ) as run:
        pass

    tags = client.get_run(run.info.run_id).data.tags
    assert tags["mlflow.note.content"] == "tuned **depth**"
    assert tags["origin"] == "nb"


def test_start_run_with_run_id_resumes_a_finished_run(
    client: MlflowClient, experiment_id: str
) -> None:
    with mlflow.start_run(experiment_id=experiment_id) as first:
        mlflow.log_metric("epoch", 1.0, step=1)

    with mlflow.start_run(run_id=first.info.run_id) as resumed:
        status_while_resumed = client.get_run(resumed.info.run_id).info.status
        mlflow.log_metric("epoch", 2.0, step=2)

    run = client.get_run(first.info.run_id)
    assert resumed.info.run_id == first.info.run_id
    assert status_while_resumed == "RUNNING"
    assert run.info.status == "FINISHED"
    assert [m.value for m in client.get_metric_history(run.info.run_id, "epoch")] == [1.0, 2.0]


def test_set_tags_with_run_name_tag_renames_the_run(
    client: MlflowClient, experiment_id: str
) -> None:
    # mlflow.set_tags goes through log-batch, a different server path from set-tag.
    with mlflow.start_run(experiment_id=experiment_id, run_name="draft") as run:
        mlflow.set_tags({"mlflow.runName": "final", "other": "x"})

    assert client.get_run(run.info.run_id).info.run_name == "final"


def test_run_context_manager_marks_failed_run_on_exception(
    client: MlflowClient, experiment_id: str
) -> None:
    with (
        pytest.raises(RuntimeError, match="boom"),
        mlflow.start_run(experiment_id=experiment_id) as run,
    ):
        raise RuntimeError("boom")

    assert client.get_run(run.info.run_id).info.status == "FAILED"


def test_start_run_records_user_and_source_tags(client: MlflowClient, experiment_id: str) -> None:
    with mlflow.start_run(experiment_id=experiment_id) as run:
        pass

    tags = client.get_run(run.info.run_id).data.tags
    assert tags["mlflow.user"]
    assert tags["mlflow.source.type"] == "LOCAL"
    assert tags["mlflow.source.name"]


def test_nested_run_carries_parent_run_id_tag(client: MlflowClient, experiment_id: str) -> None:
    with mlflow.start_run(experiment_id=experiment_id) as parent:
        # The child must name the experiment too: nested runs default to the active experiment.
        with mlflow.start_run(experiment_id=experiment_id, nested=True) as child:
            active_inside = mlflow.active_run().info.run_id
        active_after_child = mlflow.active_run().info.run_id

    assert active_inside == child.info.run_id
    assert active_after_child == parent.info.run_id
    child_tags = client.get_run(child.info.run_id).data.tags
    assert child_tags["mlflow.parentRunId"] == parent.info.run_id
    assert "mlflow.parentRunId" not in client.get_run(parent.info.run_id).data.tags


def test_log_params_log_metrics_and_set_tags_reach_the_run(
    client: MlflowClient, experiment_id: str
) -> None:
    with mlflow.start_run(experiment_id=experiment_id) as run:
        mlflow.log_params({"depth": 6, "criterion": "gini"})
        mlflow.log_metrics({"auc": 0.91, "logloss": 0.32}, step=4)
        mlflow.set_tags({"stage": "candidate", "dataset": "v2"})
        mlflow.log_param("seed", 7)
        mlflow.log_metric("auc", 0.93, step=5)
        mlflow.set_tag("reviewed", "no")

    data = client.get_run(run.info.run_id).data
    assert data.params == {"depth": "6", "criterion": "gini", "seed": "7"}
    assert data.metrics == {"auc": 0.93, "logloss": 0.32}
    assert {key: data.tags[key] for key in ("stage", "dataset", "reviewed")} == {
        "stage": "candidate",
        "dataset": "v2",
        "reviewed": "no",
    }
    assert [m.step for m in client.get_metric_history(run.info.run_id, "auc")] == [4, 5]


def test_asynchronous_logging_lands_after_wait(client: MlflowClient, experiment_id: str) -> None:
    with mlflow.start_run(experiment_id=experiment_id) as run:
        operations = [
            mlflow.log_metric("throughput", 12.5, step=1, synchronous=False),
            mlflow.log_param("mode", "async", synchronous=False),
            mlflow.set_tag("queued", "yes", synchronous=False),
        ]
        for operation in operations:
            operation.wait()

    data = client.get_run(run.info.run_id).data
    assert data.metrics == {"throughput": 12.5}
    assert data.params == {"mode": "async"}
    assert data.tags["queued"] == "yes"


def test_set_experiment_by_name_creates_missing_experiment(
    client: MlflowClient, unique_name: Callable[[str], str]
) -> None:
    name = unique_name("fluent-set-experiment")

    experiment = mlflow.set_experiment(name)
    with mlflow.start_run() as run:
        pass

    assert client.get_experiment_by_name(name).experiment_id == experiment.experiment_id
    assert client.get_run(run.info.run_id).info.experiment_id == experiment.experiment_id


def test_search_runs_returns_dataframe_with_data_columns(
    client: MlflowClient, experiment_id: str
) -> None:
    with mlflow.start_run(experiment_id=experiment_id, run_name="df-run") as run:
        mlflow.log_param("alpha", "0.5")
        mlflow.log_metric("rmse", 1.25)
        mlflow.set_tag("kind", "ridge")

    frame = mlflow.search_runs(experiment_ids=[experiment_id])

    assert isinstance(frame, pd.DataFrame)
    assert len(frame) == 1
    row = frame.iloc[0]
    assert row["run_id"] == run.info.run_id
    assert row["status"] == "FINISHED"
    assert row["params.alpha"] == "0.5"
    assert row["metrics.rmse"] == 1.25
    assert row["tags.kind"] == "ridge"
    assert row["tags.mlflow.runName"] == "df-run"


def test_search_runs_dataframe_filters_and_orders(client: MlflowClient, experiment_id: str) -> None:
    for score in (0.2, 0.9, 0.5, 0.7):
        with mlflow.start_run(experiment_id=experiment_id):
            mlflow.log_metric("score", score)

    frame = mlflow.search_runs(
        experiment_ids=[experiment_id],
        filter_string="metrics.score >= 0.5",
        order_by=["metrics.score DESC"],
    )

    assert frame["metrics.score"].tolist() == [0.9, 0.7, 0.5]


def test_search_runs_dataframe_collects_every_page(
    client: MlflowClient, experiment_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_ids = {client.create_run(experiment_id).info.run_id for _ in range(11)}
    # The fluent API pages by 10,000 runs; a small page size makes it follow page tokens here.
    monkeypatch.setattr(mlflow.tracking.fluent, "NUM_RUNS_PER_PAGE_PANDAS", 4)

    frame = mlflow.search_runs(experiment_ids=[experiment_id])

    assert len(frame) == 11
    assert set(frame["run_id"]) == run_ids


def test_search_runs_as_list_respects_max_results(client: MlflowClient, experiment_id: str) -> None:
    for _ in range(5):
        client.create_run(experiment_id)

    runs = mlflow.search_runs(experiment_ids=[experiment_id], max_results=3, output_format="list")

    assert len(runs) == 3
    assert all(isinstance(run, mlflow.entities.Run) for run in runs)
