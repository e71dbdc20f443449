"""Runs in the store: create, names, get, update, delete and restore, the run listing."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from shipyard.domain.entities import LifecycleStage, RunStatus, ViewType
from shipyard.domain.errors import InvalidParameter, LimitExceeded, NotFound
from shipyard.store.tracking import TrackingStore

RunFactory = Callable[..., str]
GENERATED_NAME = re.compile(r"^[a-z]+-[a-z]+-\d{1,3}$")
RUN_NAME_TAG = "mlflow.runName"
UNKNOWN_RUN = "0123456789abcdef0123456789abcdef"


# -- create -------------------------------------------------------------------------------------


def test_create_run_starts_running_and_active(store: TrackingStore, experiment_id: str) -> None:
    run = store.create_run(experiment_id=experiment_id, user_id="alice", start_time=123)

    info = run.info
    assert (info.status, info.lifecycle_stage) == (RunStatus.RUNNING, LifecycleStage.ACTIVE)
    assert (info.experiment_id, info.user_id, info.start_time, info.end_time) == (
        experiment_id,
        "alice",
        123,
        None,
    )


def test_create_run_gives_a_32_hex_run_id(store: TrackingStore, experiment_id: str) -> None:
    run = store.create_run(experiment_id=experiment_id, user_id="alice", start_time=1)

    assert re.fullmatch(r"[0-9a-f]{32}", run.info.run_id)


def test_create_run_puts_artifacts_under_the_experiment_location(
    store: TrackingStore,
) -> None:
    experiment_id = store.create_experiment("vision", artifact_location="s3://bucket/vision/")
    run = store.create_run(experiment_id=experiment_id, user_id="alice", start_time=1)

    assert run.info.artifact_uri == f"s3://bucket/vision/{run.info.run_id}/artifacts"


def test_create_run_returns_what_get_run_reads(store: TrackingStore, experiment_id: str) -> None:
    created = store.create_run(
        experiment_id=experiment_id, user_id="alice", start_time=5, tags={"team": "ml"}
    )

    assert store.get_run(created.info.run_id) == created


def test_create_run_without_a_name_generates_one(
    store: TrackingStore, make_run: RunFactory
) -> None:
    run = store.get_run(make_run())

    assert GENERATED_NAME.match(run.info.name), run.info.name
    assert run.tags[RUN_NAME_TAG] == run.info.name


def test_create_run_with_a_name_sets_the_run_name_tag(
    store: TrackingStore, make_run: RunFactory
) -> None:
    run = store.get_run(make_run(run_name="baseline"))

    assert (run.info.name, run.tags[RUN_NAME_TAG]) == ("baseline", "baseline")


def test_create_run_with_only_the_run_name_tag_takes_its_name(
    store: TrackingStore, make_run: RunFactory
) -> None:
    run = store.get_run(make_run(tags={RUN_NAME_TAG: "from-tag"}))

    assert run.info.name == "from-tag"


def test_create_run_with_the_same_name_and_tag_is_accepted(
    store: TrackingStore, make_run: RunFactory
) -> None:
    run = store.get_run(make_run(run_name="same", tags={RUN_NAME_TAG: "same"}))

    assert (run.info.name, run.tags[RUN_NAME_TAG]) == ("same", "same")


def test_create_run_refuses_a_name_that_contradicts_the_run_name_tag(
    store: TrackingStore, make_run: RunFactory
) -> None:
    with pytest.raises(InvalidParameter, match=r"mlflow\.runName"):
        make_run(run_name="one", tags={RUN_NAME_TAG: "other"})


def test_create_run_stores_its_tags(store: TrackingStore, make_run: RunFactory) -> None:
    run = store.get_run(make_run(run_name="r", tags={"team": "ml", "mlflow.user": "alice"}))

    assert run.tags == {"team": "ml", "mlflow.user": "alice", RUN_NAME_TAG: "r"}


def test_create_run_refuses_a_run_name_over_500_characters(
    store: TrackingStore, make_run: RunFactory
) -> None:
    with pytest.raises(LimitExceeded):
        make_run(run_name="n" * 501)


def test_create_run_refuses_a_run_name_tag_over_500_characters(
    store: TrackingStore, make_run: RunFactory
) -> None:
    # The tag becomes the run's name, so the name's limit applies to it (not a database error).
    with pytest.raises(InvalidParameter):
        make_run(tags={RUN_NAME_TAG: "n" * 501})


def test_create_run_refuses_an_invalid_tag_key(store: TrackingStore, make_run: RunFactory) -> None:
    with pytest.raises(InvalidParameter):
        make_run(tags={"bad key!": "x"})


def test_create_run_in_an_unknown_experiment_raises_not_found(store: TrackingStore) -> None:
    with pytest.raises(NotFound):
        store.create_run(experiment_id="4242", user_id="alice", start_time=1)


def test_create_run_in_a_deleted_experiment_is_refused(
    store: TrackingStore, experiment_id: str
) -> None:
    store.delete_experiment(experiment_id)

    with pytest.raises(InvalidParameter, match="active"):
        store.create_run(experiment_id=experiment_id, user_id="alice", start_time=1)


def test_create_run_refuses_a_negative_start_time(store: TrackingStore, experiment_id: str) -> None:
    with pytest.raises(InvalidParameter, match="start_time"):
        store.create_run(experiment_id=experiment_id, user_id="alice", start_time=-1)


def test_create_run_refuses_a_user_id_over_256_characters(
    store: TrackingStore, experiment_id: str
) -> None:
    with pytest.raises(LimitExceeded, match="user_id"):
        store.create_run(experiment_id=experiment_id, user_id="u" * 257, start_time=1)


# -- get ----------------------------------------------------------------------------------------


def test_get_run_of_an_unknown_id_raises_not_found(store: TrackingStore) -> None:
    with pytest.raises(NotFound, match=UNKNOWN_RUN):
        store.get_run(UNKNOWN_RUN)


def test_get_run_refuses_a_malformed_id(store: TrackingStore) -> None:
    with pytest.raises(InvalidParameter, match="run id"):
        store.get_run("../etc/passwd")


# -- names --------------------------------------------------------------------------------------


def test_setting_the_run_name_tag_renames_the_run(store: TrackingStore, run_id: str) -> None:
    store.set_tag(run_id, RUN_NAME_TAG, "renamed")

    assert store.get_run(run_id).info.name == "renamed"


def test_setting_a_run_name_tag_over_500_characters_is_refused(
    store: TrackingStore, run_id: str
) -> None:
    with pytest.raises(InvalidParameter):
        store.set_tag(run_id, RUN_NAME_TAG, "n" * 501)


def test_update_run_name_changes_the_run_name_tag(store: TrackingStore, run_id: str) -> None:
    store.update_run(run_id, run_name="renamed")

    run = store.get_run(run_id)
    assert (run.info.name, run.tags[RUN_NAME_TAG]) == ("renamed", "renamed")


def test_update_run_without_a_name_keeps_the_name(
    store: TrackingStore, make_run: RunFactory
) -> None:
    run_id = make_run(run_name="keep")

    store.update_run(run_id, status=RunStatus.FINISHED)

    run = store.get_run(run_id)
    assert (run.info.name, run.tags[RUN_NAME_TAG]) == ("keep", "keep")


# -- update -------------------------------------------------------------------------------------


def test_update_run_sets_status_and_end_time(store: TrackingStore, run_id: str) -> None:
    info = store.update_run(run_id, status=RunStatus.FINISHED, end_time=1_700_000_000_500)

    assert (info.status, info.end_time) == (RunStatus.FINISHED, 1_700_000_000_500)
    stored = store.get_run(run_id).info
    assert (stored.status, stored.end_time) == (RunStatus.FINISHED, 1_700_000_000_500)


def test_update_run_with_only_a_status_keeps_the_end_time(
    store: TrackingStore, run_id: str
) -> None:
    store.update_run(run_id, status=RunStatus.FAILED, end_time=99)

    store.update_run(run_id, status=RunStatus.KILLED)

    assert store.get_run(run_id).info.end_time == 99


def test_update_run_refuses_a_negative_end_time(store: TrackingStore, run_id: str) -> None:
    with pytest.raises(InvalidParameter, match="end_time"):
        store.update_run(run_id, end_time=-5)


def test_update_run_of_an_unknown_run_raises_not_found(store: TrackingStore) -> None:
    with pytest.raises(NotFound):
        store.update_run(UNKNOWN_RUN, status=RunStatus.FINISHED)


def test_update_run_of_a_deleted_run_is_refused(store: TrackingStore, run_id: str) -> None:
    store.delete_run(run_id)

    with pytest.raises(InvalidParameter, match="active"):
        store.update_run(run_id, status=RunStatus.FINISHED)


# -- delete and restore -------------------------------------------------------------------------


def test_delete_run_marks_it_deleted_and_keeps_it_readable(
    store: TrackingStore, run_id: str
) -> None:
    store.delete_run(run_id)

    assert store.get_run(run_id).info.lifecycle_stage is LifecycleStage.DELETED


def test_restore_run_makes_it_active_again(store: TrackingStore, run_id: str) -> None:
    store.delete_run(run_id)

    store.restore_run(run_id)

    assert store.get_run(run_id).info.lifecycle_stage is LifecycleStage.ACTIVE


def test_restored_run_accepts_writes_again(store: TrackingStore, run_id: str) -> None:
    store.delete_run(run_id)
    store.restore_run(run_id)

    store.log_param(run_id, "lr", "0.1")

    assert store.get_run(run_id).params == {"lr": "0.1"}


def test_delete_run_of_an_unknown_run_raises_not_found(store: TrackingStore) -> None:
    with pytest.raises(NotFound):
        store.delete_run(UNKNOWN_RUN)


def test_restore_run_of_an_unknown_run_raises_not_found(store: TrackingStore) -> None:
    with pytest.raises(NotFound):
        store.restore_run(UNKNOWN_RUN)


def test_search_runs_hides_deleted_runs_by_default(
    store: TrackingStore, experiment_id: str, make_run: RunFactory
) -> None:
    live, gone = make_run(), make_run()
    store.delete_run(gone)

    found = store.search_runs(experiment_ids=[experiment_id]).items

    assert [run.info.run_id for run in found] == [live]


def test_search_runs_deleted_only_lists_deleted_runs(
    store: TrackingStore, experiment_id: str, make_run: RunFactory
) -> None:
    make_run()
    gone = make_run()
    store.delete_run(gone)

    found = store.search_runs(experiment_ids=[experiment_id], view_type=ViewType.DELETED_ONLY)

    assert [run.info.run_id for run in found.items] == [gone]


def test_search_runs_all_lists_live_and_deleted_runs(
    store: TrackingStore, experiment_id: str, make_run: RunFactory
) -> None:
    live, gone = make_run(), make_run()
    store.delete_run(gone)

    found = store.search_runs(experiment_ids=[experiment_id], view_type=ViewType.ALL)

    assert {run.info.run_id for run in found.items} == {live, gone}


def test_search_runs_orders_newest_start_time_first_by_default(
    store: TrackingStore, experiment_id: str, make_run: RunFactory
) -> None:
    old, new, middle = make_run(start_time=1), make_run(start_time=3), make_run(start_time=2)

    found = store.search_runs(experiment_ids=[experiment_id]).items

    assert [run.info.run_id for run in found] == [new, middle, old]


def test_search_runs_returns_each_runs_data(
    store: TrackingStore, experiment_id: str, run_id: str
) -> None:
    store.log_param(run_id, "lr", "0.1")
    store.set_tag(run_id, "team", "ml")

    (found,) = store.search_runs(experiment_ids=[experiment_id]).items

    assert found == store.get_run(run_id)


def test_search_runs_of_no_experiments_is_empty(store: TrackingStore, run_id: str) -> None:
    page = store.search_runs(experiment_ids=[])

    assert (page.items, page.next_page_token) == ([], None)


def test_search_runs_of_an_experiment_id_beyond_the_integer_column_is_empty(
    store: TrackingStore, run_id: str
) -> None:
    page = store.search_runs(experiment_ids=["99999999999"])

    assert page.items == []
