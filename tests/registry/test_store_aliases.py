"""RegistryStore: aliases, the alias history, and approval status."""

from __future__ import annotations

import pytest

from shipyard.domain.errors import InvalidParameter, NotFound
from shipyard.domain.registry import ApprovalStatus
from shipyard.store.model_registry import RegistryStore

from .conftest import VersionFactory


@pytest.fixture
def model(registry: RegistryStore, add_version: VersionFactory) -> str:
    """A registered model with versions 1, 2 and 3."""
    registry.create_registered_model("churn")
    for _ in range(3):
        add_version("churn")
    return "churn"


def moves(registry: RegistryStore, name: str, alias: str | None = None) -> list[tuple]:
    """The alias history as (alias, from, to) tuples, oldest first."""
    return [
        (change.alias, change.from_version, change.to_version)
        for change in registry.alias_history(name, alias)
    ]


# -- aliases -----------------------------------------------------------------------------------


def test_set_alias_points_it_at_the_version(registry: RegistryStore, model: str) -> None:
    registry.set_alias(model, "champion", 2)
    assert registry.get_version_by_alias(model, "champion").version == 2


def test_set_alias_shows_on_the_version_and_the_model(registry: RegistryStore, model: str) -> None:
    registry.set_alias(model, "champion", 2)
    registry.set_alias(model, "challenger", 2)
    assert registry.get_model_version(model, 2).aliases == ["challenger", "champion"]
    assert registry.get_registered_model(model).aliases == {"challenger": 2, "champion": 2}


def test_set_alias_again_moves_it(registry: RegistryStore, model: str) -> None:
    registry.set_alias(model, "champion", 1)
    registry.set_alias(model, "champion", 3)
    assert registry.get_version_by_alias(model, "champion").version == 3
    assert registry.get_model_version(model, 1).aliases == []


@pytest.mark.parametrize("alias", ["latest", "LATEST", "v3", "V12"])
def test_set_alias_refuses_reserved_names(registry: RegistryStore, model: str, alias: str) -> None:
    with pytest.raises(InvalidParameter):
        registry.set_alias(model, alias, 1)


@pytest.mark.parametrize("alias", ["", "a b", "a/b", "a.b", "x" * 256])
def test_set_alias_refuses_malformed_names(registry: RegistryStore, model: str, alias: str) -> None:
    with pytest.raises(InvalidParameter):
        registry.set_alias(model, alias, 1)


def test_set_alias_on_an_unknown_version_raises_not_found(
    registry: RegistryStore, model: str
) -> None:
    with pytest.raises(NotFound):
        registry.set_alias(model, "champion", 4)


def test_get_by_an_unknown_alias_raises_not_found(registry: RegistryStore, model: str) -> None:
    with pytest.raises(NotFound):
        registry.get_version_by_alias(model, "champion")


def test_latest_resolves_to_the_newest_version(
    registry: RegistryStore, model: str, add_version: VersionFactory
) -> None:
    add_version(model)
    assert registry.get_version_by_alias(model, "latest").version == 4


def test_latest_skips_a_deleted_newest_version(registry: RegistryStore, model: str) -> None:
    registry.delete_model_version(model, 3)
    assert registry.get_version_by_alias(model, "latest").version == 2


def test_latest_of_a_model_without_versions_raises_not_found(registry: RegistryStore) -> None:
    registry.create_registered_model("empty")
    with pytest.raises(NotFound):
        registry.get_version_by_alias("empty", "latest")


def test_delete_alias_removes_it(registry: RegistryStore, model: str) -> None:
    registry.set_alias(model, "champion", 1)
    registry.delete_alias(model, "champion")
    with pytest.raises(NotFound):
        registry.get_version_by_alias(model, "champion")
    assert registry.get_registered_model(model).aliases == {}


def test_delete_of_a_missing_alias_is_a_no_op(registry: RegistryStore, model: str) -> None:
    registry.set_alias(model, "champion", 1)
    registry.delete_alias(model, "challenger")
    assert registry.get_registered_model(model).aliases == {"champion": 1}


def test_deleting_a_version_removes_its_aliases_only(registry: RegistryStore, model: str) -> None:
    registry.set_alias(model, "champion", 2)
    registry.set_alias(model, "challenger", 3)
    registry.delete_model_version(model, 2)
    assert registry.get_registered_model(model).aliases == {"challenger": 3}
    with pytest.raises(NotFound):
        registry.get_version_by_alias(model, "champion")


def test_aliases_belong_to_one_model(
    registry: RegistryStore, model: str, add_version: VersionFactory
) -> None:
    registry.create_registered_model("other")
    add_version("other")
    registry.set_alias(model, "champion", 3)
    registry.set_alias("other", "champion", 1)
    assert registry.get_version_by_alias(model, "champion").version == 3


