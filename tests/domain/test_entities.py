"""The tracking entities: view types, run statuses and the plain data they carry."""

from __future__ import annotations

import pytest

from shipyard.domain.entities import (
    LifecycleStage,
    LoggedModelStatus,
    Metric,
    Page,
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
