"""Run lifecycle through ``MlflowClient``: create, get, names, status, delete and restore."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable

import pytest
from mlflow import MlflowClient
from mlflow.entities import ViewType
from mlflow.exceptions import MlflowException

pytestmark = pytest.mark.compat

# MLflow generates names like "popular-shrew-526": adjective, noun, number.
GENERATED_RUN_NAME = re.compile(r"^[a-z]+-[a-z]+-\d+$")


def test_create_run_with_name_sets_run_name_and_run_name_tag(
    client: MlflowClient, experiment_id: str
) -> None:
    run = client.create_run(experiment_id, run_name="baseline")

    assert run.info.run_name == "baseline"
    assert run.data.tags["mlflow.runName"] == "baseline"


def test_create_run_without_name_generates_word_word_number(
    client: MlflowClient, experiment_id: str
) -> None:
    run = client.create_run(experiment_id)

    assert GENERATED_RUN_NAME.match(run.info.run_name), run.info.run_name
    assert client.get_run(run.info.run_id).data.tags["mlflow.runName"] == run.info.run_name


def test_create_run_starts_active_and_running_in_its_experiment(
    client: MlflowClient, experiment_id: str
) -> None:
    before_ms = int(time.time() * 1000)

    info = client.create_run(experiment_id).info

    assert re.fullmatch(r"[0-9a-zA-Z][\w-]*", info.run_id)
    assert info.experiment_id == experiment_id
    assert info.status == "RUNNING"
    assert info.lifecycle_stage == "active"
    assert info.end_time is None
    # Allow for a server clock a little behind the client's.
    assert info.start_time >= before_ms - 5_000


def test_create_run_keeps_given_start_time_and_tags(
    client: MlflowClient, experiment_id: str
) -> None:
    run = client.create_run(experiment_id, start_time=1_600_000_000_123, tags={"origin": "cli"})

    fetched = client.get_run(run.info.run_id)
    assert fetched.info.start_time == 1_600_000_000_123
    assert fetched.data.tags["origin"] == "cli"


def test_run_artifact_uri_lies_under_experiment_artifact_location(
    client: MlflowClient, experiment_id: str
) -> None:
    run = client.create_run(experiment_id)

    location = client.get_experiment(experiment_id).artifact_location.rstrip("/")

    assert run.info.artifact_uri.startswith(f"{location}/")
    assert run.info.run_id in run.info.artifact_uri


def test_get_run_returns_same_info_as_create(client: MlflowClient, experiment_id: str) -> None:
    created = client.create_run(experiment_id, run_name="fetch-me")

    fetched = client.get_run(created.info.run_id)

    assert fetched.info.run_id == created.info.run_id
    assert fetched.info.run_name == "fetch-me"
    assert fetched.info.start_time == created.info.start_time
    assert fetched.info.artifact_uri == created.info.artifact_uri


def test_get_missing_run_raises_resource_does_not_exist(client: MlflowClient) -> None:
    with pytest.raises(MlflowException) as raised:
        client.get_run(uuid.uuid4().hex)

    assert raised.value.error_code == "RESOURCE_DOES_NOT_EXIST"


def test_set_terminated_sets_status_and_end_time(client: MlflowClient, experiment_id: str) -> None:
    run_id = client.create_run(experiment_id, start_time=1_700_000_000_000).info.run_id

    client.set_terminated(run_id, status="FAILED", end_time=1_700_000_009_000)

    info = client.get_run(run_id).info
    assert info.status == "FAILED"
    assert info.end_time == 1_700_000_009_000


def test_set_terminated_without_arguments_finishes_now(
    client: MlflowClient, experiment_id: str
) -> None:
    run = client.create_run(experiment_id)

    client.set_terminated(run.info.run_id)

    info = client.get_run(run.info.run_id).info
    assert info.status == "FINISHED"
    assert info.end_time is not None
    assert info.end_time >= run.info.start_time


def test_update_run_status_changes_only_status(client: MlflowClient, experiment_id: str) -> None:
    run_id = client.create_run(experiment_id, run_name="steady").info.run_id

    client.update_run(run_id, status="KILLED")

    info = client.get_run(run_id).info
    assert info.status == "KILLED"
    assert info.run_name == "steady"


def test_update_run_name_updates_run_name_tag(client: MlflowClient, experiment_id: str) -> None:
    run_id = client.create_run(experiment_id, run_name="before").info.run_id

    client.update_run(run_id, name="after")

    run = client.get_run(run_id)
    assert run.info.run_name == "after"
    assert run.data.tags["mlflow.runName"] == "after"


def test_setting_run_name_tag_updates_run_name(client: MlflowClient, experiment_id: str) -> None:
    run_id = client.create_run(experiment_id, run_name="before").info.run_id

    client.set_tag(run_id, "mlflow.runName", "from-tag")

    run = client.get_run(run_id)
    assert run.info.run_name == "from-tag"
    assert run.data.tags["mlflow.runName"] == "from-tag"


def test_delete_run_marks_it_deleted_but_keeps_it_readable(
    client: MlflowClient, experiment_id: str
) -> None:
    run_id = client.create_run(experiment_id).info.run_id
    client.log_param(run_id, "kept", "yes")

    client.delete_run(run_id)

    run = client.get_run(run_id)
    assert run.info.lifecycle_stage == "deleted"
    assert run.data.params == {"kept": "yes"}


def test_restore_run_makes_it_active_again(client: MlflowClient, experiment_id: str) -> None:
    run_id = client.create_run(experiment_id).info.run_id
    client.delete_run(run_id)

    client.restore_run(run_id)

    assert client.get_run(run_id).info.lifecycle_stage == "active"


def test_search_runs_run_view_type_selects_lifecycle_stage(
    client: MlflowClient, experiment_id: str
) -> None:
    live = client.create_run(experiment_id, run_name="live").info.run_id
    gone = client.create_run(experiment_id, run_name="gone").info.run_id
    client.delete_run(gone)

    def search(view_type: int) -> set[str]:
        return {run.info.run_id for run in client.search_runs([experiment_id], "", view_type)}

    assert search(ViewType.ACTIVE_ONLY) == {live}
    assert search(ViewType.DELETED_ONLY) == {gone}
    assert search(ViewType.ALL) == {live, gone}


def test_search_runs_defaults_to_active_runs_only(client: MlflowClient, experiment_id: str) -> None:
    live = client.create_run(experiment_id).info.run_id
    client.delete_run(client.create_run(experiment_id).info.run_id)

    assert [run.info.run_id for run in client.search_runs([experiment_id])] == [live]


@pytest.mark.parametrize(
    "log_call",
    [
        pytest.param(lambda c, run_id: c.log_param(run_id, "p", "1"), id="log_param"),
        pytest.param(lambda c, run_id: c.log_metric(run_id, "m", 1.0), id="log_metric"),
        pytest.param(lambda c, run_id: c.set_tag(run_id, "t", "1"), id="set_tag"),
    ],
)
def test_logging_to_deleted_run_raises_invalid_parameter_value(
    client: MlflowClient, experiment_id: str, log_call: Callable[[MlflowClient, str], object]
) -> None:
    run_id = client.create_run(experiment_id).info.run_id
    client.delete_run(run_id)
    with pytest.raises(MlflowException) as raised:
        log_call(client, run_id)

    assert raised.value.error_code == "INVALID_PARAMETER_VALUE"


def test_logging_to_finished_run_is_allowed(client: MlflowClient, experiment_id: str) -> None:
    run_id = client.create_run(experiment_id).info.run_id
    client.set_terminated(run_id)

    client.log_metric(run_id, "late", 2.0)
    client.set_tag(run_id, "note", "after the end")

    run = client.get_run(run_id)
    assert run.data.metrics == {"late": 2.0}
    assert run.data.tags["note"] == "after the end"
    assert run.info.status == "FINISHED"
