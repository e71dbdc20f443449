"""Dataset inputs: ``mlflow.log_input`` and searching runs by dataset."""

from __future__ import annotations

import json

import mlflow
import mlflow.data
import pandas as pd
import pytest
from mlflow import MlflowClient

pytestmark = pytest.mark.compat


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame({"sepal_length": [5.1, 4.9, 6.3], "label": [0.0, 0.0, 1.0]})


def _log_run_with_input(
    experiment_id: str, dataset: mlflow.data.dataset.Dataset, context: str
) -> str:
    with mlflow.start_run(experiment_id=experiment_id) as run:
        mlflow.log_input(dataset, context=context)
    return run.info.run_id


def test_log_input_records_dataset_name_digest_and_context(
    client: MlflowClient, experiment_id: str, frame: pd.DataFrame
) -> None:
    dataset = mlflow.data.from_pandas(frame, name="iris-train")

    run_id = _log_run_with_input(experiment_id, dataset, "training")

    [dataset_input] = client.get_run(run_id).inputs.dataset_inputs
    assert dataset_input.dataset.name == "iris-train"
    assert dataset_input.dataset.digest == dataset.digest
    assert {tag.key: tag.value for tag in dataset_input.tags} == {"mlflow.data.context": "training"}


def test_log_input_round_trips_every_dataset_field(
    client: MlflowClient, experiment_id: str, frame: pd.DataFrame
) -> None:
    dataset = mlflow.data.from_pandas(frame, name="profiled")
    sent = dataset.to_dict()

    run_id = _log_run_with_input(experiment_id, dataset, "training")

    [dataset_input] = client.get_run(run_id).inputs.dataset_inputs
    stored = dataset_input.dataset
    assert {field: getattr(stored, field) for field in sent} == sent
    assert json.loads(stored.profile) == {"num_rows": 3, "num_elements": 6}


def test_log_input_with_two_datasets_records_both(
    client: MlflowClient, experiment_id: str, frame: pd.DataFrame
) -> None:
    with mlflow.start_run(experiment_id=experiment_id) as run:
        mlflow.log_input(mlflow.data.from_pandas(frame, name="train"), context="training")
        mlflow.log_input(mlflow.data.from_pandas(frame.head(2), name="eval"), context="eval")

    inputs = client.get_run(run.info.run_id).inputs.dataset_inputs
    contexts = {
        item.dataset.name: {tag.key: tag.value for tag in item.tags}["mlflow.data.context"]
        for item in inputs
    }
    assert contexts == {"train": "training", "eval": "eval"}


def test_log_input_twice_records_dataset_once(
    client: MlflowClient, experiment_id: str, frame: pd.DataFrame
) -> None:
    dataset = mlflow.data.from_pandas(frame, name="repeated")
    with mlflow.start_run(experiment_id=experiment_id) as run:
        mlflow.log_input(dataset, context="training")
        mlflow.log_input(dataset, context="training")

    assert len(client.get_run(run.info.run_id).inputs.dataset_inputs) == 1


def test_run_without_inputs_has_no_dataset_inputs(client: MlflowClient, experiment_id: str) -> None:
    run_id = client.create_run(experiment_id).info.run_id

    assert client.get_run(run_id).inputs.dataset_inputs == []


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("datasets.name = 'train-set'", {"train"}),
        ("datasets.name != 'train-set'", {"eval"}),
        ("datasets.name IN ('train-set', 'eval-set')", {"train", "eval"}),
        ("datasets.name LIKE 'eval%'", {"eval"}),
        ("datasets.context = 'training'", {"train"}),
        ("datasets.digest = '{train_digest}'", {"train"}),
        ("dataset.name = 'eval-set' AND datasets.context = 'eval'", {"eval"}),
    ],
)
def test_search_runs_filters_on_datasets(
    client: MlflowClient,
    experiment_id: str,
    frame: pd.DataFrame,
    template: str,
    expected: set[str],
) -> None:
    train = mlflow.data.from_pandas(frame, name="train-set")
    evaluation = mlflow.data.from_pandas(frame.head(1), name="eval-set")
    runs = {
        _log_run_with_input(experiment_id, train, "training"): "train",
        _log_run_with_input(experiment_id, evaluation, "eval"): "eval",
        client.create_run(experiment_id).info.run_id: "none",
    }

    found = client.search_runs([experiment_id], template.format(train_digest=train.digest))

    assert {runs[run.info.run_id] for run in found} == expected
