"""``shipyard.<flavor>.log_model`` on a live server: what it records, read back through ``mlflow``.

MLflow 3's ``log_model`` creates a logged model, uploads the package to it, finalizes it READY,
links it to the run as an output and, when asked, registers a version whose source is
``models:/<model id>``. Shipyard's must leave the server in the same state.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from mlflow import MlflowClient
from mlflow.entities import LoggedModelStatus
from sklearn.linear_model import LogisticRegression

import shipyard.pyfunc
import shipyard.sklearn
from shipyard import fluent

FEATURES = pd.DataFrame(np.random.default_rng(11).random((20, 2)), columns=["a", "b"])
LABELS = (FEATURES["a"] > FEATURES["b"]).astype(int)


class Unpicklable(Exception):
    pass


class CannotBePickled(shipyard.pyfunc.PythonModel):
    def predict(self, context: Any, model_input: Any, params: Any = None) -> Any:
        return model_input

    def __reduce__(self) -> Any:
        raise Unpicklable("this model cannot be saved")


@pytest.fixture
def model() -> LogisticRegression:
    return LogisticRegression().fit(FEATURES, LABELS)


def test_log_model_in_a_run_creates_a_ready_logged_model_from_that_run(
    model: LogisticRegression, client: MlflowClient, experiment_id: str
) -> None:
    with fluent.start_run(experiment_id=experiment_id) as run:
        info = shipyard.sklearn.log_model(model, "classifier")

    logged = client.get_logged_model(info.model_id)
    assert logged.status == LoggedModelStatus.READY
    assert logged.name == "classifier"
    assert logged.source_run_id == run.info.run_id
    assert logged.experiment_id == experiment_id


def test_log_model_in_a_run_records_the_model_as_an_output_of_the_run(
    model: LogisticRegression, client: MlflowClient, experiment_id: str
) -> None:
    with fluent.start_run(experiment_id=experiment_id) as run:
        info = shipyard.sklearn.log_model(model, "classifier")

    outputs = client.get_run(run.info.run_id).outputs
    assert [output.model_id for output in outputs.model_outputs] == [info.model_id]


def test_log_model_returns_the_uris_and_flavors_of_what_it_logged(
    model: LogisticRegression, client: MlflowClient, experiment_id: str
) -> None:
    with fluent.start_run(experiment_id=experiment_id) as run:
        info = shipyard.sklearn.log_model(model, "classifier")

    logged = client.get_logged_model(info.model_id)
    assert info.model_uri == f"models:/{info.model_id}"
    assert info.artifact_uri == logged.artifact_location
    assert info.run_id == run.info.run_id
    assert info.registered_model_version is None
    assert {"sklearn", "python_function"} <= set(info.flavors)


def test_log_model_uploads_the_package_to_the_logged_models_artifacts(
    model: LogisticRegression, client: MlflowClient, experiment_id: str
) -> None:
    with fluent.start_run(experiment_id=experiment_id):
        info = shipyard.sklearn.log_model(model, "classifier", input_example=FEATURES.head(2))

    files = {f.path for f in client.list_logged_model_artifacts(info.model_id)}
    assert {"MLmodel", "model.pkl", "requirements.txt", "input_example.json"} <= files


def test_log_model_records_the_given_params_and_tags_on_the_logged_model(
    model: LogisticRegression, client: MlflowClient, experiment_id: str
) -> None:
    with fluent.start_run(experiment_id=experiment_id):
        info = shipyard.sklearn.log_model(
            model, "classifier", params={"C": 1.0}, tags={"team": "risk"}
        )

    logged = client.get_logged_model(info.model_id)
    assert logged.params == {"C": "1.0"}
    assert logged.tags["team"] == "risk"


def test_log_model_copies_the_runs_params_onto_the_logged_model_as_mlflow_does(
    model: LogisticRegression, client: MlflowClient, experiment_id: str
) -> None:
    # mlflow.<flavor>.log_model merges the active run's params into the logged model's, which
    # is what makes logged models searchable and comparable by hyperparameter.
    with fluent.start_run(experiment_id=experiment_id):
        fluent.log_param("max_iter", 100)
        info = shipyard.sklearn.log_model(model, "classifier", params={"C": 1.0})

    assert client.get_logged_model(info.model_id).params == {"max_iter": "100", "C": "1.0"}


def test_log_model_without_an_active_run_logs_to_the_current_experiment_without_a_run(
    model: LogisticRegression, client: MlflowClient, experiment_id: str
) -> None:
    fluent.set_experiment(experiment_id=experiment_id)

    info = shipyard.sklearn.log_model(model, "classifier")

    logged = client.get_logged_model(info.model_id)
    assert logged.experiment_id == experiment_id
    assert not logged.source_run_id  # MLflow's servers answer "" for a model without a run
    assert info.run_id is None
    assert logged.status == LoggedModelStatus.READY
    assert fluent.active_run() is None


def test_log_model_with_a_registered_model_name_registers_version_one_from_the_logged_model(
    model: LogisticRegression,
    client: MlflowClient,
    experiment_id: str,
    unique_name: Callable[[str], str],
) -> None:
    name = unique_name("log-model-register")

    with fluent.start_run(experiment_id=experiment_id) as run:
        info = shipyard.sklearn.log_model(model, "classifier", registered_model_name=name)

    version = client.get_model_version(name, "1")
    assert info.registered_model_version == 1
    assert version.source == f"models:/{info.model_id}"
    assert version.run_id == run.info.run_id
    assert version.status == "READY"


def test_log_model_to_an_existing_registered_model_adds_the_next_version(
    model: LogisticRegression,
    client: MlflowClient,
    experiment_id: str,
    unique_name: Callable[[str], str],
) -> None:
    name = unique_name("log-model-next-version")
    client.create_registered_model(name, description="kept")

    with fluent.start_run(experiment_id=experiment_id):
        first = shipyard.sklearn.log_model(model, "classifier", registered_model_name=name)
        second = shipyard.sklearn.log_model(model, "classifier", registered_model_name=name)

    assert (first.registered_model_version, second.registered_model_version) == (1, 2)
    assert client.get_registered_model(name).description == "kept"


def test_log_model_puts_the_given_tags_on_the_registered_version_as_mlflow_does(
    model: LogisticRegression,
    client: MlflowClient,
    experiment_id: str,
    unique_name: Callable[[str], str],
) -> None:
    name = unique_name("log-model-version-tags")

    with fluent.start_run(experiment_id=experiment_id):
        shipyard.sklearn.log_model(
            model, "classifier", tags={"team": "risk"}, registered_model_name=name
        )

    assert client.get_model_version(name, "1").tags == {"team": "risk"}


def test_a_model_that_fails_to_save_leaves_a_failed_logged_model_and_no_version(
    client: MlflowClient, experiment_id: str, unique_name: Callable[[str], str]
) -> None:
    name = unique_name("log-model-failed")

    with fluent.start_run(experiment_id=experiment_id), pytest.raises(Unpicklable):
        shipyard.pyfunc.log_model(
            "broken", python_model=CannotBePickled(), registered_model_name=name
        )

    [logged] = client.search_logged_models(experiment_ids=[experiment_id])
    assert (logged.name, logged.status) == ("broken", LoggedModelStatus.FAILED)
    assert client.search_registered_models(filter_string=f"name = '{name}'") == []
