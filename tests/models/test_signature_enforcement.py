"""Signature enforcement on predict: what passes, what widens, and what fails with which message."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import numpy as np
import pandas as pd
import pytest

from shipyard.domain.errors import InvalidParameter
from shipyard.models.enforcement import enforce_input, enforce_params
from shipyard.models.signature import (
    ColSpec,
    ComplexType,
    DataType,
    ParamSchema,
    ParamSpec,
    Schema,
    SignatureMismatch,
    TensorSpec,
)

COLUMNS = Schema(
    [
        ColSpec(DataType.DOUBLE, "x"),
        ColSpec(DataType.LONG, "n"),
        ColSpec(DataType.STRING, "s", required=False),
    ]
)

# name -> (input, the dtypes that come out)
PASSING: dict[str, tuple[Any, dict[str, str]]] = {
    "exact types": (
        pd.DataFrame({"x": [1.5], "n": [1], "s": ["a"]}),
        {"x": "float64", "n": "int64", "s": "str"},
    ),
    "optional column left out": (
        pd.DataFrame({"x": [1.5], "n": [1]}),
        {"x": "float64", "n": "int64"},
    ),
    "int32 widens to double and long": (
        pd.DataFrame({"x": np.array([1], np.int32), "n": np.array([2], np.int32)}),
        {"x": "float64", "n": "int64"},
    ),
    "int64 widens to double when exact": (
        pd.DataFrame({"x": [2**53], "n": [1]}),
        {"x": "float64", "n": "int64"},
    ),
    "float32 widens to double": (
        pd.DataFrame({"x": np.array([1.5], np.float32), "n": [1]}),
        {"x": "float64", "n": "int64"},
    ),
    "uint8 widens to long": (
        pd.DataFrame({"x": [1.0], "n": np.array([1], np.uint8)}),
        {"x": "float64", "n": "int64"},
    ),
    "object column of floats": (
        pd.DataFrame({"x": pd.Series([1.0, 2.0], dtype=object), "n": [1, 2]}),
        {"x": "float64", "n": "int64"},
    ),
    "a dict is one row": ({"x": 1.5, "n": 2}, {"x": "float64", "n": "int64"}),
    "a list of dicts is rows": (
        [{"x": 1.5, "n": 2}, {"x": 2.5, "n": 3}],
        {"x": "float64", "n": "int64"},
    ),
}

# name -> (input, pattern the message must match)
FAILING: dict[str, tuple[Any, str]] = {
    "a string where a double is expected": (
        pd.DataFrame({"x": ["high"], "n": [1]}),
        r"Column 'x': expected double, found string \(str\)",
    ),
    "a float where a long is expected": (
        pd.DataFrame({"x": [1.0], "n": [1.5]}),
        r"Column 'n': expected long, found double \(float64\)",
    ),
    "missing values in an integer column": (
        pd.DataFrame({"x": [1.0, 2.0], "n": [1.0, np.nan]}),
        r"Column 'n': expected long, found double .*missing values",
    ),
    "an int64 too large to be an exact double": (
        pd.DataFrame({"x": [2**53 + 1], "n": [1]}),
        r"Column 'x': expected double, found long \(int64\)",
    ),
    "a boolean where a double is expected": (
        pd.DataFrame({"x": [True], "n": [1]}),
        r"Column 'x': expected double, found boolean \(bool\)",
    ),
    "a double where a string is expected": (
        pd.DataFrame({"x": [1.0], "n": [1], "s": [2.5]}),
        r"Column 's': expected string, found double \(float64\)",
    ),
    "a required column missing": (
        pd.DataFrame({"n": [1]}),
        r"column 'x': expected double, found no such column.*Input columns: \['n'\]",
    ),
    "a numpy array for named columns": (
        np.zeros((1, 2)),
        r"column 'x': expected double, found no such column",
    ),
    "an object that is no table": (object(), r"found object"),
}


@pytest.mark.parametrize(("data", "dtypes"), PASSING.values(), ids=PASSING.keys())
def test_input_that_fits_passes_with_the_signatures_types(
    data: Any, dtypes: dict[str, str]
) -> None:
    result = enforce_input(data, COLUMNS)
    assert {name: str(dtype) for name, dtype in result.dtypes.items()} == dtypes


@pytest.mark.parametrize(("data", "message"), FAILING.values(), ids=FAILING.keys())
def test_input_that_does_not_fit_fails_naming_column_and_types(data: Any, message: str) -> None:
    with pytest.raises(SignatureMismatch, match=message):
        enforce_input(data, COLUMNS)


def test_a_signature_mismatch_is_an_invalid_parameter() -> None:
    assert issubclass(SignatureMismatch, InvalidParameter)
    assert SignatureMismatch.code == InvalidParameter.code


def test_extra_columns_are_dropped_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    frame = pd.DataFrame({"zz": [0], "n": [1], "x": [1.5]})
    with caplog.at_level(logging.WARNING):
        result = enforce_input(frame, COLUMNS)
    assert list(result.columns) == ["x", "n"]
    assert "['zz']" in caplog.text


def test_widened_values_are_unchanged() -> None:
    result = enforce_input(pd.DataFrame({"x": np.array([3, -7], np.int32), "n": [1, 2]}), COLUMNS)
    assert result["x"].tolist() == [3.0, -7.0]


def test_the_row_index_is_kept() -> None:
    frame = pd.DataFrame({"x": [1.5, 2.5], "n": [1, 2]}, index=[10, 20])
    assert enforce_input(frame, COLUMNS).index.tolist() == [10, 20]


def test_unnamed_columns_are_matched_by_position_and_extras_dropped() -> None:
    schema = Schema([ColSpec(DataType.DOUBLE), ColSpec(DataType.STRING)])
    result = enforce_input(pd.DataFrame([[1.5, "a", "extra"]]), schema)
    assert result.shape == (1, 2)


def test_too_few_unnamed_columns_fail_with_the_counts() -> None:
    schema = Schema([ColSpec(DataType.DOUBLE), ColSpec(DataType.DOUBLE)])
    with pytest.raises(SignatureMismatch, match=r"declares 2 unnamed columns .* the input has 1"):
        enforce_input(pd.DataFrame([[1.5]]), schema)


def test_datetime_strings_convert_to_datetimes() -> None:
    schema = Schema([ColSpec(DataType.DATETIME, "when")])
    result = enforce_input(pd.DataFrame({"when": ["2024-05-01T10:00:00"]}), schema)
    assert result["when"].iloc[0] == pd.Timestamp(2024, 5, 1, 10)


def test_a_string_that_is_no_date_fails_for_a_datetime_column() -> None:
    schema = Schema([ColSpec(DataType.DATETIME, "when")])
    with pytest.raises(SignatureMismatch, match="Column 'when': expected datetime, found string"):
        enforce_input(pd.DataFrame({"when": ["not a date"]}), schema)


def test_complex_typed_columns_pass_through_unchecked() -> None:
    schema = Schema([ColSpec(ComplexType({"type": "array", "items": {"type": "long"}}), "v")])
    result = enforce_input({"v": [1, 2, 3]}, schema)
    assert result["v"].iloc[0] == [1, 2, 3]


# -- tensors -----------------------------------------------------------------------------------

TENSOR = Schema([TensorSpec("float32", (-1, 2))])


def test_a_tensor_of_the_right_dtype_and_shape_passes() -> None:
    data = np.ones((5, 2), np.float32)
    assert enforce_input(data, TENSOR) is data


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (np.ones((5, 2)), r"expected dtype float32, found float64"),
        (np.ones((5, 3), np.float32), r"expected shape \(-1, 2\), found shape \(5, 3\)"),
        (np.ones(5, np.float32), r"expected shape \(-1, 2\), found shape \(5,\)"),
        ([[1.0, 2.0]], r"expected a numpy array of float32 .* found list"),
    ],
    ids=["dtype", "fixed dimension", "rank", "not an array"],
)
def test_a_tensor_that_does_not_fit_fails_naming_expected_and_found(
    data: Any, message: str
) -> None:
    with pytest.raises(SignatureMismatch, match=message):
        enforce_input(data, TENSOR)


def test_a_dataframe_fills_an_unnamed_tensor_column_by_column() -> None:
    result = enforce_input(pd.DataFrame(np.ones((3, 2), np.float32)), TENSOR)
    assert result.shape == (3, 2) and result.dtype == np.float32


def test_named_tensors_are_checked_one_by_one() -> None:
    schema = Schema([TensorSpec("float64", (-1,), "a"), TensorSpec("int64", (-1, 2), "b")])
    with pytest.raises(SignatureMismatch, match=r"Tensor 'b': expected dtype int64, found int32"):
        enforce_input({"a": np.ones(3), "b": np.ones((3, 2), np.int32)}, schema)


# -- params ------------------------------------------------------------------------------------

PARAMS = ParamSchema(
    [
        ParamSpec("k", DataType.LONG, 3),
        ParamSpec("t", DataType.DOUBLE, 0.5),
        ParamSpec("tags", DataType.STRING, ["a"], (-1,)),
        ParamSpec("since", DataType.DATETIME, "2024-01-01T00:00:00"),
    ]
)


def test_missing_params_take_their_defaults() -> None:
    assert enforce_params(None, PARAMS) == {
        "k": 3,
        "t": 0.5,
        "tags": ["a"],
        "since": "2024-01-01T00:00:00",
    }


def test_params_are_converted_where_safe() -> None:
    given = {"k": np.int32(5), "t": 2, "since": "2024-02-01T00:00:00"}
    checked = enforce_params(given, PARAMS)
    assert checked is not None
    assert checked["k"] == 5 and type(checked["k"]) is int
    assert checked["t"] == 2.0 and type(checked["t"]) is float
    assert checked["since"] == dt.datetime(2024, 2, 1)


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"k": "x"}, r"Param 'k': expected long, found str 'x'"),
        ({"k": 1.5}, r"Param 'k': expected long, found float 1.5"),
        ({"t": "y"}, r"Param 't': expected double, found str 'y'"),
        ({"tags": "a"}, r"Param 'tags': expected a list of string, found str"),
        ({"since": "soon"}, r"Param 'since': expected datetime, found str 'soon'"),
    ],
)
def test_params_of_the_wrong_type_fail_naming_param_and_types(
    given: dict[str, Any], message: str
) -> None:
    with pytest.raises(SignatureMismatch, match=message):
        enforce_params(given, PARAMS)


def test_unknown_params_are_dropped() -> None:
    checked = enforce_params({"k": 1, "unknown": 2}, PARAMS)
    assert checked is not None and "unknown" not in checked


def test_params_without_a_params_schema_are_dropped() -> None:
    assert enforce_params({"k": 1}, None) == {}
