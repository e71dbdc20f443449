"""Input checks: every limit, where it starts to apply, and what the refusal says."""

from __future__ import annotations

import math

import pytest

from shipyard.domain import validation
from shipyard.domain.errors import InvalidParameter, LimitExceeded

# -- keys ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key", ["loss", "a/b/c", "a.b", "with space", "ns:key", "dash-and_under", "Ünïcode", "x" * 250]
)
def test_check_key_accepts_a_valid_key(key: str) -> None:
    assert validation.check_key(key) == key


def test_check_key_refuses_an_empty_key_as_missing() -> None:
    with pytest.raises(InvalidParameter, match="Missing value for required parameter 'key'"):
        validation.check_key("")


def test_check_key_refuses_a_key_over_250_characters() -> None:
    with pytest.raises(LimitExceeded, match="'key' exceeds the maximum length of 250"):
        validation.check_key("x" * 251)


@pytest.mark.parametrize("key", ["bad!", "semi;colon", "tab\tkey", "new\nline", "a*b", "q?"])
def test_check_key_refuses_characters_outside_the_allowed_set(key: str) -> None:
    with pytest.raises(InvalidParameter, match="may only contain alphanumerics") as raised:
        validation.check_key(key)
    assert not isinstance(raised.value, LimitExceeded)


@pytest.mark.parametrize("key", ["a//b", "../x", "/x", ".", "a/./b", "a/", "a/../b", "..", "./a"])
def test_check_key_refuses_a_key_that_is_not_its_own_path(key: str) -> None:
    with pytest.raises(InvalidParameter, match="must not resolve to another name"):
        validation.check_key(key)


def test_check_key_names_the_field_in_its_message() -> None:
    with pytest.raises(InvalidParameter, match="parameter 'tag key'"):
        validation.check_key("bad!", "tag key")


# -- lengths and truncation ---------------------------------------------------------------------


def test_check_length_accepts_a_value_at_the_limit() -> None:
    assert validation.check_length("x" * 10, 10, "field") == "x" * 10


def test_check_length_refuses_a_value_over_the_limit_naming_field_and_sizes() -> None:
    with pytest.raises(LimitExceeded, match=r"'field' exceeds the maximum length of 10 .*got 11"):
        validation.check_length("x" * 11, 10, "field")


def test_truncate_cuts_a_value_to_the_limit() -> None:
    assert validation.truncate("abcdef", 4) == "abcd"


def test_truncate_keeps_a_value_within_the_limit() -> None:
    assert validation.truncate("abc", 4) == "abc"


def test_limits_match_mlflows() -> None:
    assert (
        validation.MAX_KEY_LENGTH,
        validation.MAX_PARAM_VALUE_LENGTH,
        validation.MAX_RUN_TAG_VALUE_LENGTH,
        validation.MAX_EXPERIMENT_NAME_LENGTH,
        validation.MAX_EXPERIMENT_TAG_VALUE_LENGTH,
    ) == (250, 6000, 8000, 500, 20000)


# -- experiments --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [None, "", "   ", "\t"])
def test_check_experiment_name_refuses_a_blank_name(name: str | None) -> None:
    with pytest.raises(InvalidParameter, match="non-empty name"):
        validation.check_experiment_name(name)


def test_check_experiment_name_accepts_500_characters() -> None:
    assert validation.check_experiment_name("e" * 500) == "e" * 500


def test_check_experiment_name_refuses_501_characters() -> None:
    with pytest.raises(LimitExceeded, match="'name' exceeds the maximum length of 500"):
        validation.check_experiment_name("e" * 501)


@pytest.mark.parametrize(
    ("text", "number"), [("0", 0), ("42", 42), (" 7 ", 7), ("1" * 18, int("1" * 18))]
)
def test_check_experiment_id_returns_the_integer(text: str, number: int) -> None:
    assert validation.check_experiment_id(text) == number


@pytest.mark.parametrize("text", ["abc", "-1", "1.5", "1e3", "1" * 19, "²", "1²"])
def test_check_experiment_id_refuses_a_non_integer(text: str) -> None:
    with pytest.raises(InvalidParameter, match="must be a valid integer"):
        validation.check_experiment_id(text)


@pytest.mark.parametrize("text", [None, ""])
def test_check_experiment_id_refuses_a_missing_id(text: str | None) -> None:
    with pytest.raises(
        InvalidParameter, match="Missing value for required parameter 'experiment_id'"
    ):
        validation.check_experiment_id(text)


# -- ids ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("run_id", ["0123456789abcdef0123456789abcdef", "run_1-a", "A", "a" * 256])
def test_check_run_id_accepts_a_valid_id(run_id: str) -> None:
    assert validation.check_run_id(run_id) == run_id


@pytest.mark.parametrize("run_id", ["-leading-dash", "_leading", "has space", "a/b", "a" * 257])
def test_check_run_id_refuses_an_invalid_id(run_id: str) -> None:
    with pytest.raises(InvalidParameter, match="not a run id"):
        validation.check_run_id(run_id)


def test_check_run_id_refuses_a_missing_id_naming_the_field() -> None:
    with pytest.raises(InvalidParameter, match="'run_ids'"):
        validation.check_run_id("", "run_ids")


