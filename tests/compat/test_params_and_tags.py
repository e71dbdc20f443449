"""Run params (immutable) and run tags (mutable) through ``MlflowClient``."""

from __future__ import annotations

import pytest
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

pytestmark = pytest.mark.compat

MAX_PARAM_VALUE_LENGTH = 6000
MAX_TAG_VALUE_LENGTH = 8000


@pytest.fixture
def run_id(client: MlflowClient, experiment_id: str) -> str:
    return client.create_run(experiment_id).info.run_id


def test_log_param_stores_value_as_string(client: MlflowClient, run_id: str) -> None:
    client.log_param(run_id, "learning_rate", 0.01)
    client.log_param(run_id, "layers", 3)

    assert client.get_run(run_id).data.params == {"learning_rate": "0.01", "layers": "3"}


def test_log_param_same_value_twice_is_accepted(client: MlflowClient, run_id: str) -> None:
    client.log_param(run_id, "optimizer", "adam")
    client.log_param(run_id, "optimizer", "adam")

    assert client.get_run(run_id).data.params == {"optimizer": "adam"}


def test_log_param_different_value_raises_invalid_parameter_value(
    client: MlflowClient, run_id: str
) -> None:
    client.log_param(run_id, "optimizer", "adam")

    with pytest.raises(MlflowException) as raised:
        client.log_param(run_id, "optimizer", "sgd")

    assert raised.value.error_code == "INVALID_PARAMETER_VALUE"
    assert client.get_run(run_id).data.params == {"optimizer": "adam"}


def test_param_key_with_spaces_slashes_and_dots_is_accepted(
    client: MlflowClient, run_id: str
) -> None:
    client.log_param(run_id, "model/encoder.depth: max", "4")

    assert client.get_run(run_id).data.params == {"model/encoder.depth: max": "4"}


@pytest.mark.parametrize("key", ["a//b", "../escape", "/absolute", "bang!", "a/./b"])
def test_invalid_param_key_raises_invalid_parameter_value(
    client: MlflowClient, run_id: str, key: str
) -> None:
    with pytest.raises(MlflowException) as raised:
        client.log_param(run_id, key, "1")

    assert raised.value.error_code == "INVALID_PARAMETER_VALUE"


def test_long_param_value_is_truncated_to_6000_characters(
    client: MlflowClient, run_id: str
) -> None:
    # The 3.17 client sends the full value; the server truncates (MLFLOW_TRUNCATE_LONG_VALUES).
    value = "".join(str(index % 10) for index in range(MAX_PARAM_VALUE_LENGTH + 1000))

    client.log_param(run_id, "long", value)

    assert client.get_run(run_id).data.params["long"] == value[:MAX_PARAM_VALUE_LENGTH]


def test_param_value_of_exactly_6000_characters_is_kept_whole(
    client: MlflowClient, run_id: str
) -> None:
    value = "p" * MAX_PARAM_VALUE_LENGTH

    client.log_param(run_id, "exact", value)

    assert client.get_run(run_id).data.params["exact"] == value


def test_set_tag_adds_and_overwrites(client: MlflowClient, run_id: str) -> None:
    client.set_tag(run_id, "stage", "dev")
    client.set_tag(run_id, "stage", "prod")
    client.set_tag(run_id, "owner", "ana")

    tags = client.get_run(run_id).data.tags
    assert tags["stage"] == "prod"
    assert tags["owner"] == "ana"


def test_set_tag_stores_non_string_value_as_string(client: MlflowClient, run_id: str) -> None:
    client.set_tag(run_id, "epochs", 12)

    assert client.get_run(run_id).data.tags["epochs"] == "12"


def test_long_tag_value_is_truncated_to_8000_characters(client: MlflowClient, run_id: str) -> None:
    value = "".join(chr(ord("a") + index % 26) for index in range(MAX_TAG_VALUE_LENGTH + 500))

    client.set_tag(run_id, "long", value)

    assert client.get_run(run_id).data.tags["long"] == value[:MAX_TAG_VALUE_LENGTH]


def test_delete_tag_removes_only_that_tag(client: MlflowClient, run_id: str) -> None:
    client.set_tag(run_id, "keep", "1")
    client.set_tag(run_id, "drop", "2")

    client.delete_tag(run_id, "drop")

    tags = client.get_run(run_id).data.tags
    assert tags["keep"] == "1"
    assert "drop" not in tags


def test_delete_missing_tag_raises_resource_does_not_exist(
    client: MlflowClient, run_id: str
) -> None:
    with pytest.raises(MlflowException) as raised:
        client.delete_tag(run_id, "never-set")

    assert raised.value.error_code == "RESOURCE_DOES_NOT_EXIST"


def test_unicode_param_and_tag_values_round_trip(client: MlflowClient, run_id: str) -> None:
    client.log_param(run_id, "greeting", "grüß dich, 世界 ✓")
    client.set_tag(run_id, "emoji", "🚢⚓")

    run = client.get_run(run_id)
    assert run.data.params["greeting"] == "grüß dich, 世界 ✓"
    assert run.data.tags["emoji"] == "🚢⚓"
