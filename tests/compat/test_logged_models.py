"""MLflow 3 logged models, created through the client APIs (no model files are uploaded here)."""

from __future__ import annotations

import time
from collections.abc import Callable

import mlflow
import mlflow.data
import pandas as pd
import pytest
from mlflow import MlflowClient
from mlflow.entities import LoggedModelOutput, LoggedModelStatus
from mlflow.exceptions import MlflowException

pytestmark = pytest.mark.compat


def test_create_logged_model_returns_pending_model_with_its_fields(
    client: MlflowClient, experiment_id: str
) -> None:
    run_id = client.create_run(experiment_id).info.run_id

    model = client.create_logged_model(
        experiment_id,
        name="classifier",
        source_run_id=run_id,
        tags={"framework": "none"},
        params={"depth": "3"},
        model_type="agent",
    )

    assert model.model_id.startswith("m-")
    assert model.experiment_id == experiment_id
    assert model.name == "classifier"
    assert model.source_run_id == run_id
    assert model.model_type == "agent"
    assert model.status == LoggedModelStatus.PENDING
    assert model.tags == {"framework": "none"}
    assert model.params == {"depth": "3"}
    assert model.model_uri == f"models:/{model.model_id}"
    assert model.creation_timestamp > 0


def test_logged_model_artifact_location_is_proxied_under_its_experiment(
    client: MlflowClient, experiment_id: str
) -> None:
    model = client.create_logged_model(experiment_id, name="located")

    location = client.get_experiment(experiment_id).artifact_location.rstrip("/")

    assert model.artifact_location.startswith(f"{location}/")
    assert model.model_id in model.artifact_location


def test_initialize_logged_model_creates_pending_model(
    client: MlflowClient, experiment_id: str
) -> None:
    model = mlflow.initialize_logged_model(name="fluent-model", experiment_id=experiment_id)

    fetched = client.get_logged_model(model.model_id)
    assert fetched.name == "fluent-model"
    assert fetched.status == LoggedModelStatus.PENDING


def test_get_logged_model_returns_what_was_created(
    client: MlflowClient, experiment_id: str
) -> None:
    created = client.create_logged_model(
        experiment_id, name="fetched", tags={"k": "v"}, params={"p": "1"}
    )

    fetched = client.get_logged_model(created.model_id)

    assert fetched.model_id == created.model_id
    assert fetched.name == "fetched"
    assert fetched.tags == {"k": "v"}
    assert fetched.params == {"p": "1"}
    assert fetched.artifact_location == created.artifact_location


def test_get_missing_logged_model_raises_resource_does_not_exist(client: MlflowClient) -> None:
    with pytest.raises(MlflowException) as raised:
        client.get_logged_model("m-0123456789abcdef0123456789abcdef")

    assert raised.value.error_code == "RESOURCE_DOES_NOT_EXIST"


@pytest.mark.parametrize(
    ("final_status", "expected"),
    [("READY", LoggedModelStatus.READY), ("FAILED", LoggedModelStatus.FAILED)],
)
def test_finalize_logged_model_sets_final_status(
    client: MlflowClient, experiment_id: str, final_status: str, expected: LoggedModelStatus
) -> None:
    model = client.create_logged_model(experiment_id, name="finalized")

    returned = client.finalize_logged_model(model.model_id, final_status)

    assert returned.status == expected
    assert client.get_logged_model(model.model_id).status == expected


def test_set_logged_model_tags_adds_and_overwrites(
    client: MlflowClient, experiment_id: str
) -> None:
    model = client.create_logged_model(experiment_id, name="tagged", tags={"stage": "dev"})

    client.set_logged_model_tags(model.model_id, {"stage": "prod", "owner": "ana"})

    assert client.get_logged_model(model.model_id).tags == {"stage": "prod", "owner": "ana"}


def test_delete_logged_model_tag_removes_only_that_tag(
    client: MlflowClient, experiment_id: str
) -> None:
    model = client.create_logged_model(experiment_id, name="untag", tags={"a": "1", "b": "2"})

    client.delete_logged_model_tag(model.model_id, "a")

    assert client.get_logged_model(model.model_id).tags == {"b": "2"}


def test_delete_missing_logged_model_tag_raises_resource_does_not_exist(
    client: MlflowClient, experiment_id: str
) -> None:
    model = client.create_logged_model(experiment_id, name="no-tag")

    with pytest.raises(MlflowException) as raised:
        client.delete_logged_model_tag(model.model_id, "never-set")

    assert raised.value.error_code == "RESOURCE_DOES_NOT_EXIST"


