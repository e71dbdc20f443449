"""Signatures: inferred from data exactly as MLflow infers them, read and written in its JSON."""

from __future__ import annotations

import datetime as dt
import warnings
from typing import Any

import mlflow.models
import numpy as np
import pandas as pd
import pytest
from mlflow.types.schema import Schema as MlflowSchema

from shipyard.domain.errors import InvalidParameter
from shipyard.models.signature import (
    ColSpec,
    ComplexType,
    DataType,
    ModelSignature,
    ParamSchema,
    Schema,
    TensorSpec,
    infer_signature,
)

EXAMPLES: dict[str, Any] = {
    "dataframe of every scalar type": pd.DataFrame(
        {
            "s": ["a", "b"],
            "d": pd.to_datetime(["2020-01-01", "2020-01-02"]),
            "bo": [True, False],
            "by": [b"a", b"b"],
            "i32": np.array([1, 2], dtype=np.int32),
            "i64": [1, 2],
            "f32": np.array([1, 2], dtype=np.float32),
            "f64": [0.5, 1.5],
            "u8": np.array([1, 2], dtype=np.uint8),
        }
    ),
    "dataframe with missing values": pd.DataFrame(
        {
            "n": [1.0, None],
            "s": ["a", None],
            "nullable": pd.array([1, None], dtype="Int64"),
        }
    ),
    "named series": pd.Series([1, 2], name="z"),
    "float32 matrix": np.zeros((3, 2), dtype=np.float32),
    "string vector": np.array(["a", "bc"]),
    "unsigned 3-d tensor": np.zeros((2, 3, 4), dtype=np.uint32),
    "dict of arrays": {"x": np.zeros((3, 2)), "y": np.array(["a", "b"])},
    "dict of scalars": {"a": 1, "b": "x", "c": 0.5, "d": True},
    "dict of lists": {"a": [1, 2, 3], "b": [4.0, 5.0]},
    "list of dicts": [{"a": 1, "b": None}, {"a": 2, "b": "y"}],
    "list of strings": ["some", "text"],
    "scalar string": "hello",
}


@pytest.mark.parametrize("example", EXAMPLES.values(), ids=EXAMPLES.keys())
def test_inferred_signature_matches_mlflows(example: Any) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # MLflow's hint about integer columns
        theirs = mlflow.models.infer_signature(example).to_dict()
    assert infer_signature(example).to_dict() == theirs


def test_inferred_params_schema_matches_mlflows() -> None:
    params = {"k": 1, "t": 0.5, "s": "a", "l": [1, 2], "b": True, "d": dt.datetime(2020, 1, 1)}
    theirs = mlflow.models.infer_signature(None, None, params=params).to_dict()
    assert infer_signature(None, params=params).to_dict() == theirs


def test_inferred_output_schema_comes_from_the_output() -> None:
    signature = infer_signature(pd.DataFrame({"a": [1.0]}), np.array([1, 0]))
    assert signature.outputs == Schema([TensorSpec("int64", (-1,))])


def test_a_column_of_mixed_types_cannot_be_inferred() -> None:
    with pytest.raises(InvalidParameter, match="several types in one column"):
        infer_signature([{"a": 1}, {"a": "x"}])


MLFLOW_SCHEMAS = [
    '[{"type": "double", "name": "a", "required": true}, '
    '{"type": "long", "name": "b", "required": false}]',
    '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 28, 28]}}]',
    '[{"name": "x", "type": "tensor", "tensor-spec": {"dtype": "str", "shape": [-1]}}]',
    '[{"type": "array", "items": {"type": "double"}, "name": "v", "required": true}]',
    '[{"type": "object", "properties": {"k": {"type": "string", "required": true}}, '
    '"name": "o", "required": true}]',
    '[{"type": "any", "required": true}]',
]


@pytest.mark.parametrize("text", MLFLOW_SCHEMAS)
def test_schema_json_written_by_mlflow_reads_and_writes_back_unchanged(text: str) -> None:
    assert Schema.from_json(text).to_json() == MlflowSchema.from_json(text).to_json() == text


def test_a_signature_shipyard_writes_is_one_mlflow_reads() -> None:
    ours = ModelSignature(
        Schema([ColSpec(DataType.DATETIME, "when"), ColSpec(DataType.BINARY, "blob", False)]),
        Schema([TensorSpec("float64", (-1, 2))]),
        ParamSchema.from_json('[{"name": "k", "default": 3, "shape": null, "type": "long"}]'),
    )
    theirs = mlflow.models.ModelSignature.from_dict(ours.to_dict())
    assert theirs.to_dict() == ours.to_dict()


def test_unknown_column_types_are_kept_as_complex_types() -> None:
    schema = Schema.from_json('[{"type": "sparkml_vector", "name": "v", "required": true}]')
    assert schema.inputs[0] == ColSpec(ComplexType({"type": "sparkml_vector"}), "v")


@pytest.mark.parametrize(
    ("specs", "message"),
    [
        ([], "at least one"),
        ([ColSpec(DataType.LONG, "a"), TensorSpec("float32", (-1,), "b")], "not both"),
        ([ColSpec(DataType.LONG, "a"), ColSpec(DataType.LONG)], "every input"),
    ],
)
def test_an_inconsistent_schema_is_refused(specs: list[Any], message: str) -> None:
    with pytest.raises(InvalidParameter, match=message):
        Schema(specs)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "not valid JSON"),
        ('{"type": "long"}', "JSON list of objects"),
        ('[{"name": "a"}]', "has no 'type'"),
        ('[{"type": "tensor", "tensor-spec": {"dtype": "float32"}}]', "'dtype' and 'shape'"),
    ],
)
def test_malformed_schema_json_is_refused(text: str, message: str) -> None:
    with pytest.raises(InvalidParameter, match=message):
        Schema.from_json(text)
