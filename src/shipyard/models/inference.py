"""Infer a schema from example data, the way MLflow does, so both write the same signatures.

DataFrames and Series give named columns; numpy arrays give one unnamed tensor whose first
dimension is variable (-1); a dict of numpy arrays gives named tensors; a dict of scalars is one
row; a list of dicts is rows (a column is optional when some row lacks it or holds ``None``).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd  # type: ignore[import-untyped]

from shipyard.domain.errors import InvalidParameter
from shipyard.models.signature import (
    ColSpec,
    ColumnType,
    ComplexType,
    DataType,
    ParamSchema,
    ParamSpec,
    Schema,
    TensorSpec,
)

_SCALAR_TYPES: list[tuple[type, DataType]] = [
    # bool before int: bool is a subclass of int.
    (bool, DataType.BOOLEAN),
    (int, DataType.LONG),
    (float, DataType.DOUBLE),
    (str, DataType.STRING),
    (bytes, DataType.BINARY),
    (bytearray, DataType.BINARY),
    (dt.date, DataType.DATETIME),
]


def infer_schema(data: Any) -> Schema:
    """The schema of ``data``; raises :class:`InvalidParameter` for data it cannot describe."""
    if isinstance(data, pd.DataFrame):
        return Schema(
            [ColSpec(column_type(data[c]), str(c), not data[c].isna().any()) for c in data.columns]
        )
    if isinstance(data, pd.Series):
        name = None if data.name is None else str(data.name)
        return Schema([ColSpec(column_type(data), name, not data.isna().any())])
    if isinstance(data, np.ndarray):
        return Schema([TensorSpec(tensor_dtype(data.dtype), _variable_first(data.shape))])
    if isinstance(data, Mapping):
        if data and all(isinstance(v, np.ndarray) for v in data.values()):
            return Schema(
                [
                    TensorSpec(tensor_dtype(v.dtype), _variable_first(v.shape), str(k))
                    for k, v in data.items()
                ]
            )
        return Schema([ColSpec(value_type(v), str(k), not _is_missing(v)) for k, v in data.items()])
    if isinstance(data, list):
        if not data:
            return Schema([ColSpec(DataType.STRING)])
        if all(isinstance(row, Mapping) for row in data):
            return _schema_of_rows(data)
        return Schema([ColSpec(_merged_type(data))])
    return Schema([ColSpec(value_type(data))])


def infer_param_schema(params: Mapping[str, Any]) -> ParamSchema:
    """The params schema whose defaults are ``params``."""
    specs = []
    for name, value in params.items():
        if isinstance(value, (list, np.ndarray)):
            items = list(value)
            if any(isinstance(v, (list, np.ndarray, Mapping)) for v in items):
                raise InvalidParameter(f"Parameter {name!r}: only scalars and 1-D lists allowed")
            item_type = _merged_type(items) if items else DataType.STRING
            specs.append(ParamSpec(str(name), item_type, _plain(items), (-1,)))
        else:
            specs.append(ParamSpec(str(name), value_type(value), _plain(value)))
    return ParamSchema(specs)


def column_type(series: Any) -> ColumnType:
    """The column type of a pandas Series, from its dtype or, for object columns, its values."""
    dtype = series.dtype
    if isinstance(dtype, pd.StringDtype):
        return DataType.STRING
    if dtype.kind == "O":
        inferred = series.infer_objects()
        if inferred.dtype.kind != "O":
            return numpy_type(inferred.dtype)
        values = [v for v in series.tolist() if not _is_missing(v)]
        return _merged_type(values) if values else DataType.STRING
    return numpy_type(dtype)


def numpy_type(dtype: Any) -> DataType:
    """The column type that holds a numpy (or pandas extension) dtype."""
    kind, size = dtype.kind, dtype.itemsize
    if kind == "b":
        return DataType.BOOLEAN
    if kind == "i":
        return DataType.INTEGER if size <= 4 else DataType.LONG
    if kind == "u":
        if size < 4:
            return DataType.INTEGER
        if size < 8:
            return DataType.LONG
    if kind == "f":
        return DataType.FLOAT if size <= 4 else DataType.DOUBLE
    if kind == "U":
        return DataType.STRING
    if kind == "S":
        return DataType.BINARY
    if kind == "M":
        return DataType.DATETIME
    raise InvalidParameter(f"No column type holds values of dtype {dtype}")


def tensor_dtype(dtype: Any) -> str:
    """A numpy dtype's name for a tensor spec, without string lengths (``<U5`` -> ``str``)."""
    if dtype.kind == "U":
        return "str"
    if dtype.kind == "S":
        return "bytes"
    return str(np.dtype(dtype).name)


def value_type(value: Any) -> ColumnType:
    """The type of one value: a scalar type, or MLflow's ``array``/``object`` for containers."""
    if isinstance(value, (list, np.ndarray)):
        items = [v for v in value if not _is_missing(v)]
        item_type = _merged_type(items) if items else ComplexType({"type": "any"})
        return ComplexType({"type": "array", "items": _type_json(item_type)})
    if isinstance(value, Mapping):
        properties = {
            str(k): {**_type_json(value_type(v)), "required": not _is_missing(v)}
            for k, v in sorted(value.items())
        }
        return ComplexType({"type": "object", "properties": properties})
    if _is_missing(value):
        return ComplexType({"type": "any"})
    if isinstance(value, np.generic):
        return numpy_type(value.dtype)
    for python_type, data_type in _SCALAR_TYPES:
        if isinstance(value, python_type):
            return data_type
    raise InvalidParameter(f"No column type holds the value {value!r} ({type(value).__name__})")


def _schema_of_rows(rows: list[Any]) -> Schema:
    columns: dict[str, list[Any]] = {}
    for row in rows:
        for key, value in row.items():
            columns.setdefault(str(key), []).append(value)
    specs = []
    for name, values in columns.items():
        required = len(values) == len(rows) and not any(_is_missing(v) for v in values)
        present = [v for v in values if not _is_missing(v)]
        specs.append(ColSpec(_merged_type(present) if present else DataType.STRING, name, required))
    return Schema(specs)


def _merged_type(values: list[Any]) -> ColumnType:
    types = {value_type(v) for v in values if not _is_missing(v)}
    if len(types) == 1:
        return types.pop()
    if not types:
        return ComplexType({"type": "any"})
    shown = sorted(t.value if isinstance(t, DataType) else t.kind for t in types)
    raise InvalidParameter(f"Values of several types in one column: {shown}")


def _type_json(column_type: ColumnType) -> dict[str, Any]:
    if isinstance(column_type, DataType):
        return {"type": column_type.value}
    return dict(column_type.spec)


def _variable_first(shape: tuple[int, ...]) -> tuple[int, ...]:
    return (-1, *shape[1:]) if shape else shape


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
