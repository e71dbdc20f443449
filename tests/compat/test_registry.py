"""The model registry through the real ``mlflow`` client: registered models, versions, aliases,
stages, searches, and loading registered models with ``mlflow.pyfunc.load_model``.

Written against MLflow's own server (``SHIPYARD_COMPAT_TARGET=mlflow``); the checks of where a
version's source may point are Shipyard's and live in ``tests/registry``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import mlflow
import mlflow.artifacts
import mlflow.pyfunc
import mlflow.sklearn
import numpy as np
import pytest
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from sklearn.linear_model import LogisticRegression

from .conftest import RestApi

pytestmark = [pytest.mark.compat, pytest.mark.filterwarnings("ignore::FutureWarning")]

X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.1, 0.2], [0.9, 0.8]])
Y = np.array([0, 0, 1, 1, 0, 1])
# Given requirements spare MLflow inferring them in a subprocess (tens of seconds per model).
REQUIREMENTS = ["scikit-learn", "cloudpickle"]


def _fit(labels: np.ndarray) -> LogisticRegression:
    return LogisticRegression().fit(X, labels)


@pytest.fixture(scope="module")
def model_a() -> LogisticRegression:
    """A tiny classifier: the first feature decides."""
    return _fit(Y)


@pytest.fixture(scope="module")
def saved_models(
    tmp_path_factory: pytest.TempPathFactory, model_a: LogisticRegression
) -> dict[str, Path]:
    """Two MLflow model folders on local disk whose predictions differ: ``a`` and ``b``."""
    root = tmp_path_factory.mktemp("saved-models")
    folders = {}
    for key, model in (("a", model_a), ("b", _fit(1 - Y))):
        folders[key] = root / key
        mlflow.sklearn.save_model(
            model,
            str(folders[key]),
            serialization_format="cloudpickle",
            pip_requirements=REQUIREMENTS,
        )
    return folders


@pytest.fixture
def name(unique_name: Callable[[str], str]) -> str:
    """A registered model name no other test uses."""
    return unique_name("registry")


@pytest.fixture
def upload_run(client: MlflowClient, experiment_id: str, saved_models: dict[str, Path]):
    """Start a run and upload saved model ``key`` as its ``model`` folder; the run id."""

    def upload(key: str = "a") -> str:
        run_id = client.create_run(experiment_id).info.run_id
        client.log_artifacts(run_id, str(saved_models[key]), "model")
        return run_id

    return upload


@pytest.fixture
def register(client: MlflowClient, name: str, upload_run: Callable[..., str]):
    """Register versions of ``name`` from runs:/ sources of uploaded models (``a`` or ``b``)."""
    client.create_registered_model(name)

    def add(key: str = "a") -> str:
        run_id = upload_run(key)
        version = client.create_model_version(name, f"runs:/{run_id}/model", run_id=run_id)
        return str(version.version)

    return add


def _log(model: LogisticRegression, registered_name: str) -> mlflow.models.model.ModelInfo:
    return mlflow.sklearn.log_model(
        model,
        name="model",
        registered_model_name=registered_name,
        serialization_format="cloudpickle",
        pip_requirements=REQUIREMENTS,
    )


def _predict(uri: str) -> list[int]:
    return [int(p) for p in mlflow.pyfunc.load_model(uri).predict(X)]


def _expected(model: LogisticRegression) -> list[int]:
    return [int(p) for p in model.predict(X)]


def _error_code(call: Callable[[], object]) -> str:
    with pytest.raises(MlflowException) as caught:
        call()
    return caught.value.error_code


# -- registered models -------------------------------------------------------------------------


def test_create_registered_model_keeps_description_and_tags(
    client: MlflowClient, name: str
) -> None:
    created = client.create_registered_model(name, tags={"team": "growth"}, description="d")
    assert (created.name, created.description, created.tags) == (name, "d", {"team": "growth"})
    assert created.creation_timestamp > 0


def test_get_registered_model_returns_what_was_created(client: MlflowClient, name: str) -> None:
    client.create_registered_model(name, tags={"k": "v"}, description="about")
    fetched = client.get_registered_model(name)
    assert (fetched.name, fetched.description, fetched.tags) == (name, "about", {"k": "v"})
    assert fetched.latest_versions == []


def test_create_registered_model_twice_is_resource_already_exists(
    client: MlflowClient, name: str
) -> None:
    client.create_registered_model(name)
    assert _error_code(lambda: client.create_registered_model(name)) == "RESOURCE_ALREADY_EXISTS"


def test_get_missing_registered_model_is_resource_does_not_exist(
    client: MlflowClient, name: str
) -> None:
    assert _error_code(lambda: client.get_registered_model(name)) == "RESOURCE_DOES_NOT_EXIST"


def test_rename_registered_model_moves_it_with_its_versions(
    client: MlflowClient, name: str, register: Callable[..., str]
) -> None:
    register()
    client.rename_registered_model(name, f"{name}-renamed")
    assert client.get_model_version(f"{name}-renamed", "1").name == f"{name}-renamed"
    assert _error_code(lambda: client.get_registered_model(name)) == "RESOURCE_DOES_NOT_EXIST"


def test_update_registered_model_replaces_the_description(client: MlflowClient, name: str) -> None:
    client.create_registered_model(name, description="old")
    client.update_registered_model(name, description="new")
    assert client.get_registered_model(name).description == "new"


def test_delete_registered_model_removes_it_and_its_versions(
    client: MlflowClient, name: str, register: Callable[..., str]
) -> None:
    register()
    client.delete_registered_model(name)
    assert _error_code(lambda: client.get_registered_model(name)) == "RESOURCE_DOES_NOT_EXIST"
    assert _error_code(lambda: client.get_model_version(name, "1")) == "RESOURCE_DOES_NOT_EXIST"


def test_registered_model_tags_are_set_overwritten_and_deleted(
    client: MlflowClient, name: str
) -> None:
    client.create_registered_model(name, tags={"a": "1"})
    client.set_registered_model_tag(name, "a", "2")
    client.set_registered_model_tag(name, "b", "3")
    client.delete_registered_model_tag(name, "b")
    assert client.get_registered_model(name).tags == {"a": "2"}


# -- searching registered models ---------------------------------------------------------------


@pytest.fixture
def family(client: MlflowClient, name: str) -> list[str]:
    """Four models sharing the prefix ``name``; the first two tagged team=growth."""
    names = [f"{name}-{i}" for i in range(4)]
    for index, member in enumerate(names):
        tags = {"team": "growth"} if index < 2 else {"team": "risk"}
        client.create_registered_model(member, tags=tags)
    return names


def test_search_registered_models_filters_by_name_pattern(
    client: MlflowClient, name: str, family: list[str]
) -> None:
    found = client.search_registered_models(filter_string=f"name LIKE '{name}-%'")
    assert [model.name for model in found] == family


def test_search_registered_models_filters_by_tag_and_name(
    client: MlflowClient, name: str, family: list[str]
) -> None:
    found = client.search_registered_models(
        filter_string=f"name LIKE '{name}-%' AND tags.team = 'growth'"
    )
    assert [model.name for model in found] == family[:2]


def test_search_registered_models_orders_by_name_descending(
    client: MlflowClient, name: str, family: list[str]
) -> None:
    found = client.search_registered_models(
        filter_string=f"name LIKE '{name}-%'", order_by=["name DESC"]
    )
    assert [model.name for model in found] == family[::-1]


def test_search_registered_models_pages_through_every_match(
    client: MlflowClient, name: str, family: list[str]
) -> None:
    seen: list[str] = []
    token = None
    pages = 0
    while True:
        page = client.search_registered_models(
            filter_string=f"name LIKE '{name}-%'", max_results=3, page_token=token
        )
        seen += [model.name for model in page]
        pages += 1
        token = page.token
        if not token:
            break
    assert (seen, pages) == (family, 2)


def test_search_registered_models_leaves_out_prompts(
    client: MlflowClient, rest: RestApi, name: str
) -> None:
    client.create_registered_model(f"{name}-model")
    prompt_tag = {"key": "mlflow.prompt.is_prompt", "value": "true"}
    body = {"name": f"{name}-prompt", "tags": [prompt_tag]}
    assert rest.post("registered-models/create", json=body).status_code == 200
    found = client.search_registered_models(filter_string=f"name LIKE '{name}-%'")
    assert [model.name for model in found] == [f"{name}-model"]


# -- model versions ----------------------------------------------------------------------------


def test_create_model_version_from_a_runs_source_is_ready_as_version_one(
    client: MlflowClient, name: str, upload_run: Callable[..., str]
) -> None:
    client.create_registered_model(name)
    run_id = upload_run()
    version = client.create_model_version(
        name, f"runs:/{run_id}/model", run_id=run_id, tags={"k": "v"}, description="first"
    )
    assert (str(version.version), version.status, version.current_stage) == ("1", "READY", "None")
    assert (version.source, version.run_id) == (f"runs:/{run_id}/model", run_id)
    assert (version.tags, version.description) == ({"k": "v"}, "first")


def test_model_version_numbers_count_up_and_are_not_reused(
    client: MlflowClient, name: str, register: Callable[..., str]
) -> None:
    assert [register(), register()] == ["1", "2"]
    client.delete_model_version(name, "2")
    assert register() == "3"


def test_get_model_version_returns_the_registered_version(
    client: MlflowClient, name: str, register: Callable[..., str]
) -> None:
    register()
    version = client.get_model_version(name, "1")
    assert (version.name, str(version.version), version.status) == (name, "1", "READY")


def test_update_model_version_replaces_the_description(
    client: MlflowClient, name: str, register: Callable[..., str]
) -> None:
    register()
    client.update_model_version(name, "1", description="better")
    assert client.get_model_version(name, "1").description == "better"


def test_model_version_tags_are_set_and_deleted(
    client: MlflowClient, name: str, register: Callable[..., str]
) -> None:
    register()
    client.set_model_version_tag(name, "1", "a", "1")
    client.set_model_version_tag(name, "1", "b", "2")
    client.delete_model_version_tag(name, "1", "a")
    assert client.get_model_version(name, "1").tags == {"b": "2"}


def test_delete_model_version_then_get_is_resource_does_not_exist(
    client: MlflowClient, name: str, register: Callable[..., str]
) -> None:
    register()
    client.delete_model_version(name, "1")
    assert _error_code(lambda: client.get_model_version(name, "1")) == "RESOURCE_DOES_NOT_EXIST"


def test_get_missing_model_version_is_resource_does_not_exist(
    client: MlflowClient, name: str, register: Callable[..., str]
) -> None:
    register()
    assert _error_code(lambda: client.get_model_version(name, "2")) == "RESOURCE_DOES_NOT_EXIST"


def test_create_model_version_of_a_missing_model_is_refused(
    client: MlflowClient, name: str, upload_run: Callable[..., str]
) -> None:
    run_id = upload_run()
    code = _error_code(lambda: client.create_model_version(name, f"runs:/{run_id}/model", run_id))
    assert code == "RESOURCE_DOES_NOT_EXIST"


def test_download_uri_of_a_version_downloads_its_files(
    client: MlflowClient, name: str, register: Callable[..., str], tmp_path: Path
) -> None:
    register()
    uri = client.get_model_version_download_uri(name, "1")
    local = mlflow.artifacts.download_artifacts(artifact_uri=uri, dst_path=str(tmp_path))
    assert {"MLmodel", "model.pkl"} <= {path.name for path in Path(local).iterdir()}


def test_search_model_versions_by_name(
    client: MlflowClient, name: str, register: Callable[..., str]
) -> None:
    register()
    register()
    found = client.search_model_versions(f"name = '{name}'")
    assert sorted(str(v.version) for v in found) == ["1", "2"]


def test_search_model_versions_by_run_id(
    client: MlflowClient, name: str, register: Callable[..., str]
) -> None:
    register()
    register()
    run_id = client.get_model_version(name, "2").run_id
    found = client.search_model_versions(f"run_id = '{run_id}'")
    assert [(v.name, str(v.version)) for v in found] == [(name, "2")]


def test_search_model_versions_lists_the_last_updated_first(
    client: MlflowClient, name: str, register: Callable[..., str]
) -> None:
    for _ in range(3):
        register()
    client.update_model_version(name, "2", description="touched last")
    found = client.search_model_versions(f"name = '{name}'")
    assert [str(v.version) for v in found] == ["2", "3", "1"]


def test_search_model_versions_orders_by_version_number(
    client: MlflowClient, name: str, register: Callable[..., str]
) -> None:
    for _ in range(3):
        register()
    found = client.search_model_versions(f"name = '{name}'", order_by=["version_number ASC"])
    assert [str(v.version) for v in found] == ["1", "2", "3"]


def test_search_model_versions_pages_through_every_match(
    client: MlflowClient, name: str, register: Callable[..., str]
) -> None:
    for _ in range(3):
        register()
    first = client.search_model_versions(
        f"name = '{name}'", max_results=2, order_by=["version_number DESC"]
    )
    second = client.search_model_versions(
        f"name = '{name}'",
        max_results=2,
        order_by=["version_number DESC"],
        page_token=first.token,
    )
    assert [str(v.version) for v in [*first, *second]] == ["3", "2", "1"]
    assert not second.token


# -- aliases -----------------------------------------------------------------------------------


def test_set_alias_then_get_model_version_by_alias(
    client: MlflowClient, name: str, register: Callable[..., str]
) -> None:
    register()
    register()
    client.set_registered_model_alias(name, "champion", "1")
    version = client.get_model_version_by_alias(name, "champion")
    assert (str(version.version), version.aliases) == ("1", ["champion"])


def test_aliases_show_on_the_registered_model(
    client: MlflowClient, name: str, register: Callable[..., str]
) -> None:
    register()
    register()
    client.set_registered_model_alias(name, "champion", "1")
    client.set_registered_model_alias(name, "challenger", "2")
    assert client.get_registered_model(name).aliases == {"champion": "1", "challenger": "2"}


def test_set_alias_again_moves_it(
    client: MlflowClient, name: str, register: Callable[..., str]
) -> None:
    register()
    register()
    client.set_registered_model_alias(name, "champion", "1")
    client.set_registered_model_alias(name, "champion", "2")
    assert str(client.get_model_version_by_alias(name, "champion").version) == "2"
    assert client.get_model_version(name, "1").aliases == []


def test_get_by_an_alias_that_is_not_set_is_invalid_parameter_value(
    client: MlflowClient, name: str, register: Callable[..., str]
) -> None:
    register()
    code = _error_code(lambda: client.get_model_version_by_alias(name, "champion"))
    assert code == "INVALID_PARAMETER_VALUE"


def test_delete_alias_removes_it(
    client: MlflowClient, name: str, register: Callable[..., str]
) -> None:
    register()
    client.set_registered_model_alias(name, "champion", "1")
    client.delete_registered_model_alias(name, "champion")
    assert client.get_registered_model(name).aliases == {}
    assert client.get_model_version(name, "1").aliases == []


def test_delete_of_an_alias_that_is_not_set_succeeds(
    client: MlflowClient, name: str, register: Callable[..., str]
) -> None:
    register()
    client.set_registered_model_alias(name, "champion", "1")
    client.delete_registered_model_alias(name, "challenger")
    assert client.get_registered_model(name).aliases == {"champion": "1"}


def test_deleting_a_version_removes_its_alias(
    client: MlflowClient, name: str, register: Callable[..., str]
) -> None:
    register()
    register()
    client.set_registered_model_alias(name, "champion", "2")
    client.delete_model_version(name, "2")
    assert client.get_registered_model(name).aliases == {}


def test_reserved_alias_latest_is_refused(
    client: MlflowClient, name: str, register: Callable[..., str]
) -> None:
    register()
    code = _error_code(lambda: client.set_registered_model_alias(name, "latest", "1"))
    assert code == "INVALID_PARAMETER_VALUE"


# -- stages ------------------------------------------------------------------------------------


def test_transition_with_archive_existing_versions_archives_the_previous_one(
    client: MlflowClient, name: str, register: Callable[..., str]
) -> None:
    register()
    register()
    client.transition_model_version_stage(name, "1", "Production")
    moved = client.transition_model_version_stage(
        name, "2", "production", archive_existing_versions=True
    )
    assert moved.current_stage == "Production"
    assert client.get_model_version(name, "1").current_stage == "Archived"


def test_get_latest_versions_gives_the_newest_per_stage(
    client: MlflowClient, name: str, register: Callable[..., str]
) -> None:
    for _ in range(4):
        register()
    client.transition_model_version_stage(name, "1", "Production")
    client.transition_model_version_stage(name, "2", "Production")
    client.transition_model_version_stage(name, "3", "Staging")
    every = {(v.current_stage, str(v.version)) for v in client.get_latest_versions(name)}
    assert every == {("Production", "2"), ("Staging", "3"), ("None", "4")}
    staging = client.get_latest_versions(name, stages=["Staging"])
    assert [str(v.version) for v in staging] == ["3"]


# -- loading registered models -----------------------------------------------------------------


def test_load_model_by_version_number(
    name: str, register: Callable[..., str], model_a: LogisticRegression
) -> None:
    register("a")
    register("b")
    assert _predict(f"models:/{name}/1") == _expected(model_a)


def test_load_model_by_stage(
    client: MlflowClient, name: str, register: Callable[..., str], model_a: LogisticRegression
) -> None:
    register("a")
    register("b")
    client.transition_model_version_stage(name, "1", "Production")
    assert _predict(f"models:/{name}/Production") == _expected(model_a)


def test_load_model_latest_is_the_newest_version(
    name: str, register: Callable[..., str], model_a: LogisticRegression
) -> None:
    register("b")
    register("a")
    assert _predict(f"models:/{name}/latest") == _expected(model_a)


def test_log_model_with_a_registered_name_registers_each_logged_model(
    client: MlflowClient, experiment_id: str, name: str, model_a: LogisticRegression
) -> None:
    with mlflow.start_run(experiment_id=experiment_id):
        first = _log(model_a, name)
        second = _log(model_a, name)
    sources = {str(v.version): v.source for v in client.search_model_versions(f"name = '{name}'")}
    assert sources == {"1": f"models:/{first.model_id}", "2": f"models:/{second.model_id}"}


def test_download_uri_of_a_logged_model_version_is_its_artifact_location(
    client: MlflowClient, experiment_id: str, name: str, model_a: LogisticRegression
) -> None:
    with mlflow.start_run(experiment_id=experiment_id):
        logged = _log(model_a, name)
    uri = client.get_model_version_download_uri(name, "1")
    assert uri == client.get_logged_model(logged.model_id).artifact_location


def test_load_logged_model_by_alias(
    client: MlflowClient, experiment_id: str, name: str, model_a: LogisticRegression
) -> None:
    with mlflow.start_run(experiment_id=experiment_id):
        _log(model_a, name)
    client.set_registered_model_alias(name, "champion", "1")
    assert _predict(f"models:/{name}@champion") == _expected(model_a)
