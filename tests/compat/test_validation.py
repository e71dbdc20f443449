"""Server-side validation of names, keys and lengths (the 3.17 client checks none of these)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from mlflow import MlflowClient
from mlflow.entities import Metric, Param, RunTag
from mlflow.exceptions import MlflowException

pytestmark = pytest.mark.compat

MAX_KEY_LENGTH = 250
MAX_EXPERIMENT_NAME_LENGTH = 500
MAX_EXPERIMENT_TAG_VALUE_LENGTH = 20_000


@pytest.fixture
def run_id(client: MlflowClient, experiment_id: str) -> str:
    return client.create_run(experiment_id).info.run_id


REJECTED_RUN_WRITES = {
    "param key of 251 chars": lambda c, r: c.log_param(r, "k" * (MAX_KEY_LENGTH + 1), "v"),
    "tag key of 251 chars": lambda c, r: c.set_tag(r, "k" * (MAX_KEY_LENGTH + 1), "v"),
    "metric key of 251 chars": lambda c, r: c.log_metric(r, "k" * (MAX_KEY_LENGTH + 1), 1.0),
    "metric key with //": lambda c, r: c.log_metric(r, "a//b", 1.0),
    "tag key starting with /": lambda c, r: c.set_tag(r, "/abs", "v"),
    "batch metric key with ..": lambda c, r: c.log_batch(r, metrics=[Metric("../x", 1.0, 1, 0)]),
    "batch param key with !": lambda c, r: c.log_batch(r, params=[Param("bad!", "1")]),
    "batch tag key starting with /": lambda c, r: c.log_batch(r, tags=[RunTag("/x", "1")]),
}


@pytest.mark.parametrize("write", REJECTED_RUN_WRITES.values(), ids=REJECTED_RUN_WRITES.keys())
def test_invalid_run_write_raises_invalid_parameter_value(
    client: MlflowClient, run_id: str, write: Callable[[MlflowClient, str], object]
) -> None:
    with pytest.raises(MlflowException) as raised:
        write(client, run_id)

    assert raised.value.error_code == "INVALID_PARAMETER_VALUE"


def test_keys_of_exactly_250_characters_are_accepted(client: MlflowClient, run_id: str) -> None:
    key = "k" * MAX_KEY_LENGTH

    client.log_param(run_id, key, "p")
    client.set_tag(run_id, key, "t")
    client.log_metric(run_id, key, 1.0)

    data = client.get_run(run_id).data
    assert (data.params[key], data.tags[key], data.metrics[key]) == ("p", "t", 1.0)


def test_log_batch_relogging_same_param_value_is_accepted(
    client: MlflowClient, run_id: str
) -> None:
    client.log_param(run_id, "fixed", "1")

    client.log_batch(run_id, params=[Param("fixed", "1"), Param("fresh", "2")])

    assert client.get_run(run_id).data.params == {"fixed": "1", "fresh": "2"}


def test_experiment_tag_value_over_20000_characters_is_rejected_not_truncated(
    client: MlflowClient, experiment_id: str
) -> None:
    with pytest.raises(MlflowException) as raised:
        client.set_experiment_tag(experiment_id, "big", "v" * (MAX_EXPERIMENT_TAG_VALUE_LENGTH + 1))

    assert raised.value.error_code == "INVALID_PARAMETER_VALUE"
    assert "big" not in client.get_experiment(experiment_id).tags


def test_experiment_tag_value_of_20000_characters_is_kept_whole(
    client: MlflowClient, experiment_id: str
) -> None:
    value = "v" * MAX_EXPERIMENT_TAG_VALUE_LENGTH

    client.set_experiment_tag(experiment_id, "big", value)

    assert client.get_experiment(experiment_id).tags["big"] == value


@pytest.mark.parametrize(
    "name", ["", "n" * (MAX_EXPERIMENT_NAME_LENGTH + 1)], ids=["empty", "501-chars"]
)
def test_invalid_experiment_name_raises_invalid_parameter_value(
    client: MlflowClient, name: str
) -> None:
    with pytest.raises(MlflowException) as raised:
        client.create_experiment(name)

    assert raised.value.error_code == "INVALID_PARAMETER_VALUE"
