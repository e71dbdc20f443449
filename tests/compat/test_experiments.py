"""Experiments through ``MlflowClient``: create, read, search, rename, delete/restore and tags."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import pytest
from mlflow import MlflowClient
from mlflow.entities import ViewType
from mlflow.exceptions import MlflowException

pytestmark = pytest.mark.compat

NameFactory = Callable[[str], str]


@pytest.fixture
def name_prefix() -> str:
    # Hex only: `_` and `%` are LIKE wildcards, so a prefix used in `name LIKE 'p%'` avoids them.
    return f"cx{uuid.uuid4().hex}"


def _names_without_prefix(experiments: list, prefix: str) -> list[str]:
    return [experiment.name.removeprefix(f"{prefix}-") for experiment in experiments]


def test_default_experiment_zero_exists(client: MlflowClient) -> None:
    default = client.get_experiment("0")

    assert default.experiment_id == "0"
    assert default.name == "Default"
    assert default.lifecycle_stage == "active"


def test_create_experiment_returns_id_of_an_active_experiment(
    client: MlflowClient, unique_name: NameFactory
) -> None:
    name = unique_name("create")

    experiment_id = client.create_experiment(name)

    experiment = client.get_experiment(experiment_id)
    assert experiment.experiment_id == experiment_id
    assert experiment.name == name
    assert experiment.lifecycle_stage == "active"
    assert experiment.creation_time > 0
    assert experiment.last_update_time >= experiment.creation_time


def test_create_experiment_stores_tags(client: MlflowClient, unique_name: NameFactory) -> None:
    experiment_id = client.create_experiment(
        unique_name("tagged"), tags={"team": "vision", "priority": "high"}
    )

    assert client.get_experiment(experiment_id).tags == {"team": "vision", "priority": "high"}


def test_create_experiment_without_artifact_location_gets_proxied_location(
    client: MlflowClient, unique_name: NameFactory
) -> None:
    experiment_id = client.create_experiment(unique_name("artifacts"))

    location = client.get_experiment(experiment_id).artifact_location

    # `mlflow-artifacts:` makes the client upload through the server's artifact proxy.
    assert location.startswith("mlflow-artifacts:/")
    assert location.rstrip("/").endswith(experiment_id)


def test_create_experiment_keeps_explicit_artifact_location(
    client: MlflowClient, unique_name: NameFactory
) -> None:
    experiment_id = client.create_experiment(
        unique_name("explicit"), artifact_location="s3://bucket/team/prefix"
    )

    run = client.create_run(experiment_id)

    assert client.get_experiment(experiment_id).artifact_location == "s3://bucket/team/prefix"
    assert run.info.artifact_uri.startswith("s3://bucket/team/prefix/")


def test_default_experiment_is_found_by_name(client: MlflowClient) -> None:
    default = client.get_experiment_by_name("Default")

    assert default is not None
    assert default.experiment_id == "0"


def test_get_experiment_by_name_returns_the_experiment(
    client: MlflowClient, unique_name: NameFactory
) -> None:
    name = unique_name("by-name")
    experiment_id = client.create_experiment(name)

    found = client.get_experiment_by_name(name)

    assert found is not None
    assert found.experiment_id == experiment_id


def test_get_experiment_by_name_missing_returns_none(
    client: MlflowClient, unique_name: NameFactory
) -> None:
    assert client.get_experiment_by_name(unique_name("never-created")) is None


def test_get_missing_experiment_raises_resource_does_not_exist(client: MlflowClient) -> None:
    with pytest.raises(MlflowException) as raised:
        client.get_experiment("987654321987")

    assert raised.value.error_code == "RESOURCE_DOES_NOT_EXIST"


def test_create_experiment_with_existing_name_raises_resource_already_exists(
    client: MlflowClient, unique_name: NameFactory
) -> None:
    name = unique_name("duplicate")
    client.create_experiment(name)

    with pytest.raises(MlflowException) as raised:
        client.create_experiment(name)

    assert raised.value.error_code == "RESOURCE_ALREADY_EXISTS"
    assert raised.value.get_http_status_code() == 400


def test_deleted_experiment_keeps_its_name(client: MlflowClient, unique_name: NameFactory) -> None:
    name = unique_name("deleted-name")
    client.delete_experiment(client.create_experiment(name))

    with pytest.raises(MlflowException) as raised:
        client.create_experiment(name)

    assert raised.value.error_code == "RESOURCE_ALREADY_EXISTS"


def test_rename_experiment_changes_name_and_frees_old_name(
    client: MlflowClient, unique_name: NameFactory
) -> None:
    old_name, new_name = unique_name("old"), unique_name("new")
    experiment_id = client.create_experiment(old_name)

    client.rename_experiment(experiment_id, new_name)

    assert client.get_experiment(experiment_id).name == new_name
    assert client.get_experiment_by_name(old_name) is None
    assert client.get_experiment_by_name(new_name).experiment_id == experiment_id


def test_rename_deleted_experiment_fails_and_keeps_name(
    client: MlflowClient, unique_name: NameFactory
) -> None:
    name = unique_name("deleted-rename")
    experiment_id = client.create_experiment(name)
    client.delete_experiment(experiment_id)

    # MLflow answers 500 INVALID_STATE here; only the refusal itself is part of the contract.
    with pytest.raises(MlflowException):
        client.rename_experiment(experiment_id, unique_name("renamed"))

    assert client.get_experiment(experiment_id).name == name


def test_delete_experiment_marks_it_deleted(client: MlflowClient, unique_name: NameFactory) -> None:
    experiment_id = client.create_experiment(unique_name("delete"))

    client.delete_experiment(experiment_id)

    assert client.get_experiment(experiment_id).lifecycle_stage == "deleted"


def test_get_experiment_by_name_finds_deleted_experiment(
    client: MlflowClient, unique_name: NameFactory
) -> None:
    name = unique_name("deleted-lookup")
    experiment_id = client.create_experiment(name)
    client.delete_experiment(experiment_id)

    found = client.get_experiment_by_name(name)

    assert found is not None
    assert found.lifecycle_stage == "deleted"


def test_restore_experiment_makes_it_active_again(
    client: MlflowClient, unique_name: NameFactory
) -> None:
    experiment_id = client.create_experiment(unique_name("restore"))
    client.delete_experiment(experiment_id)

    client.restore_experiment(experiment_id)

    assert client.get_experiment(experiment_id).lifecycle_stage == "active"


def test_delete_experiment_cascades_to_runs_and_restore_brings_them_back(
    client: MlflowClient, unique_name: NameFactory
) -> None:
    experiment_id = client.create_experiment(unique_name("cascade"))
    run_id = client.create_run(experiment_id).info.run_id

    client.delete_experiment(experiment_id)
    stage_after_delete = client.get_run(run_id).info.lifecycle_stage
    client.restore_experiment(experiment_id)

    assert stage_after_delete == "deleted"
    assert client.get_run(run_id).info.lifecycle_stage == "active"


def test_create_run_in_deleted_experiment_raises_invalid_parameter_value(
    client: MlflowClient, unique_name: NameFactory
) -> None:
    experiment_id = client.create_experiment(unique_name("no-new-runs"))
    client.delete_experiment(experiment_id)

    with pytest.raises(MlflowException) as raised:
        client.create_run(experiment_id)

    assert raised.value.error_code == "INVALID_PARAMETER_VALUE"


def test_set_experiment_tag_adds_and_overwrites(
    client: MlflowClient, unique_name: NameFactory
) -> None:
    experiment_id = client.create_experiment(unique_name("set-tag"), tags={"stage": "dev"})

    client.set_experiment_tag(experiment_id, "stage", "prod")
    client.set_experiment_tag(experiment_id, "owner", "ana")

    assert client.get_experiment(experiment_id).tags == {"stage": "prod", "owner": "ana"}


def test_delete_experiment_tag_removes_only_that_tag(
    client: MlflowClient, unique_name: NameFactory
) -> None:
    experiment_id = client.create_experiment(
        unique_name("delete-tag"), tags={"keep": "1", "drop": "2"}
    )

    client.delete_experiment_tag(experiment_id, "drop")

    assert client.get_experiment(experiment_id).tags == {"keep": "1"}


def test_delete_missing_experiment_tag_raises_resource_does_not_exist(
    client: MlflowClient, unique_name: NameFactory
) -> None:
    experiment_id = client.create_experiment(unique_name("no-such-tag"))

    with pytest.raises(MlflowException) as raised:
        client.delete_experiment_tag(experiment_id, "never-set")

    assert raised.value.error_code == "RESOURCE_DOES_NOT_EXIST"


def test_search_experiments_filters_by_name_like(client: MlflowClient, name_prefix: str) -> None:
    for suffix in ("a", "b"):
        client.create_experiment(f"{name_prefix}-{suffix}")
    client.create_experiment(f"other{name_prefix}-c")

    found = client.search_experiments(filter_string=f"name LIKE '{name_prefix}-%'")

    assert sorted(_names_without_prefix(found, name_prefix)) == ["a", "b"]


def test_search_experiments_filters_by_tag(client: MlflowClient, name_prefix: str) -> None:
    for index in range(4):
        client.create_experiment(
            f"{name_prefix}-{index}", tags={"parity": "even" if index % 2 == 0 else "odd"}
        )

    found = client.search_experiments(
        filter_string=f"name LIKE '{name_prefix}-%' AND tags.parity = 'even'",
        order_by=["name ASC"],
    )

    assert _names_without_prefix(found, name_prefix) == ["0", "2"]


def test_search_experiments_filters_by_experiment_id_in(
    client: MlflowClient, name_prefix: str
) -> None:
    ids = [client.create_experiment(f"{name_prefix}-{index}") for index in range(3)]

    found = client.search_experiments(filter_string=f"experiment_id IN ('{ids[0]}', '{ids[2]}')")

    assert sorted(experiment.experiment_id for experiment in found) == sorted([ids[0], ids[2]])


def test_search_experiments_default_order_is_newest_first(
    client: MlflowClient, name_prefix: str
) -> None:
    for suffix in ("first", "second", "third"):
        client.create_experiment(f"{name_prefix}-{suffix}")
        time.sleep(0.005)  # creation times have millisecond resolution; make them distinct

    found = client.search_experiments(filter_string=f"name LIKE '{name_prefix}-%'")

    assert _names_without_prefix(found, name_prefix) == ["third", "second", "first"]


def test_search_experiments_order_by_name_desc(client: MlflowClient, name_prefix: str) -> None:
    for suffix in ("b", "a", "c"):
        client.create_experiment(f"{name_prefix}-{suffix}")

    found = client.search_experiments(
        filter_string=f"name LIKE '{name_prefix}-%'", order_by=["name DESC"]
    )

    assert _names_without_prefix(found, name_prefix) == ["c", "b", "a"]


def test_search_experiments_pages_with_max_results_and_page_token(
    client: MlflowClient, name_prefix: str
) -> None:
    for index in range(5):
        client.create_experiment(f"{name_prefix}-{index}")
    query = {"filter_string": f"name LIKE '{name_prefix}-%'", "order_by": ["name ASC"]}

    pages = []
    token = None
    for _ in range(10):
        page = client.search_experiments(max_results=2, page_token=token, **query)
        pages.append(_names_without_prefix(page, name_prefix))
        token = page.token
        if not token:
            break

    assert pages == [["0", "1"], ["2", "3"], ["4"]]


def test_search_experiments_view_type_selects_lifecycle_stage(
    client: MlflowClient, name_prefix: str
) -> None:
    client.create_experiment(f"{name_prefix}-live")
    client.delete_experiment(client.create_experiment(f"{name_prefix}-gone"))

    def search(view_type: int) -> list[str]:
        found = client.search_experiments(
            view_type=view_type, filter_string=f"name LIKE '{name_prefix}-%'"
        )
        return sorted(_names_without_prefix(found, name_prefix))

    assert search(ViewType.ACTIVE_ONLY) == ["live"]
    assert search(ViewType.DELETED_ONLY) == ["gone"]
    assert search(ViewType.ALL) == ["gone", "live"]


def test_search_experiments_invalid_filter_raises_invalid_parameter_value(
    client: MlflowClient,
) -> None:
    with pytest.raises(MlflowException) as raised:
        client.search_experiments(filter_string="name ~ 'x'")

    assert raised.value.error_code == "INVALID_PARAMETER_VALUE"