def test_check_model_id_accepts_m_and_32_hex_digits() -> None:
    model_id = "m-" + "0123456789abcdef" * 2

    assert validation.check_model_id(model_id) == model_id


@pytest.mark.parametrize(
    "model_id", ["0123456789abcdef" * 2, "m-" + "0" * 31, "m-" + "G" * 32, "m-" + "0" * 33]
)
def test_check_model_id_refuses_other_shapes(model_id: str) -> None:
    with pytest.raises(InvalidParameter, match="not a logged model id"):
        validation.check_model_id(model_id)


# -- metric values, timestamps, steps -----------------------------------------------------------


@pytest.mark.parametrize("value", [0, 1, -2.5, math.nan, math.inf, -math.inf, 1e308])
def test_check_metric_value_accepts_numbers_nan_and_infinities(value: float) -> None:
    result = validation.check_metric_value(value, "loss")

    assert isinstance(result, float)
    assert result == value or (math.isnan(result) and math.isnan(value))


@pytest.mark.parametrize("value", ["0.5", None, True, [1.0]])
def test_check_metric_value_refuses_a_non_number(value: object) -> None:
    with pytest.raises(InvalidParameter, match="metric 'loss': a metric value must be a number"):
        validation.check_metric_value(value, "loss")  # type: ignore[arg-type]


def test_check_metric_value_refuses_an_integer_too_large_for_a_double() -> None:
    with pytest.raises(InvalidParameter):
        validation.check_metric_value(10**400, "loss")


@pytest.mark.parametrize("value", [0, 1_700_000_000_000, 2**63 - 1])
def test_check_timestamp_accepts_non_negative_64_bit_values(value: int) -> None:
    assert validation.check_timestamp(value) == value


@pytest.mark.parametrize("value", [-1, 2**63])
def test_check_timestamp_refuses_values_outside_0_to_int64(value: int) -> None:
    with pytest.raises(InvalidParameter, match="'end_time': a timestamp must be a non-negative"):
        validation.check_timestamp(value, "end_time")


@pytest.mark.parametrize("value", [-(2**63), -1, 0, 2**63 - 1])
def test_check_step_accepts_signed_64_bit_values(value: int) -> None:
    assert validation.check_step(value) == value


@pytest.mark.parametrize("value", [-(2**63) - 1, 2**63])
def test_check_step_refuses_values_beyond_64_bits(value: int) -> None:
    with pytest.raises(InvalidParameter, match="'step': out of range"):
        validation.check_step(value)


# -- batches ------------------------------------------------------------------------------------


def sized(count: int) -> list[None]:
    return [None] * count


def test_check_batch_sizes_accepts_every_limit_reached() -> None:
    validation.check_batch_sizes(sized(800), sized(100), sized(100))


@pytest.mark.parametrize(
    ("metrics", "params", "tags", "message"),
    [
        (1001, 0, 0, "at most 1000 metrics, got 1001"),
        (0, 101, 0, "at most 100 params, got 101"),
        (0, 0, 101, "at most 100 tags, got 101"),
        (1000, 1, 0, "at most 1000 metrics, params and tags in all, got 1001"),
    ],
)
def test_check_batch_sizes_refuses_each_limit(
    metrics: int, params: int, tags: int, message: str
) -> None:
    with pytest.raises(LimitExceeded, match=message):
        validation.check_batch_sizes(sized(metrics), sized(params), sized(tags))


# -- page sizes ---------------------------------------------------------------------------------


def test_check_page_size_defaults_when_absent() -> None:
    assert validation.check_page_size(None, validation.RUNS_PAGE, "max_results") == 1000


def test_check_page_size_accepts_the_cap() -> None:
    assert validation.check_page_size(50000, validation.RUNS_PAGE, "max_results") == 50000


def test_check_page_size_refuses_over_the_cap_as_a_limit() -> None:
    with pytest.raises(LimitExceeded, match="'max_results': it must be at most 50000"):
        validation.check_page_size(50001, validation.RUNS_PAGE, "max_results")


@pytest.mark.parametrize("value", [0, -1])
def test_check_page_size_refuses_a_non_positive_size(value: int) -> None:
    with pytest.raises(InvalidParameter, match="must be a positive integer") as raised:
        validation.check_page_size(value, validation.RUNS_PAGE, "max_results")
    assert not isinstance(raised.value, LimitExceeded)


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        (validation.RUNS_PAGE, (1000, 50000)),
        (validation.EXPERIMENTS_PAGE, (1000, 50000)),
        (validation.LOGGED_MODELS_PAGE, (100, 1000)),
        (validation.METRIC_HISTORY_PAGE, (25000, 25000)),
        (validation.METRIC_BULK_INTERVAL_PAGE, (320, 5000)),
    ],
)
def test_page_sizes_have_their_documented_default_and_cap(
    page: tuple[int, int], expected: tuple[int, int]
) -> None:
    assert page == expected


@pytest.mark.parametrize(("value", "finite"), [(1.0, True), (math.nan, False), (math.inf, False)])
def test_is_finite_is_false_for_nan_and_infinities(value: float, finite: bool) -> None:
    assert validation.is_finite(value) is finite
