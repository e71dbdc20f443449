"""What runs used and produced: dataset inputs, model inputs and model outputs."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import func, select

from shipyard.domain.entities import Dataset, DatasetInput, ModelOutput
from shipyard.domain.errors import InvalidParameter, LimitExceeded, NotFound
from shipyard.store.schema import datasets
from shipyard.store.tracking import TrackingStore

RunFactory = Callable[..., str]
UNKNOWN_MODEL = "m-" + "0" * 32


def dataset(name: str = "mnist", digest: str = "abc123", **extra: str) -> Dataset:
    return Dataset(name=name, digest=digest, source_type="s3", source="s3://data/mnist", **extra)


def used(name: str = "mnist", digest: str = "abc123", **tags: str) -> DatasetInput:
    return DatasetInput(dataset(name, digest), dict(tags))


def count_datasets(store: TrackingStore) -> int:
    return int(
        store.db.read(lambda c: c.execute(select(func.count()).select_from(datasets)).scalar_one())
    )


# -- datasets -----------------------------------------------------------------------------------


def test_log_inputs_attaches_the_dataset_with_its_fields(store: TrackingStore, run_id: str) -> None:
    full = Dataset("mnist", "abc123", "s3", "s3://data/mnist", schema='{"a": 1}', profile="{}")

    store.log_inputs(run_id, datasets=[DatasetInput(full, {"mlflow.data.context": "train"})])

    (attached,) = store.get_run(run_id).dataset_inputs
    assert attached == DatasetInput(full, {"mlflow.data.context": "train"})


def test_log_inputs_twice_attaches_the_dataset_once(store: TrackingStore, run_id: str) -> None:
    store.log_inputs(run_id, datasets=[used()])

    store.log_inputs(run_id, datasets=[used()])

    assert len(store.get_run(run_id).dataset_inputs) == 1
    assert count_datasets(store) == 1


def test_log_inputs_of_the_same_dataset_in_two_runs_stores_it_once(
    store: TrackingStore, make_run: RunFactory
) -> None:
    first, second = make_run(), make_run()

    store.log_inputs(first, datasets=[used()])
    store.log_inputs(second, datasets=[used()])

    assert count_datasets(store) == 1
    assert store.get_run(second).dataset_inputs[0].dataset == dataset()


def test_log_inputs_of_the_same_dataset_in_two_experiments_stores_it_per_experiment(
    store: TrackingStore, make_run: RunFactory
) -> None:
    other = store.create_experiment("other")

    store.log_inputs(make_run(), datasets=[used()])
    store.log_inputs(make_run(experiment=other), datasets=[used()])

    assert count_datasets(store) == 2


def test_log_inputs_of_a_new_digest_stores_a_new_dataset(store: TrackingStore, run_id: str) -> None:
    store.log_inputs(run_id, datasets=[used(digest="v1"), used(digest="v2")])

    digests = [item.dataset.digest for item in store.get_run(run_id).dataset_inputs]
    assert sorted(digests) == ["v1", "v2"]
    assert count_datasets(store) == 2


def test_log_inputs_keeps_the_tags_of_each_use(store: TrackingStore, make_run: RunFactory) -> None:
    train, evaluate = make_run(), make_run()

    store.log_inputs(train, datasets=[used(**{"mlflow.data.context": "train"})])
    store.log_inputs(evaluate, datasets=[used(**{"mlflow.data.context": "eval"})])

    assert store.get_run(train).dataset_inputs[0].tags == {"mlflow.data.context": "train"}
    assert store.get_run(evaluate).dataset_inputs[0].tags == {"mlflow.data.context": "eval"}


def test_log_inputs_to_a_deleted_run_is_refused(store: TrackingStore, run_id: str) -> None:
    store.delete_run(run_id)

    with pytest.raises(InvalidParameter, match="active"):
        store.log_inputs(run_id, datasets=[used()])


def test_log_inputs_to_an_unknown_run_raises_not_found(store: TrackingStore) -> None:
    with pytest.raises(NotFound):
        store.log_inputs("0123456789abcdef0123456789abcdef", datasets=[used()])


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param(used(name="n" * 501), id="long-name"),
        pytest.param(used(digest="d" * 37), id="long-digest"),
        pytest.param(DatasetInput(dataset(), {"k" * 256: "v"}), id="long-tag-key"),
        pytest.param(DatasetInput(dataset(), {"k": "v" * 501}), id="long-tag-value"),
    ],
)
def test_log_inputs_refuses_a_field_over_its_limit(
    store: TrackingStore, run_id: str, bad: DatasetInput
) -> None:
    with pytest.raises(LimitExceeded):
        store.log_inputs(run_id, datasets=[bad])


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param(used(name=""), id="no-name"),
        pytest.param(used(digest=""), id="no-digest"),
        pytest.param(DatasetInput(dataset(), {"": "v"}), id="empty-tag-key"),
    ],
)
def test_log_inputs_refuses_a_missing_field(
    store: TrackingStore, run_id: str, bad: DatasetInput
) -> None:
    with pytest.raises(InvalidParameter):
        store.log_inputs(run_id, datasets=[bad])


def test_log_inputs_refuses_more_than_1000_datasets(store: TrackingStore, run_id: str) -> None:
    with pytest.raises(InvalidParameter, match="at most 1000"):
        store.log_inputs(run_id, datasets=[used(digest=str(i)) for i in range(1001)])


# -- model inputs -------------------------------------------------------------------------------


def test_log_inputs_records_model_inputs(
    store: TrackingStore, experiment_id: str, run_id: str
) -> None:
    model = store.create_logged_model(experiment_id=experiment_id)

    store.log_inputs(run_id, model_ids=[model.model_id])

    assert store.get_run(run_id).model_inputs == [model.model_id]


def test_log_inputs_of_a_model_twice_records_it_once(
    store: TrackingStore, experiment_id: str, run_id: str
) -> None:
    model = store.create_logged_model(experiment_id=experiment_id)

    store.log_inputs(run_id, model_ids=[model.model_id, model.model_id])
    store.log_inputs(run_id, model_ids=[model.model_id])

    assert store.get_run(run_id).model_inputs == [model.model_id]


def test_log_inputs_refuses_a_malformed_model_id(store: TrackingStore, run_id: str) -> None:
    with pytest.raises(InvalidParameter, match="model id"):
        store.log_inputs(run_id, model_ids=["not-a-model"])


# -- model outputs ------------------------------------------------------------------------------


def test_log_outputs_records_the_model_and_step(
    store: TrackingStore, experiment_id: str, run_id: str
) -> None:
    model = store.create_logged_model(experiment_id=experiment_id)

    store.log_outputs(run_id, [ModelOutput(model.model_id, step=3)])

    assert store.get_run(run_id).model_outputs == [ModelOutput(model.model_id, 3)]


def test_log_outputs_twice_records_the_output_once(
    store: TrackingStore, experiment_id: str, run_id: str
) -> None:
    model = store.create_logged_model(experiment_id=experiment_id)

    store.log_outputs(run_id, [ModelOutput(model.model_id, step=3)])
    store.log_outputs(run_id, [ModelOutput(model.model_id, step=3)])

    assert len(store.get_run(run_id).model_outputs) == 1


def test_log_outputs_of_an_unknown_model_raises_not_found(
    store: TrackingStore, run_id: str
) -> None:
    with pytest.raises(NotFound, match=UNKNOWN_MODEL):
        store.log_outputs(run_id, [ModelOutput(UNKNOWN_MODEL)])


def test_log_outputs_with_one_unknown_model_records_none(
    store: TrackingStore, experiment_id: str, run_id: str
) -> None:
    model = store.create_logged_model(experiment_id=experiment_id)

    with pytest.raises(NotFound):
        store.log_outputs(run_id, [ModelOutput(model.model_id), ModelOutput(UNKNOWN_MODEL)])

    assert store.get_run(run_id).model_outputs == []


def test_log_outputs_to_a_deleted_run_is_refused(
    store: TrackingStore, experiment_id: str, run_id: str
) -> None:
    model = store.create_logged_model(experiment_id=experiment_id)
    store.delete_run(run_id)

    with pytest.raises(InvalidParameter, match="active"):
        store.log_outputs(run_id, [ModelOutput(model.model_id)])
