"""Experiments in the store: create, read, rename, delete and restore, tags, search."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from shipyard.domain.entities import LifecycleStage, ViewType
from shipyard.domain.errors import AlreadyExists, InvalidParameter, LimitExceeded, NotFound
from shipyard.store import experiments as experiment_queries
from shipyard.store import runs as run_queries
from shipyard.store.tracking import TrackingStore

RunFactory = Callable[..., str]


def names(items: list) -> list[str]:
    return [item.name for item in items]


# -- the Default experiment ---------------------------------------------------------------------


def test_default_experiment_zero_exists_in_a_new_store(store: TrackingStore) -> None:
    default = store.get_experiment("0")

    assert (default.name, default.lifecycle_stage) == ("Default", LifecycleStage.ACTIVE)
    assert default.artifact_location == "mlflow-artifacts:/0"


def test_ensure_default_experiment_twice_keeps_one_default(store: TrackingStore) -> None:
    store.ensure_default_experiment()
    store.ensure_default_experiment()

    found = store.search_experiments(view_type=ViewType.ALL).items
    assert [(e.experiment_id, e.name) for e in found] == [("0", "Default")]


def test_first_created_experiment_does_not_collide_with_the_default(
    store: TrackingStore,
) -> None:
    created = store.create_experiment("first")

    assert created != "0"
    assert store.get_experiment(created).name == "first"


# -- create -------------------------------------------------------------------------------------


def test_create_experiment_defaults_its_artifact_location_to_its_id(
    store: TrackingStore,
) -> None:
    experiment_id = store.create_experiment("vision")

    assert store.get_experiment(experiment_id).artifact_location == (
        f"mlflow-artifacts:/{experiment_id}"
    )


def test_create_experiment_keeps_an_explicit_artifact_location(store: TrackingStore) -> None:
    experiment_id = store.create_experiment("vision", artifact_location="s3://bucket/vision")

    assert store.get_experiment(experiment_id).artifact_location == "s3://bucket/vision"


def test_create_experiment_stores_its_tags(store: TrackingStore) -> None:
    experiment_id = store.create_experiment("vision", tags={"team": "ml", "owner": "alice"})

    assert store.get_experiment(experiment_id).tags == {"team": "ml", "owner": "alice"}


def test_create_experiment_starts_active_with_creation_and_update_times(
    store: TrackingStore,
) -> None:
    experiment = store.get_experiment(store.create_experiment("vision"))

    assert experiment.lifecycle_stage is LifecycleStage.ACTIVE
    assert experiment.creation_time > 0
    assert experiment.last_update_time == experiment.creation_time


@pytest.mark.parametrize("location", ["s3://bucket/a\nb", "s3://bucket/\x00", "s3://b/\x7f"])
def test_create_experiment_refuses_control_characters_in_artifact_location(
    store: TrackingStore, location: str
) -> None:
    with pytest.raises(InvalidParameter, match="control characters"):
        store.create_experiment("vision", artifact_location=location)


def test_create_experiment_refuses_an_artifact_location_over_2000_characters(
    store: TrackingStore,
) -> None:
    with pytest.raises(LimitExceeded, match="artifact_location"):
        store.create_experiment("vision", artifact_location="s3://" + "a" * 2000)


@pytest.mark.parametrize("name", ["", "   "])
def test_create_experiment_refuses_a_blank_name(store: TrackingStore, name: str) -> None:
    with pytest.raises(InvalidParameter, match="non-empty name"):
        store.create_experiment(name)


def test_create_experiment_refuses_a_tag_value_over_20000_characters(
    store: TrackingStore,
) -> None:
    with pytest.raises(LimitExceeded):
        store.create_experiment("vision", tags={"note": "x" * 20001})


def test_create_experiment_refuses_an_invalid_tag_key(store: TrackingStore) -> None:
    with pytest.raises(InvalidParameter):
        store.create_experiment("vision", tags={"../escape": "x"})


def test_create_experiment_with_an_invalid_tag_creates_nothing(store: TrackingStore) -> None:
    with pytest.raises(InvalidParameter):
        store.create_experiment("vision", tags={"ok": "1", "bad key!": "2"})

    with pytest.raises(NotFound):
        store.get_experiment_by_name("vision")


def test_create_experiment_refuses_a_name_in_use(store: TrackingStore) -> None:
    store.create_experiment("vision")

    with pytest.raises(AlreadyExists, match="vision"):
        store.create_experiment("vision")


def test_create_experiment_refuses_the_name_of_a_deleted_experiment(
    store: TrackingStore,
) -> None:
    store.delete_experiment(store.create_experiment("vision"))

    with pytest.raises(AlreadyExists):
        store.create_experiment("vision")


def test_create_experiment_refuses_the_default_experiments_name(store: TrackingStore) -> None:
    with pytest.raises(AlreadyExists):
        store.create_experiment("Default")


# -- get ----------------------------------------------------------------------------------------


def test_get_experiment_of_an_unknown_id_raises_not_found(store: TrackingStore) -> None:
    with pytest.raises(NotFound):
        store.get_experiment("4242")


def test_get_experiment_beyond_the_integer_column_raises_not_found(
    store: TrackingStore,
) -> None:
    with pytest.raises(NotFound):
        store.get_experiment("99999999999")


def test_get_experiment_refuses_a_non_integer_id(store: TrackingStore) -> None:
    with pytest.raises(InvalidParameter, match="valid integer"):
        store.get_experiment("abc")


def test_get_experiment_returns_a_deleted_experiment(store: TrackingStore) -> None:
    experiment_id = store.create_experiment("vision")
    store.delete_experiment(experiment_id)

    assert store.get_experiment(experiment_id).lifecycle_stage is LifecycleStage.DELETED


def test_get_experiment_by_name_finds_it(store: TrackingStore) -> None:
    experiment_id = store.create_experiment("vision")

    assert store.get_experiment_by_name("vision").experiment_id == experiment_id


def test_get_experiment_by_name_finds_a_deleted_experiment(store: TrackingStore) -> None:
    experiment_id = store.create_experiment("vision")
    store.delete_experiment(experiment_id)

    found = store.get_experiment_by_name("vision")
    assert (found.experiment_id, found.lifecycle_stage) == (experiment_id, LifecycleStage.DELETED)


def test_get_experiment_by_name_is_case_sensitive(store: TrackingStore) -> None:
    store.create_experiment("Vision")

    with pytest.raises(NotFound):
        store.get_experiment_by_name("vision")


def test_get_experiment_by_unknown_name_raises_not_found(store: TrackingStore) -> None:
    with pytest.raises(NotFound, match="nope"):
        store.get_experiment_by_name("nope")


# -- rename -------------------------------------------------------------------------------------


def test_rename_experiment_changes_its_name(store: TrackingStore) -> None:
    experiment_id = store.create_experiment("vision")

    store.rename_experiment(experiment_id, "vision-v2")

    assert store.get_experiment(experiment_id).name == "vision-v2"
    with pytest.raises(NotFound):
        store.get_experiment_by_name("vision")


def test_rename_experiment_to_its_own_name_is_a_no_op(store: TrackingStore) -> None:
    experiment_id = store.create_experiment("vision")

    store.rename_experiment(experiment_id, "vision")

    assert store.get_experiment(experiment_id).name == "vision"


def test_rename_experiment_refuses_a_name_in_use(store: TrackingStore) -> None:
    store.create_experiment("taken")
    experiment_id = store.create_experiment("vision")

    with pytest.raises(AlreadyExists):
        store.rename_experiment(experiment_id, "taken")
    assert store.get_experiment(experiment_id).name == "vision"


def test_rename_experiment_refuses_the_name_of_a_deleted_experiment(
    store: TrackingStore,
) -> None:
    store.delete_experiment(store.create_experiment("taken"))
    experiment_id = store.create_experiment("vision")

    with pytest.raises(AlreadyExists):
        store.rename_experiment(experiment_id, "taken")


def test_rename_experiment_refuses_a_deleted_experiment(store: TrackingStore) -> None:
    experiment_id = store.create_experiment("vision")
    store.delete_experiment(experiment_id)

    with pytest.raises(InvalidParameter, match="deleted"):
        store.rename_experiment(experiment_id, "vision-v2")


def test_rename_experiment_refuses_a_blank_name(store: TrackingStore) -> None:
    experiment_id = store.create_experiment("vision")

    with pytest.raises(InvalidParameter):
        store.rename_experiment(experiment_id, " ")


def test_rename_experiment_of_an_unknown_id_raises_not_found(store: TrackingStore) -> None:
    with pytest.raises(NotFound):
        store.rename_experiment("4242", "new")


# -- delete and restore -------------------------------------------------------------------------


def test_delete_experiment_marks_it_deleted(store: TrackingStore) -> None:
    experiment_id = store.create_experiment("vision")

    store.delete_experiment(experiment_id)

    assert store.get_experiment(experiment_id).lifecycle_stage is LifecycleStage.DELETED


def test_delete_experiment_deletes_its_live_runs(
    store: TrackingStore, experiment_id: str, make_run: RunFactory
) -> None:
    runs = [make_run(), make_run()]

    store.delete_experiment(experiment_id)

    assert {store.get_run(r).info.lifecycle_stage for r in runs} == {LifecycleStage.DELETED}


def test_delete_experiment_leaves_runs_of_other_experiments_alone(
    store: TrackingStore, experiment_id: str, make_run: RunFactory
) -> None:
    other = store.create_experiment("other")
    bystander = make_run(experiment=other)

    store.delete_experiment(experiment_id)

    assert store.get_run(bystander).info.lifecycle_stage is LifecycleStage.ACTIVE


def test_delete_experiment_twice_refuses_the_second_time(store: TrackingStore) -> None:
    experiment_id = store.create_experiment("vision")
    store.delete_experiment(experiment_id)

    with pytest.raises(InvalidParameter):
        store.delete_experiment(experiment_id)


def test_delete_experiment_of_an_unknown_id_raises_not_found(store: TrackingStore) -> None:
    with pytest.raises(NotFound):
        store.delete_experiment("4242")


def test_restore_experiment_makes_it_active_again(store: TrackingStore) -> None:
    experiment_id = store.create_experiment("vision")
    store.delete_experiment(experiment_id)

    store.restore_experiment(experiment_id)

    assert store.get_experiment(experiment_id).lifecycle_stage is LifecycleStage.ACTIVE


def test_restore_experiment_restores_the_runs_deleted_with_it(
    store: TrackingStore, experiment_id: str, make_run: RunFactory
) -> None:
    runs = [make_run(), make_run()]
    store.delete_experiment(experiment_id)

    store.restore_experiment(experiment_id)

    assert {store.get_run(r).info.lifecycle_stage for r in runs} == {LifecycleStage.ACTIVE}


def test_restore_experiment_keeps_a_run_deleted_before_it_deleted(
    store: TrackingStore, experiment_id: str, make_run: RunFactory
) -> None:
    deleted_first, live = make_run(), make_run()
    store.delete_run(deleted_first)
    store.delete_experiment(experiment_id)

    store.restore_experiment(experiment_id)

    assert store.get_run(deleted_first).info.lifecycle_stage is LifecycleStage.DELETED
    assert store.get_run(live).info.lifecycle_stage is LifecycleStage.ACTIVE


def test_restore_experiment_keeps_a_run_deleted_before_it_within_the_same_millisecond(
    store: TrackingStore,
    experiment_id: str,
    make_run: RunFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A script that deletes a run and then its experiment can do both within one millisecond.
    monkeypatch.setattr(run_queries, "now_ms", lambda: 1_800_000_000_000)
    monkeypatch.setattr(experiment_queries, "now_ms", lambda: 1_800_000_000_000)
    deleted_first = make_run()
    store.delete_run(deleted_first)
    store.delete_experiment(experiment_id)

    store.restore_experiment(experiment_id)

    assert store.get_run(deleted_first).info.lifecycle_stage is LifecycleStage.DELETED


def test_restore_experiment_refuses_a_live_experiment(store: TrackingStore) -> None:
    experiment_id = store.create_experiment("vision")

    with pytest.raises(InvalidParameter, match="not deleted"):
        store.restore_experiment(experiment_id)


def test_restore_experiment_of_an_unknown_id_raises_not_found(store: TrackingStore) -> None:
    with pytest.raises(NotFound):
        store.restore_experiment("4242")


# -- tags ---------------------------------------------------------------------------------------


def test_set_experiment_tag_adds_a_tag(store: TrackingStore) -> None:
    experiment_id = store.create_experiment("vision")

    store.set_experiment_tag(experiment_id, "team", "ml")

    assert store.get_experiment(experiment_id).tags == {"team": "ml"}


def test_set_experiment_tag_overwrites_the_value(store: TrackingStore) -> None:
    experiment_id = store.create_experiment("vision", tags={"team": "ml"})

    store.set_experiment_tag(experiment_id, "team", "infra")

    assert store.get_experiment(experiment_id).tags == {"team": "infra"}


def test_set_experiment_tag_refuses_a_deleted_experiment(store: TrackingStore) -> None:
    experiment_id = store.create_experiment("vision")
    store.delete_experiment(experiment_id)

    with pytest.raises(InvalidParameter, match="active"):
        store.set_experiment_tag(experiment_id, "team", "ml")


def test_set_experiment_tag_refuses_a_value_over_20000_characters(
    store: TrackingStore,
) -> None:
    experiment_id = store.create_experiment("vision")

    with pytest.raises(LimitExceeded):
        store.set_experiment_tag(experiment_id, "note", "x" * 20001)


def test_set_experiment_tag_accepts_a_value_of_20000_characters(store: TrackingStore) -> None:
    experiment_id = store.create_experiment("vision")

    store.set_experiment_tag(experiment_id, "note", "x" * 20000)

    assert len(store.get_experiment(experiment_id).tags["note"]) == 20000


def test_set_experiment_tag_on_an_unknown_experiment_raises_not_found(
    store: TrackingStore,
) -> None:
    with pytest.raises(NotFound):
        store.set_experiment_tag("4242", "team", "ml")


def test_delete_experiment_tag_removes_it(store: TrackingStore) -> None:
    experiment_id = store.create_experiment("vision", tags={"team": "ml", "keep": "1"})

    store.delete_experiment_tag(experiment_id, "team")

    assert store.get_experiment(experiment_id).tags == {"keep": "1"}


def test_delete_experiment_tag_that_is_not_set_raises_not_found(store: TrackingStore) -> None:
    experiment_id = store.create_experiment("vision")

    with pytest.raises(NotFound, match="team"):
        store.delete_experiment_tag(experiment_id, "team")


# -- search -------------------------------------------------------------------------------------


def test_search_experiments_lists_newest_first_by_default(store: TrackingStore) -> None:
    for name in ("a", "b", "c"):
        store.create_experiment(name)

    found = store.search_experiments().items

    # Created within the same millisecond they tie on creation_time; the id breaks the tie.
    assert sorted(names(found)) == ["Default", "a", "b", "c"]
    times = [e.creation_time for e in found]
    assert times == sorted(times, reverse=True)


def test_search_experiments_hides_deleted_ones_by_default(store: TrackingStore) -> None:
    store.create_experiment("live")
    store.delete_experiment(store.create_experiment("gone"))

    assert sorted(names(store.search_experiments().items)) == ["Default", "live"]


def test_search_experiments_deleted_only_lists_deleted_ones(store: TrackingStore) -> None:
    store.create_experiment("live")
    store.delete_experiment(store.create_experiment("gone"))

    found = store.search_experiments(view_type=ViewType.DELETED_ONLY).items

    assert names(found) == ["gone"]


def test_search_experiments_all_lists_live_and_deleted(store: TrackingStore) -> None:
    store.create_experiment("live")
    store.delete_experiment(store.create_experiment("gone"))

    found = store.search_experiments(view_type=ViewType.ALL).items

    assert sorted(names(found)) == ["Default", "gone", "live"]


def test_search_experiments_filters_on_name_like(store: TrackingStore) -> None:
    for name in ("vision-a", "vision-b", "nlp"):
        store.create_experiment(name)

    found = store.search_experiments(filter_string="name LIKE 'vision-%'").items

    assert sorted(names(found)) == ["vision-a", "vision-b"]


def test_search_experiments_filters_on_a_tag(store: TrackingStore) -> None:
    store.create_experiment("a", tags={"team": "ml"})
    store.create_experiment("b", tags={"team": "infra"})
    store.create_experiment("c")

    found = store.search_experiments(filter_string="tags.team = 'ml'").items

    assert names(found) == ["a"]


def test_search_experiments_returns_each_experiments_tags(store: TrackingStore) -> None:
    store.create_experiment("a", tags={"team": "ml"})

    (found,) = store.search_experiments(filter_string="name = 'a'").items

    assert found.tags == {"team": "ml"}


def test_search_experiments_orders_by_name(store: TrackingStore) -> None:
    for name in ("b", "c", "a"):
        store.create_experiment(name)

    found = store.search_experiments(order_by=["name DESC"]).items

    assert names(found) == ["c", "b", "a", "Default"]


def test_search_experiments_pages_through_every_experiment_once(store: TrackingStore) -> None:
    for index in range(7):
        store.create_experiment(f"e{index}")

    seen: list[str] = []
    token = None
    pages = 0
    while True:
        page = store.search_experiments(order_by=["name ASC"], max_results=3, page_token=token)
        seen += names(page.items)
        pages += 1
        token = page.next_page_token
        if not token:
            break

    assert seen == ["Default", *(f"e{index}" for index in range(7))]
    assert pages == 3


def test_search_experiments_last_full_page_has_no_token(store: TrackingStore) -> None:
    store.create_experiment("a")

    page = store.search_experiments(max_results=2)

    assert len(page.items) == 2
    assert page.next_page_token is None


def test_search_experiments_refuses_a_token_from_another_filter(store: TrackingStore) -> None:
    for index in range(3):
        store.create_experiment(f"e{index}")
    token = store.search_experiments(max_results=1).next_page_token
    assert token

    with pytest.raises(InvalidParameter, match="different search"):
        store.search_experiments(max_results=1, filter_string="name = 'e1'", page_token=token)


def test_search_experiments_refuses_max_results_over_50000(store: TrackingStore) -> None:
    with pytest.raises(LimitExceeded):
        store.search_experiments(max_results=50001)


def test_search_experiments_refuses_an_invalid_filter(store: TrackingStore) -> None:
    with pytest.raises(InvalidParameter):
        store.search_experiments(filter_string="name ~ 'a'")


def test_search_experiments_filters_on_experiment_ids(store: TrackingStore) -> None:
    wanted = store.create_experiment("wanted")
    store.create_experiment("other")

    found = store.search_experiments(filter_string=f"experiment_id IN ('0', '{wanted}')").items

    assert sorted(names(found)) == ["Default", "wanted"]


@pytest.mark.parametrize("value", ["abc", "²", "99999999999"])
def test_search_experiments_by_a_non_integer_id_matches_nothing(
    store: TrackingStore, value: str
) -> None:
    found = store.search_experiments(filter_string=f"experiment_id = '{value}'").items

    assert found == []


def test_concurrent_creates_of_one_name_make_one_experiment(store: TrackingStore) -> None:
    start = threading.Barrier(6, timeout=10)
    outcomes: list[str] = []

    def create() -> None:
        start.wait()
        try:
            store.create_experiment("race")
            outcomes.append("created")
        except AlreadyExists:
            outcomes.append("already exists")
        except Exception as exc:
            outcomes.append(repr(exc))

    threads = [threading.Thread(target=create) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert sorted(outcomes) == ["already exists"] * 5 + ["created"]
