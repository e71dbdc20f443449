"""The tracking entities: view types, run statuses and the plain data they carry."""

from __future__ import annotations

import pytest

from shipyard.domain.entities import (
    Dataset,
    DatasetInput,
    LifecycleStage,
    LoggedModelStatus,
    Metric,
    Page,
    Run,
    RunInfo,
    RunStatus,
    ViewType,
)


@pytest.mark.parametrize(
    ("view", "stages"),
    [
        (ViewType.ACTIVE_ONLY, (LifecycleStage.ACTIVE,)),
        (ViewType.DELETED_ONLY, (LifecycleStage.DELETED,)),
        (ViewType.ALL, (LifecycleStage.ACTIVE, LifecycleStage.DELETED)),
    ],
)
def test_view_type_stages(view: ViewType, stages: tuple[LifecycleStage, ...]) -> None:
    assert view.stages() == stages


def test_view_type_values_are_mlflows_wire_names() -> None:
    assert [v.value for v in ViewType] == ["ACTIVE_ONLY", "DELETED_ONLY", "ALL"]


@pytest.mark.parametrize(
    ("status", "terminal"),
    [
        (RunStatus.RUNNING, False),
        (RunStatus.SCHEDULED, False),
        (RunStatus.FINISHED, True),
        (RunStatus.FAILED, True),
        (RunStatus.KILLED, True),
    ],
)
def test_run_status_is_terminal(status: RunStatus, terminal: bool) -> None:
    assert status.is_terminal is terminal


def test_run_status_parses_mlflows_enum_names() -> None:
    assert RunStatus("FINISHED") is RunStatus.FINISHED


def test_lifecycle_stage_values_are_lower_case() -> None:
    assert (LifecycleStage.ACTIVE, LifecycleStage.DELETED) == ("active", "deleted")


def test_logged_model_status_has_pending_ready_and_failed() -> None:
    assert {s.value for s in LoggedModelStatus} == {"PENDING", "READY", "FAILED"}


def test_metric_defaults_to_step_zero_and_no_links() -> None:
    metric = Metric("loss", 0.5, 1000)

    assert (metric.step, metric.run_id, metric.model_id, metric.dataset_name) == (
        0,
        None,
        None,
        None,
    )


def test_metric_is_immutable() -> None:
    metric = Metric("loss", 0.5, 1000)

    with pytest.raises(AttributeError):  # FrozenInstanceError, or slots' own refusal
        metric.value = 1.0  # type: ignore[misc]


def test_page_without_a_token_is_the_last_page() -> None:
    assert Page([1, 2]).next_page_token is None


def _run() -> Run:
    info = RunInfo(
        run_id="a" * 32,
        experiment_id="3",
        name="sweep-1",
        user_id="ana",
        status=RunStatus.FINISHED,
        start_time=1,
        end_time=2,
        artifact_uri="mlflow-artifacts:/3/" + "a" * 32 + "/artifacts",
        lifecycle_stage=LifecycleStage.ACTIVE,
    )
    dataset = DatasetInput(
        Dataset("train", "d1", "local", "/data"), {"mlflow.data.context": "train"}
    )
    return Run(
        info,
        params={"lr": "0.1"},
        metrics=[Metric("loss", 0.5, 10, 3), Metric("acc", 0.9, 10, 3)],
        tags={"mlflow.user": "ana"},
        dataset_inputs=[dataset],
        model_inputs=["m-1"],
    )


def test_a_run_reads_as_mlflows_run_data_and_info() -> None:
    run = _run()

    assert run.data.params == {"lr": "0.1"}
    assert run.data.metrics == {"loss": 0.5, "acc": 0.9}
    assert run.data.tags == {"mlflow.user": "ana"}
    assert run.info.run_name == "sweep-1" and run.info.run_uuid == "a" * 32
    assert run.info.status == "FINISHED"
    assert [i.dataset.name for i in run.inputs.dataset_inputs] == ["train"]
    assert run.inputs.model_inputs == ["m-1"]


def test_run_data_is_a_copy_that_cannot_change_the_run() -> None:
    run = _run()

    run.data.params["lr"] = "9"
    run.data.tags.clear()

    assert run.params == {"lr": "0.1"} and run.tags == {"mlflow.user": "ana"}
