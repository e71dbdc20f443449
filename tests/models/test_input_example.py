"""Input example files: byte for byte what MLflow writes, and read back as the data they hold."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from mlflow.models.utils import _Example

from shipyard.domain.errors import InvalidParameter
from shipyard.models.input_example import load_input_example, save_input_example
from shipyard.models.signature import Schema, TensorSpec

EXAMPLES: dict[str, Any] = {
    "dataframe": pd.DataFrame(
        {
            "x": [1.0, 2.5],
            "s": ["a", "b"],
            "d": pd.to_datetime(["2020-01-01", "2020-01-02"]),
            "i": [1, 2],
            "b": [True, False],
        }
    ),
    "dataframe with default column labels": pd.DataFrame(np.arange(4).reshape(2, 2)),
    "array with a missing value": np.array([[1.0, np.nan], [2.0, 3.0]]),
    "dict of arrays": {"t": np.zeros((2, 2), dtype=np.float32)},
    "dict of scalars": {"q": "hi", "n": 3},
    "list": [1, 2, 3],
    "string": "text",
    "data with params": (pd.DataFrame({"x": [1.0]}), {"k": 3}),
}


@pytest.mark.parametrize("example", EXAMPLES.values(), ids=EXAMPLES.keys())
def test_example_files_are_the_ones_mlflow_writes(tmp_path: Path, example: Any) -> None:
    theirs = _Example(example)
    saved = save_input_example(example, tmp_path)
    assert (tmp_path / "input_example.json").read_text() == theirs.json_input_example
    assert (tmp_path / "serving_input_example.json").read_text() == theirs.json_serving_input
    assert saved.info == theirs.info


def test_a_dataframe_example_is_stored_in_split_orient(tmp_path: Path) -> None:
    save_input_example(pd.DataFrame({"a": [1.5], "b": ["x"]}), tmp_path)
    stored = json.loads((tmp_path / "input_example.json").read_text())
    serving = json.loads((tmp_path / "serving_input_example.json").read_text())
    assert stored == {"columns": ["a", "b"], "data": [[1.5, "x"]]}
    assert serving == {"dataframe_split": stored}


def test_a_tensor_example_is_served_as_inputs(tmp_path: Path) -> None:
    save_input_example(np.array([[1, 2]], dtype=np.int64), tmp_path)
    serving = json.loads((tmp_path / "serving_input_example.json").read_text())
    assert serving == {"inputs": [[1, 2]]}


def test_missing_dataframe_values_are_written_as_json_null(tmp_path: Path) -> None:
    # MLflow 3.17 with pandas 3 writes a bare NaN here, which strict JSON parsers refuse.
    save_input_example(pd.DataFrame({"x": [np.nan], "s": [None]}), tmp_path)
    text = (tmp_path / "input_example.json").read_text()
    assert json.loads(text, parse_constant=_refuse) == {
        "columns": ["x", "s"],
        "data": [[None, None]],
    }


def test_binary_values_are_written_as_base64(tmp_path: Path) -> None:
    save_input_example({"blob": b"\x00\x01"}, tmp_path)
    assert json.loads((tmp_path / "input_example.json").read_text()) == {"blob": "AAE=\n"}


def test_an_example_of_an_unsupported_type_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidParameter, match="got object"):
        save_input_example(object(), tmp_path)


def test_a_dataframe_example_reads_back_equal(tmp_path: Path) -> None:
    frame = pd.DataFrame({"a": [1.5, 2.5], "b": ["x", "y"]})
    saved = save_input_example(frame, tmp_path)
    pd.testing.assert_frame_equal(load_input_example(tmp_path, saved.info, None), frame)


def test_a_tensor_example_reads_back_with_the_signatures_dtype(tmp_path: Path) -> None:
    array = np.array([[1.0, 2.0]], dtype=np.float32)
    saved = save_input_example(array, tmp_path)
    schema = Schema([TensorSpec("float32", (-1, 2))])
    loaded = load_input_example(tmp_path, saved.info, schema)
    assert loaded.dtype == np.float32
    np.testing.assert_array_equal(loaded, array)


def _refuse(constant: str) -> None:
    raise ValueError(f"not JSON: {constant}")