def test_log_model_params_adds_to_existing_params(client: MlflowClient, experiment_id: str) -> None:
    model = client.create_logged_model(experiment_id, name="params", params={"depth": "3"})

    client.log_model_params(model.model_id, {"lr": "0.1", "epochs": "10"})

    assert client.get_logged_model(model.model_id).params == {
        "depth": "3",
        "lr": "0.1",
        "epochs": "10",
    }


def test_delete_logged_model_hides_it_from_get_and_search(
    client: MlflowClient, experiment_id: str
) -> None:
    kept = client.create_logged_model(experiment_id, name="kept")
    deleted = client.create_logged_model(experiment_id, name="deleted")

    client.delete_logged_model(deleted.model_id)

    with pytest.raises(MlflowException) as raised:
        client.get_logged_model(deleted.model_id)
    assert raised.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    found = client.search_logged_models([experiment_id])
    assert [model.model_id for model in found] == [kept.model_id]


def test_search_logged_models_filters_by_name(client: MlflowClient, experiment_id: str) -> None:
    wanted = client.create_logged_model(experiment_id, name="wanted")
    client.create_logged_model(experiment_id, name="other")

    found = client.search_logged_models([experiment_id], filter_string="name = 'wanted'")

    assert [model.model_id for model in found] == [wanted.model_id]


def test_search_logged_models_filters_by_tag_and_param(
    client: MlflowClient, experiment_id: str
) -> None:
    match = client.create_logged_model(
        experiment_id, name="match", tags={"env": "prod"}, params={"size": "large"}
    )
    client.create_logged_model(
        experiment_id, name="wrong-tag", tags={"env": "dev"}, params={"size": "large"}
    )
    client.create_logged_model(
        experiment_id, name="wrong-param", tags={"env": "prod"}, params={"size": "small"}
    )

    found = client.search_logged_models(
        [experiment_id], filter_string="tags.env = 'prod' AND params.size = 'large'"
    )

    assert [model.model_id for model in found] == [match.model_id]


def test_search_logged_models_default_order_is_newest_first(
    client: MlflowClient, experiment_id: str
) -> None:
    created = []
    for name in ("first", "second", "third"):
        created.append(client.create_logged_model(experiment_id, name=name).model_id)
        time.sleep(0.005)  # creation timestamps have millisecond resolution

    found = client.search_logged_models([experiment_id])

    assert [model.model_id for model in found] == created[::-1]


@pytest.mark.parametrize(
    ("ascending", "expected"), [(True, ["a", "b", "c"]), (False, ["c", "b", "a"])]
)
def test_search_logged_models_order_by_name(
    client: MlflowClient, experiment_id: str, ascending: bool, expected: list[str]
) -> None:
    for name in ("b", "c", "a"):
        client.create_logged_model(experiment_id, name=name)

    found = client.search_logged_models(
        [experiment_id], order_by=[{"field_name": "name", "ascending": ascending}]
    )

    assert [model.name for model in found] == expected


def test_search_logged_models_pages_with_max_results(
    client: MlflowClient, experiment_id: str
) -> None:
    for name in ("a", "b", "c"):
        client.create_logged_model(experiment_id, name=name)
    order_by = [{"field_name": "name", "ascending": True}]

    first = client.search_logged_models([experiment_id], max_results=2, order_by=order_by)
    second = client.search_logged_models(
        [experiment_id], max_results=2, order_by=order_by, page_token=first.token
    )

    assert [model.name for model in first] == ["a", "b"]
    assert first.token
    assert [model.name for model in second] == ["c"]
    assert not second.token


def test_search_logged_models_is_scoped_to_experiments(
    client: MlflowClient, experiment_id: str, unique_name: Callable[[str], str]
) -> None:
    mine = client.create_logged_model(experiment_id, name="mine")
    other_experiment = client.create_experiment(unique_name("other-models"))
    client.create_logged_model(other_experiment, name="theirs")

    found = client.search_logged_models([experiment_id])

    assert [model.model_id for model in found] == [mine.model_id]


def test_log_metric_with_model_id_shows_in_logged_model_metrics(
    client: MlflowClient, experiment_id: str
) -> None:
    run_id = client.create_run(experiment_id).info.run_id
    model = client.create_logged_model(experiment_id, name="scored", source_run_id=run_id)

    mlflow.log_metric("accuracy", 0.93, step=3, run_id=run_id, model_id=model.model_id)

    [metric] = client.get_logged_model(model.model_id).metrics
    assert (metric.key, metric.value, metric.step) == ("accuracy", 0.93, 3)
    assert metric.model_id == model.model_id
    assert metric.run_id == run_id
    assert client.get_run(run_id).data.metrics["accuracy"] == 0.93


