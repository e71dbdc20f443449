"""RegistryStore: model versions (numbering, read, update, delete, tags, stages, search)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from shipyard.domain.errors import InvalidParameter, NotFound
from shipyard.domain.registry import ApprovalStatus, Stage, VersionStatus
from shipyard.store.model_registry import RegistryStore

from .conftest import VersionFactory

RUN_A = "a" * 32
RUN_B = "b" * 32


@pytest.fixture
def model(registry: RegistryStore) -> str:
    """A registered model without versions."""
    return registry.create_registered_model("churn").name


def versions(registry: RegistryStore, **search: object) -> list[tuple[str, int]]:
    """(name, version) of every version one search page returns, in order."""
    page = registry.search_model_versions(**search)  # type: ignore[arg-type]
    return [(v.name, v.version) for v in page.items]


# -- create ------------------------------------------------------------------------------------


def test_create_numbers_versions_one_two_three(model: str, add_version: VersionFactory) -> None:
    assert [add_version(model).version for _ in range(3)] == [1, 2, 3]


def test_create_numbers_each_model_on_its_own(
    registry: RegistryStore, model: str, add_version: VersionFactory
) -> None:
    registry.create_registered_model("other")
    add_version(model)
    add_version(model)
    assert add_version("other").version == 1


def test_create_returns_a_ready_version_with_its_fields(
    registry: RegistryStore, model: str
) -> None:
    created = registry.create_model_version(
        name=model,
        source=f"runs:/{RUN_A}/model",
        storage_location=f"mlflow-artifacts:/0/{RUN_A}/artifacts/model",
        run_id=RUN_A,
        tags={"k": "v"},
        run_link="http://ci/1",
        description="first",
        model_id="m-" + "0" * 32,
        user_id="alice",
    )
    assert created.status is VersionStatus.READY
    assert created.stage is Stage.NONE
    assert created.approval_status is ApprovalStatus.PENDING
    assert (created.source, created.storage_location) == (
        f"runs:/{RUN_A}/model",
        f"mlflow-artifacts:/0/{RUN_A}/artifacts/model",
    )
    assert (created.run_id, created.run_link, created.description) == (
        RUN_A,
        "http://ci/1",
        "first",
    )
    assert (created.model_id, created.user_id, created.tags) == (
        "m-" + "0" * 32,
        "alice",
        {"k": "v"},
    )
    assert created.aliases == []


def test_create_for_an_unknown_model_raises_not_found(add_version: VersionFactory) -> None:
    with pytest.raises(NotFound):
        add_version("nobody")


def test_create_bumps_the_models_last_updated(
    registry: RegistryStore, model: str, add_version: VersionFactory, next_ms: Callable[[], None]
) -> None:
    before = registry.get_registered_model(model).last_updated_timestamp
    next_ms()
    add_version(model)
    assert registry.get_registered_model(model).last_updated_timestamp > before


def test_version_numbers_are_not_reused_after_deleting_the_newest(
    registry: RegistryStore, model: str, add_version: VersionFactory
) -> None:
    add_version(model)
    add_version(model)
    registry.delete_model_version(model, 2)
    assert add_version(model).version == 3


def test_version_numbers_are_not_reused_after_deleting_every_version(
    registry: RegistryStore, model: str, add_version: VersionFactory
) -> None:
    add_version(model)
    registry.delete_model_version(model, 1)
    assert add_version(model).version == 2


# -- get, update, delete -----------------------------------------------------------------------


def test_get_returns_what_create_stored(
    registry: RegistryStore, model: str, add_version: VersionFactory
) -> None:
    created = add_version(model, tags={"k": "v"}, description="d")
    assert registry.get_model_version(model, 1) == created


def test_get_accepts_the_version_as_a_string(
    registry: RegistryStore, model: str, add_version: VersionFactory
) -> None:
    add_version(model)
    assert registry.get_model_version(model, "1").version == 1


def test_get_of_an_unknown_version_raises_not_found(
    registry: RegistryStore, model: str, add_version: VersionFactory
) -> None:
    add_version(model)
    with pytest.raises(NotFound):
        registry.get_model_version(model, 2)


@pytest.mark.parametrize("version", ["0", "-1", "abc", "1.5", "", "99999999999"])
def test_get_refuses_a_version_that_is_not_a_positive_integer(
    registry: RegistryStore, model: str, version: str
) -> None:
    with pytest.raises(InvalidParameter):
        registry.get_model_version(model, version)


def test_update_replaces_the_description_and_bumps_last_updated(
    registry: RegistryStore, model: str, add_version: VersionFactory, next_ms: Callable[[], None]
) -> None:
    created = add_version(model, description="old")
    next_ms()
    updated = registry.update_model_version(model, 1, "new")
    assert updated.description == "new"
    assert updated.last_updated_timestamp > created.last_updated_timestamp
    assert updated.creation_timestamp == created.creation_timestamp


def test_update_of_an_unknown_version_raises_not_found(registry: RegistryStore, model: str) -> None:
    with pytest.raises(NotFound):
        registry.update_model_version(model, 1, "d")


def test_delete_removes_only_that_version(
    registry: RegistryStore, model: str, add_version: VersionFactory
) -> None:
    add_version(model)
    add_version(model)
    registry.delete_model_version(model, 1)
    with pytest.raises(NotFound):
        registry.get_model_version(model, 1)
    assert registry.get_model_version(model, 2).version == 2


def test_delete_of_an_unknown_version_raises_not_found(registry: RegistryStore, model: str) -> None:
    with pytest.raises(NotFound):
        registry.delete_model_version(model, 1)


def test_delete_of_the_newest_drops_it_from_latest_versions(
    registry: RegistryStore, model: str, add_version: VersionFactory
) -> None:
    add_version(model)
    add_version(model)
    registry.delete_model_version(model, 2)
    assert [v.version for v in registry.get_registered_model(model).latest_versions] == [1]


# -- tags --------------------------------------------------------------------------------------


def test_set_tag_adds_and_overwrites(
    registry: RegistryStore, model: str, add_version: VersionFactory
) -> None:
    add_version(model)
    registry.set_model_version_tag(model, 1, "k", "v1")
    registry.set_model_version_tag(model, 1, "k", "v2")
    assert registry.get_model_version(model, 1).tags == {"k": "v2"}


def test_tags_belong_to_one_version(
    registry: RegistryStore, model: str, add_version: VersionFactory
) -> None:
    add_version(model)
    add_version(model)
    registry.set_model_version_tag(model, 1, "k", "v")
    assert registry.get_model_version(model, 2).tags == {}


def test_delete_tag_removes_it(
    registry: RegistryStore, model: str, add_version: VersionFactory
) -> None:
    add_version(model, tags={"a": "1", "b": "2"})
    registry.delete_model_version_tag(model, 1, "a")
    assert registry.get_model_version(model, 1).tags == {"b": "2"}


def test_delete_of_a_missing_tag_raises_not_found(
    registry: RegistryStore, model: str, add_version: VersionFactory
) -> None:
    add_version(model)
    with pytest.raises(NotFound):
        registry.delete_model_version_tag(model, 1, "missing")


def test_set_tag_on_an_unknown_version_raises_not_found(
    registry: RegistryStore, model: str
) -> None:
    with pytest.raises(NotFound):
        registry.set_model_version_tag(model, 1, "k", "v")


# -- stages ------------------------------------------------------------------------------------


def test_transition_moves_the_version_to_the_stage(
    registry: RegistryStore, model: str, add_version: VersionFactory
) -> None:
    add_version(model)
    assert registry.transition_stage(model, 1, "Staging").stage is Stage.STAGING
    assert registry.get_model_version(model, 1).stage is Stage.STAGING


def test_transition_accepts_any_capitalisation(
    registry: RegistryStore, model: str, add_version: VersionFactory
) -> None:
    add_version(model)
    assert registry.transition_stage(model, 1, "pRoDuCtIoN").stage is Stage.PRODUCTION


def test_transition_refuses_an_unknown_stage(
    registry: RegistryStore, model: str, add_version: VersionFactory
) -> None:
    add_version(model)
    with pytest.raises(InvalidParameter):
        registry.transition_stage(model, 1, "Canary")


def test_transition_without_archiving_leaves_others_in_the_stage(
    registry: RegistryStore, model: str, add_version: VersionFactory
) -> None:
    add_version(model)
    add_version(model)
    registry.transition_stage(model, 1, "Production")
    registry.transition_stage(model, 2, "Production")
    assert registry.get_model_version(model, 1).stage is Stage.PRODUCTION


def test_transition_with_archiving_archives_the_others_in_that_stage_only(
    registry: RegistryStore, model: str, add_version: VersionFactory
) -> None:
    for _ in range(3):
        add_version(model)
    registry.transition_stage(model, 1, "Production")
    registry.transition_stage(model, 2, "Staging")
    registry.transition_stage(model, 3, "Production", archive_existing=True)
    stages = {v: registry.get_model_version(model, v).stage for v in (1, 2, 3)}
    assert stages == {1: Stage.ARCHIVED, 2: Stage.STAGING, 3: Stage.PRODUCTION}


def test_transition_with_archiving_to_a_non_active_stage_is_refused(
    registry: RegistryStore, model: str, add_version: VersionFactory
) -> None:
    add_version(model)
    with pytest.raises(InvalidParameter):
        registry.transition_stage(model, 1, "Archived", archive_existing=True)


def test_transition_of_an_unknown_version_raises_not_found(
    registry: RegistryStore, model: str
) -> None:
    with pytest.raises(NotFound):
        registry.transition_stage(model, 1, "Staging")


@pytest.fixture
def staged(registry: RegistryStore, model: str, add_version: VersionFactory) -> str:
    """Five versions: 1 and 3 in Production, 2 in Staging, 4 Archived, 5 in no stage."""
    for _ in range(5):
        add_version(model)
    registry.transition_stage(model, 1, "Production")
    registry.transition_stage(model, 3, "Production")
    registry.transition_stage(model, 2, "Staging")
    registry.transition_stage(model, 4, "Archived")
    return model


def test_latest_versions_gives_the_newest_of_every_stage(
    registry: RegistryStore, staged: str
) -> None:
    latest = registry.get_latest_versions(staged)
    assert sorted((v.stage.value, v.version) for v in latest) == [
        ("Archived", 4),
        ("None", 5),
        ("Production", 3),
        ("Staging", 2),
    ]


def test_latest_versions_for_given_stages(registry: RegistryStore, staged: str) -> None:
    latest = registry.get_latest_versions(staged, ["production", "Staging"])
    assert sorted((v.stage.value, v.version) for v in latest) == [
        ("Production", 3),
        ("Staging", 2),
    ]


def test_latest_versions_for_an_empty_stage_is_empty(
    registry: RegistryStore, model: str, add_version: VersionFactory
) -> None:
    add_version(model)
    assert registry.get_latest_versions(model, ["Production"]) == []


def test_latest_versions_of_an_unknown_model_raises_not_found(registry: RegistryStore) -> None:
    with pytest.raises(NotFound):
        registry.get_latest_versions("nobody")


def test_latest_versions_refuses_an_unknown_stage(registry: RegistryStore, staged: str) -> None:
    with pytest.raises(InvalidParameter):
        registry.get_latest_versions(staged, ["Canary"])


# -- search ------------------------------------------------------------------------------------


@pytest.fixture
def fleet(registry: RegistryStore, add_version: VersionFactory) -> RegistryStore:
    """``alpha`` v1 (run A), v2 (run B, Production, tag), v3 (run A); ``beta`` v1, v2 (run B)."""
    registry.create_registered_model("alpha")
    registry.create_registered_model("beta")
    add_version("alpha", run_id=RUN_A)
    add_version("alpha", run_id=RUN_B, tags={"quality": "gold"})
    add_version("alpha", run_id=RUN_A, source="mlflow-artifacts:/0/elsewhere/model")
    add_version("beta", run_id=RUN_B)
    add_version("beta", run_id=RUN_B, tags={"quality": "silver"})
    registry.transition_stage("alpha", 2, "Production")
    return registry


def test_search_default_order_is_name_then_newest_version(
    registry: RegistryStore, add_version: VersionFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One timestamp for every write: MLflow sorts by last update first, name and version after.
    from shipyard.store import model_versions as version_queries
    from shipyard.store import registry as registry_queries

    monkeypatch.setattr(registry_queries, "now_ms", lambda: 1_800_000_000_000)
    monkeypatch.setattr(version_queries, "now_ms", lambda: 1_800_000_000_000)
    registry.create_registered_model("beta")
    registry.create_registered_model("alpha")
    for name in ("beta", "alpha", "beta", "alpha"):
        add_version(name)
    assert versions(registry) == [("alpha", 2), ("alpha", 1), ("beta", 2), ("beta", 1)]


@pytest.mark.parametrize(
    ("filter_string", "expected"),
    [
        ("name = 'beta'", [("beta", 2), ("beta", 1)]),
        ("name LIKE 'al%'", [("alpha", 3), ("alpha", 2), ("alpha", 1)]),
        ("name IN ('beta')", [("beta", 2), ("beta", 1)]),
        (f"run_id = '{RUN_A}'", [("alpha", 3), ("alpha", 1)]),
        (f"run_id IN ('{RUN_A}', 'nope')", [("alpha", 3), ("alpha", 1)]),
        ("source_path = 'mlflow-artifacts:/0/elsewhere/model'", [("alpha", 3)]),
        ("version_number = 2", [("alpha", 2), ("beta", 2)]),
        ("version_number >= 2 AND name = 'alpha'", [("alpha", 3), ("alpha", 2)]),
        ("current_stage = 'Production'", [("alpha", 2)]),
        ("tags.quality = 'gold'", [("alpha", 2)]),
        ("tags.quality LIKE '%l%'", [("alpha", 2), ("beta", 2)]),
        (f"name = 'beta' AND run_id = '{RUN_A}'", []),
    ],
    ids=[
        "name",
        "name-like",
        "name-in",
        "run-id",
        "run-id-in",
        "source-path",
        "version-number",
        "version-range",
        "stage",
        "tag",
        "tag-like",
        "no-match",
    ],
)
def test_search_filters(
    fleet: RegistryStore, filter_string: str, expected: list[tuple[str, int]]
) -> None:
    # which versions match; the default order (last updated first) has tests of its own
    assert sorted(versions(fleet, filter_string=filter_string)) == sorted(expected)


def test_search_orders_by_version_number_ascending(fleet: RegistryStore) -> None:
    assert versions(fleet, filter_string="name = 'alpha'", order_by=["version_number ASC"]) == [
        ("alpha", 1),
        ("alpha", 2),
        ("alpha", 3),
    ]


def test_search_refuses_an_unknown_attribute(fleet: RegistryStore) -> None:
    with pytest.raises(InvalidParameter):
        fleet.search_model_versions(filter_string="stage_name = 'x'")


def test_search_pages_through_every_version_once(fleet: RegistryStore) -> None:
    seen: list[tuple[str, int]] = []
    token = None
    while True:
        page = fleet.search_model_versions(max_results=2, page_token=token)
        seen += [(v.name, v.version) for v in page.items]
        token = page.next_page_token
        if not token:
            break
    assert sorted(seen) == sorted(versions(fleet)) and len(seen) == 5


def test_search_pages_keep_the_requested_order(fleet: RegistryStore) -> None:
    order = ["version_number ASC"]
    first = fleet.search_model_versions(max_results=3, order_by=order)
    second = fleet.search_model_versions(
        max_results=3, order_by=order, page_token=first.next_page_token
    )
    numbers = [v.version for v in first.items + second.items]
    assert (numbers, second.next_page_token) == ([1, 1, 2, 2, 3], None)


def test_search_shows_deleted_versions_no_more(fleet: RegistryStore) -> None:
    fleet.delete_model_version("beta", 2)
    assert versions(fleet, filter_string="name = 'beta'") == [("beta", 1)]