# -- alias history -----------------------------------------------------------------------------


def test_history_records_set_move_and_delete_in_order(registry: RegistryStore, model: str) -> None:
    registry.set_alias(model, "champion", 1, user="alice")
    registry.set_alias(model, "champion", 3, user="bob")
    registry.delete_alias(model, "champion", user="carol")
    assert moves(registry, model) == [
        ("champion", None, 1),
        ("champion", 1, 3),
        ("champion", 3, None),
    ]


def test_history_records_who_moved_the_alias_and_when(registry: RegistryStore, model: str) -> None:
    registry.set_alias(model, "champion", 1, user="alice")
    registry.set_alias(model, "champion", 2, user="bob")
    changes = registry.alias_history(model)
    assert [change.changed_by for change in changes] == ["alice", "bob"]
    assert changes[0].timestamp <= changes[1].timestamp
    assert {change.name for change in changes} == {model}


def test_history_records_removal_by_version_deletion(registry: RegistryStore, model: str) -> None:
    registry.set_alias(model, "champion", 2)
    registry.delete_model_version(model, 2, user="dave")
    changes = registry.alias_history(model)
    assert moves(registry, model) == [("champion", None, 2), ("champion", 2, None)]
    assert changes[-1].changed_by == "dave"


def test_history_skips_setting_an_alias_to_where_it_already_points(
    registry: RegistryStore, model: str
) -> None:
    registry.set_alias(model, "champion", 1)
    registry.set_alias(model, "champion", 1)
    assert moves(registry, model) == [("champion", None, 1)]


def test_history_skips_deleting_a_missing_alias(registry: RegistryStore, model: str) -> None:
    registry.delete_alias(model, "champion")
    assert moves(registry, model) == []


def test_history_of_one_alias_leaves_out_the_others(registry: RegistryStore, model: str) -> None:
    registry.set_alias(model, "champion", 1)
    registry.set_alias(model, "challenger", 2)
    registry.set_alias(model, "champion", 3)
    assert moves(registry, model, "champion") == [("champion", None, 1), ("champion", 1, 3)]


def test_history_follows_a_renamed_model(registry: RegistryStore, model: str) -> None:
    registry.set_alias(model, "champion", 1)
    registry.rename_registered_model(model, "renamed")
    assert moves(registry, "renamed") == [("champion", None, 1)]


def test_history_of_an_unknown_model_raises_not_found(registry: RegistryStore) -> None:
    with pytest.raises(NotFound):
        registry.alias_history("nobody")


# -- approval ----------------------------------------------------------------------------------


def test_new_versions_are_pending_manual_approval(registry: RegistryStore, model: str) -> None:
    version = registry.get_model_version(model, 1)
    assert version.approval_status is ApprovalStatus.PENDING
    assert version.approval_status.value == "PendingManualApproval"
    assert (version.approval_comment, version.approval_updated_by) == (None, None)
    assert version.approval_updated_timestamp is None


def test_approve_records_status_comment_user_and_time(registry: RegistryStore, model: str) -> None:
    approved = registry.set_approval(model, 1, "Approved", comment="passed review", user="erin")
    assert approved.approval_status is ApprovalStatus.APPROVED
    assert (approved.approval_comment, approved.approval_updated_by) == ("passed review", "erin")
    assert approved.approval_updated_timestamp is not None
    assert registry.get_model_version(model, 1) == approved


def test_reject_sets_rejected_on_that_version_only(registry: RegistryStore, model: str) -> None:
    registry.set_approval(model, 2, "rejected", comment="drift")
    assert registry.get_model_version(model, 2).approval_status is ApprovalStatus.REJECTED
    assert registry.get_model_version(model, 1).approval_status is ApprovalStatus.PENDING


def test_a_decision_can_be_reverted_to_pending(registry: RegistryStore, model: str) -> None:
    registry.set_approval(model, 1, "Approved")
    reverted = registry.set_approval(model, 1, "PendingManualApproval")
    assert reverted.approval_status is ApprovalStatus.PENDING


@pytest.mark.parametrize("status", ["Maybe", "", "approve"])
def test_an_unknown_approval_status_is_refused(
    registry: RegistryStore, model: str, status: str
) -> None:
    with pytest.raises(InvalidParameter):
        registry.set_approval(model, 1, status)
    assert registry.get_model_version(model, 1).approval_status is ApprovalStatus.PENDING


def test_approval_of_an_unknown_version_raises_not_found(
    registry: RegistryStore, model: str
) -> None:
    with pytest.raises(NotFound):
        registry.set_approval(model, 9, "Approved")