def test_search_logged_models_filters_by_metric(client: MlflowClient, experiment_id: str) -> None:
    run_id = client.create_run(experiment_id).info.run_id
    good = client.create_logged_model(experiment_id, name="good", source_run_id=run_id)
    bad = client.create_logged_model(experiment_id, name="bad", source_run_id=run_id)
    mlflow.log_metric("accuracy", 0.95, run_id=run_id, model_id=good.model_id)
    mlflow.log_metric("accuracy", 0.55, run_id=run_id, model_id=bad.model_id)

    found = client.search_logged_models([experiment_id], filter_string="metrics.accuracy > 0.9")

    assert [model.model_id for model in found] == [good.model_id]


def test_search_logged_models_order_by_metric(client: MlflowClient, experiment_id: str) -> None:
    run_id = client.create_run(experiment_id).info.run_id
    scores = {"low": 0.2, "high": 0.8, "mid": 0.5}
    for name, score in scores.items():
        model = client.create_logged_model(experiment_id, name=name, source_run_id=run_id)
        mlflow.log_metric("f1", score, run_id=run_id, model_id=model.model_id)

    found = client.search_logged_models(
        [experiment_id], order_by=[{"field_name": "metrics.f1", "ascending": False}]
    )

    assert [model.name for model in found] == ["high", "mid", "low"]


def test_log_metric_with_model_and_dataset_records_both_links(
    client: MlflowClient, experiment_id: str
) -> None:
    run_id = client.create_run(experiment_id).info.run_id
    model = client.create_logged_model(experiment_id, name="evaluated", source_run_id=run_id)
    holdout = mlflow.data.from_pandas(pd.DataFrame({"x": [1.0, 2.0]}), name="holdout")

    mlflow.log_metric("acc", 0.9, run_id=run_id, model_id=model.model_id, dataset=holdout)

    [metric] = client.get_logged_model(model.model_id).metrics
    assert (metric.dataset_name, metric.dataset_digest) == ("holdout", holdout.digest)
    # The client also records the dataset and the model as inputs of the run.
    inputs = client.get_run(run_id).inputs
    assert [item.dataset.name for item in inputs.dataset_inputs] == ["holdout"]
    assert [item.model_id for item in inputs.model_inputs] == [model.model_id]


def test_search_logged_models_scopes_metric_filter_to_a_dataset(
    client: MlflowClient, experiment_id: str
) -> None:
    run_id = client.create_run(experiment_id).info.run_id
    holdout = mlflow.data.from_pandas(pd.DataFrame({"x": [1.0, 2.0]}), name="holdout")
    other = mlflow.data.from_pandas(pd.DataFrame({"x": [3.0]}), name="other")
    on_holdout = client.create_logged_model(experiment_id, name="a", source_run_id=run_id)
    on_other = client.create_logged_model(experiment_id, name="b", source_run_id=run_id)
    mlflow.log_metric("acc", 0.9, run_id=run_id, model_id=on_holdout.model_id, dataset=holdout)
    mlflow.log_metric("acc", 0.95, run_id=run_id, model_id=on_other.model_id, dataset=other)

    # MLflow 3.17 matches nothing when only dataset_name is given, so the digest is passed too.
    found = client.search_logged_models(
        [experiment_id],
        filter_string="metrics.acc > 0.5",
        datasets=[{"dataset_name": "holdout", "dataset_digest": holdout.digest}],
    )

    assert [model.model_id for model in found] == [on_holdout.model_id]


def test_log_outputs_links_model_to_run(client: MlflowClient, experiment_id: str) -> None:
    run_id = client.create_run(experiment_id).info.run_id
    model = client.create_logged_model(experiment_id, name="output", source_run_id=run_id)

    client.log_outputs(run_id, [LoggedModelOutput(model.model_id, step=2)])

    outputs = client.get_run(run_id).outputs.model_outputs
    assert [(output.model_id, output.step) for output in outputs] == [(model.model_id, 2)]


def test_run_without_outputs_has_no_model_outputs(client: MlflowClient, experiment_id: str) -> None:
    run_id = client.create_run(experiment_id).info.run_id

    outputs = client.get_run(run_id).outputs

    assert outputs is None or outputs.model_outputs == []
