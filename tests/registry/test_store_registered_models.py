"""RegistryStore: registered models (create, read, rename, update, delete, tags, search)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa

from shipyard.domain.errors import AlreadyExists, InvalidParameter, NotFound
from shipyard.domain.registry import PROMPT_TAG
from shipyard.store.model_registry import RegistryStore
from shipyard.store.schema import (
    alias_history,
    model_version_tags,
    model_versions,
    registered_model_aliases,
    registered_model_tags,
)

from .conftest import VersionFactory

PROMPT_FILTER = f"tags.`{PROMPT_TAG}` != 'true'"


def names(registry: RegistryStore, **search: object) -> list[str]:
    """The names of the models one search page returns."""
    page = registry.search_registered_models(**search)  # type: ignore[arg-type]
    return [model.name for model in page.items]


# -- create and get ----------------------------------------------------------------------------


def test_create_returns_the_model_with_its_fields(registry: RegistryStore) -> None:
    model = registry.create_registered_model(
        "churn", tags={"team": "growth"}, description="predicts churn", user_id="alice"
    )
    assert (model.name, model.description, model.user_id) == ("churn", "predicts churn", "alice")
    assert model.tags == {"team": "growth"}
    assert model.aliases == {}
    assert model.latest_versions == []
    assert model.creation_timestamp == model.last_updated_timestamp > 0


def test_get_returns_what_create_stored(registry: RegistryStore) -> None:
    created = registry.create_registered_model("churn", tags={"a": "1"}, description="d")
    assert registry.get_registered_model("churn") == created


def test_create_with_a_taken_name_raises_already_exists(registry: RegistryStore) -> None:
    registry.create_registered_model("churn", description="first")
    with pytest.raises(AlreadyExists):
        registry.create_registered_model("churn", description="second")
    assert registry.get_registered_model("churn").description == "first"


@pytest.mark.parametrize("name", ["", "a/b", "a:b", "..", "a\x00b"])
def test_create_refuses_an_invalid_name(registry: RegistryStore, name: str) -> None:
    with pytest.raises(InvalidParameter):
        registry.create_registered_model(name)


def test_get_of_an_unknown_model_raises_not_found(registry: RegistryStore) -> None:
    with pytest.raises(NotFound):
        registry.get_registered_model("nobody")


def test_get_lists_the_newest_version_of_each_stage(
    registry: RegistryStore, add_version: VersionFactory
) -> None:
    registry.create_registered_model("churn")
    for _ in range(4):
        add_version("churn")
    registry.transition_stage("churn", 1, "Production")
    registry.transition_stage("churn", 2, "Production")
    latest = registry.get_registered_model("churn").latest_versions
    assert {(v.stage.value, v.version) for v in latest} == {("Production", 2), ("None", 4)}


# -- rename and update -------------------------------------------------------------------------


def test_rename_moves_the_model_and_its_versions_to_the_new_name(
    registry: RegistryStore, add_version: VersionFactory
) -> None:
    registry.create_registered_model("old", tags={"k": "v"})
    add_version("old")
    registry.set_alias("old", "champion", 1)
    renamed = registry.rename_registered_model("old", "new")
    assert (renamed.name, renamed.tags, renamed.aliases) == ("new", {"k": "v"}, {"champion": 1})
    assert registry.get_model_version("new", 1).name == "new"
    with pytest.raises(NotFound):
        registry.get_registered_model("old")


def test_rename_to_a_taken_name_raises_already_exists_and_changes_nothing(
    registry: RegistryStore,
) -> None:
    registry.create_registered_model("a", description="A")
    registry.create_registered_model("b", description="B")
    with pytest.raises(AlreadyExists):
        registry.rename_registered_model("a", "b")
    assert registry.get_registered_model("a").description == "A"
    assert registry.get_registered_model("b").description == "B"


def test_rename_of_an_unknown_model_raises_not_found(registry: RegistryStore) -> None:
    with pytest.raises(NotFound):
        registry.rename_registered_model("nobody", "somebody")


def test_update_replaces_the_description_and_bumps_last_updated(
    registry: RegistryStore, next_ms: Callable[[], None]
) -> None:
    created = registry.create_registered_model("churn", description="old")
    next_ms()
    updated = registry.update_registered_model("churn", "new")
    assert updated.description == "new"
    assert updated.last_updated_timestamp > created.last_updated_timestamp
    assert updated.creation_timestamp == created.creation_timestamp


def test_update_with_an_empty_description_clears_it(registry: RegistryStore) -> None:
    registry.create_registered_model("churn", description="old")
    assert registry.update_registered_model("churn", "").description is None


def test_update_of_an_unknown_model_raises_not_found(registry: RegistryStore) -> None:
    with pytest.raises(NotFound):
        registry.update_registered_model("nobody", "d")


# -- delete ------------------------------------------------------------------------------------


def test_delete_removes_the_model(registry: RegistryStore) -> None:
    registry.create_registered_model("churn")
    registry.delete_registered_model("churn")
    with pytest.raises(NotFound):
        registry.get_registered_model("churn")


def test_delete_of_an_unknown_model_raises_not_found(registry: RegistryStore) -> None:
    with pytest.raises(NotFound):
        registry.delete_registered_model("nobody")


def test_delete_cascades_to_versions_tags_aliases_and_alias_history(
    registry: RegistryStore, add_version: VersionFactory
) -> None:
    registry.create_registered_model("churn", tags={"k": "v"})
    add_version("churn", tags={"vk": "vv"})
    registry.set_alias("churn", "champion", 1)
    registry.delete_registered_model("churn")

    def count(table: sa.Table) -> int:
        query = sa.select(sa.func.count()).select_from(table)
        return int(registry.db.read(lambda c: c.execute(query).scalar_one()))

    counts = {
        table.name: count(table)
        for table in (
            model_versions,
            model_version_tags,
            registered_model_tags,
            registered_model_aliases,
            alias_history,
        )
    }
    assert counts == dict.fromkeys(counts, 0)


def test_a_model_recreated_after_delete_starts_empty_at_version_one(
    registry: RegistryStore, add_version: VersionFactory
) -> None:
    registry.create_registered_model("churn", tags={"k": "v"})
    add_version("churn")
    add_version("churn")
    registry.set_alias("churn", "champion", 2)
    registry.delete_registered_model("churn")
    registry.create_registered_model("churn")
    assert add_version("churn").version == 1
    model = registry.get_registered_model("churn")
    assert (model.tags, model.aliases) == ({}, {})
    assert registry.alias_history("churn") == []


# -- tags --------------------------------------------------------------------------------------


def test_set_tag_adds_a_tag(registry: RegistryStore) -> None:
    registry.create_registered_model("churn")
    registry.set_registered_model_tag("churn", "team", "growth")
    assert registry.get_registered_model("churn").tags == {"team": "growth"}


def test_set_tag_overwrites_the_value(registry: RegistryStore) -> None:
    registry.create_registered_model("churn", tags={"team": "growth"})
    registry.set_registered_model_tag("churn", "team", "risk")
    assert registry.get_registered_model("churn").tags == {"team": "risk"}


def test_delete_tag_removes_only_that_tag(registry: RegistryStore) -> None:
    registry.create_registered_model("churn", tags={"a": "1", "b": "2"})
    registry.delete_registered_model_tag("churn", "a")
    assert registry.get_registered_model("churn").tags == {"b": "2"}


def test_delete_of_a_missing_tag_raises_not_found(registry: RegistryStore) -> None:
    registry.create_registered_model("churn", tags={"a": "1"})
    with pytest.raises(NotFound):
        registry.delete_registered_model_tag("churn", "b")


def test_set_tag_on_an_unknown_model_raises_not_found(registry: RegistryStore) -> None:
    with pytest.raises(NotFound):
        registry.set_registered_model_tag("nobody", "k", "v")


def test_set_tag_refuses_a_key_that_is_a_path_escape(registry: RegistryStore) -> None:
    registry.create_registered_model("churn")
    with pytest.raises(InvalidParameter):
        registry.set_registered_model_tag("churn", "../k", "v")


# -- search ------------------------------------------------------------------------------------


@pytest.fixture
def catalogue(registry: RegistryStore) -> RegistryStore:
    """Five models, tags on some, one of them a prompt."""
    registry.create_registered_model("alpha", tags={"team": "growth"})
    registry.create_registered_model("alpine", tags={"team": "risk"})
    registry.create_registered_model("beta", tags={"team": "growth", PROMPT_TAG: "false"})
    registry.create_registered_model("gamma")
    registry.create_registered_model("prompt-1", tags={PROMPT_TAG: "true"})
    return registry


def test_search_without_a_filter_returns_every_model_by_name(catalogue: RegistryStore) -> None:
    assert names(catalogue) == ["alpha", "alpine", "beta", "gamma", "prompt-1"]


@pytest.mark.parametrize(
    ("filter_string", "expected"),
    [
        ("name = 'alpha'", ["alpha"]),
        ("name != 'alpha'", ["alpine", "beta", "gamma", "prompt-1"]),
        ("name LIKE 'alp%'", ["alpha", "alpine"]),
        ("name LIKE 'ALP%'", []),
        ("name ILIKE 'ALP%'", ["alpha", "alpine"]),
        ("name IN ('beta', 'gamma', 'missing')", ["beta", "gamma"]),
        ("tags.team = 'growth'", ["alpha", "beta"]),
        ("tags.team LIKE 'r%'", ["alpine"]),
        ("tags.team = 'growth' AND name LIKE 'b%'", ["beta"]),
    ],
    ids=["eq", "ne", "like", "like-is-case-sensitive", "ilike", "in", "tag-eq", "tag-like", "and"],
)
def test_search_filters(catalogue: RegistryStore, filter_string: str, expected: list[str]) -> None:
    assert names(catalogue, filter_string=filter_string) == expected


def test_search_tag_comparison_never_matches_models_without_the_tag(
    catalogue: RegistryStore,
) -> None:
    assert names(catalogue, filter_string="tags.team != 'growth'") == ["alpine"]


def test_prompt_rule_keeps_models_without_the_tag_and_drops_prompts(
    catalogue: RegistryStore,
) -> None:
    assert names(catalogue, filter_string=PROMPT_FILTER) == ["alpha", "alpine", "beta", "gamma"]


def test_prompt_rule_combines_with_the_callers_filter(catalogue: RegistryStore) -> None:
    filter_string = f"name LIKE '%a' AND {PROMPT_FILTER}"
    assert names(catalogue, filter_string=filter_string) == ["alpha", "beta", "gamma"]


def test_search_refuses_an_unknown_attribute(catalogue: RegistryStore) -> None:
    with pytest.raises(InvalidParameter):
        catalogue.search_registered_models(filter_string="owner = 'me'")


def test_search_orders_by_name_descending(catalogue: RegistryStore) -> None:
    assert names(catalogue, order_by=["name DESC"]) == [
        "prompt-1",
        "gamma",
        "beta",
        "alpine",
        "alpha",
    ]


def test_search_orders_by_creation_timestamp(
    registry: RegistryStore, next_ms: Callable[[], None]
) -> None:
    for name in ("b", "c", "a"):
        registry.create_registered_model(name)
        next_ms()
    assert names(registry, order_by=["creation_timestamp"]) == ["b", "c", "a"]
    assert names(registry, order_by=["creation_timestamp DESC"]) == ["a", "c", "b"]


def test_search_orders_by_last_updated_timestamp(
    registry: RegistryStore, next_ms: Callable[[], None]
) -> None:
    for name in ("a", "b", "c"):
        registry.create_registered_model(name)
        next_ms()
    registry.update_registered_model("a", "touched last")
    assert names(registry, order_by=["last_updated_timestamp DESC"]) == ["a", "c", "b"]


def test_search_timestamp_is_an_alias_of_last_updated_timestamp(
    registry: RegistryStore, next_ms: Callable[[], None]
) -> None:
    for name in ("a", "b", "c"):
        registry.create_registered_model(name)
        next_ms()
    registry.set_registered_model_tag("b", "k", "v")
    assert names(registry, order_by=["timestamp DESC"]) == ["b", "c", "a"]


def test_search_breaks_timestamp_ties_by_name(
    registry: RegistryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shipyard.store import registry as registry_queries

    monkeypatch.setattr(registry_queries, "now_ms", lambda: 1_800_000_000_000)
    for name in ("c", "a", "b"):
        registry.create_registered_model(name)
    assert names(registry, order_by=["creation_timestamp DESC"]) == ["a", "b", "c"]


def test_search_pages_through_every_model_once(registry: RegistryStore) -> None:
    expected = [f"model-{i:02d}" for i in range(7)]
    for name in reversed(expected):
        registry.create_registered_model(name)
    seen: list[str] = []
    token = None
    pages = 0
    while True:
        page = registry.search_registered_models(max_results=3, page_token=token)
        seen += [model.name for model in page.items]
        pages += 1
        token = page.next_page_token
        if not token:
            break
    assert (seen, pages) == (expected, 3)


def test_search_last_full_page_has_no_token(registry: RegistryStore) -> None:
    for name in ("a", "b"):
        registry.create_registered_model(name)
    assert registry.search_registered_models(max_results=2).next_page_token is None


def test_search_refuses_a_garbage_token(registry: RegistryStore) -> None:
    with pytest.raises(InvalidParameter):
        registry.search_registered_models(page_token="not-a-token")


def test_search_refuses_max_results_over_the_cap(registry: RegistryStore) -> None:
    with pytest.raises(InvalidParameter):
        registry.search_registered_models(max_results=1001)
