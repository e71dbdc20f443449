"""Check predict inputs and params against a signature, and convert what converts safely.

The rules follow MLflow's pyfunc so that a payload behaves the same under either:

* Named columns are matched by name and reordered to the signature's order; a missing required
  column is an error, a missing optional one is skipped, and extra columns are dropped (with a
  warning). Unnamed columns are matched by position; extra trailing columns are dropped.
* A column converts only when no value can change: integers and floats widen (``int32`` to
  ``long``, ``float32`` to ``double``), and integers become ``float``/``double`` when every value
  is exactly representable. Strings never become numbers, floats never become integers.
* Tensors must have the signature's dtype and rank, and its size on every fixed dimension.
* Params missing from the call take their defaults; unknown params are dropped (with a warning).

Every refusal is a :class:`~shipyard.models.signature.SignatureMismatch` naming the column,
tensor or parameter, the type expected and the type found.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd  # type: ignore[import-untyped]

from shipyard.models.inference import column_type, tensor_dtype
from shipyard.models.signature import (
    ColSpec,
    ColumnType,
    ComplexType,
    DataType,
    ParamSchema,
    ParamSpec,
    Schema,
    SignatureMismatch,
    TensorSpec,
)

log = logging.getLogger(__name__)

# Integers up to these magnitudes are exact in float32 / float64.
_EXACT_INTEGER_LIMIT = {4: 2**24, 8: 2**53}


def enforce_input(data: Any, schema: Schema) -> Any:
    """``data`` checked against ``schema``: a DataFrame for column schemas, else tensors."""
    if schema.is_tensor_spec:
        return _enforce_tensors(data, schema)
    frame = _as_frame(data, schema)
    if schema.has_input_names:
        return _enforce_named_columns(frame, schema)
    return _enforce_positional_columns(frame, schema)


def enforce_params(
    params: Mapping[str, Any] | None, schema: ParamSchema | None
) -> dict[str, Any] | None:
    """The params a model is called with: checked, converted, defaults filled in."""
    if schema is None:
        if params:
            log.warning("The model has no params schema; ignoring params %s", sorted(params))
            return {}
        return None if params is None else {}
    given = {} if params is None else params
    if not isinstance(given, Mapping):
        raise SignatureMismatch(f"Params must be a mapping, found {type(given).__name__}")
    given = {str(k): v for k, v in given.items()}
    known = {spec.name for spec in schema.params}
    if unknown := sorted(set(given) - known):
        log.warning("Ignoring params %s: the params schema does not declare them", unknown)
    out: dict[str, Any] = {}
    problems = []
    for spec in schema.params:
        if spec.name not in given:
            out[spec.name] = spec.default
            continue
        try:
            out[spec.name] = _convert_param(given[spec.name], spec)
        except SignatureMismatch as exc:
            problems.append(exc.message)
    if problems:
        raise SignatureMismatch("; ".join(problems))
    return out


# -- columns -------------------------------------------------------------------------------------


def _as_frame(data: Any, schema: Schema) -> Any:
    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, pd.Series):
        return data.to_frame()
    if isinstance(data, Mapping):
        one_row = any(isinstance(s.type, ComplexType) for s in _colspecs(schema)) or all(
            _is_scalar(v) for v in data.values()
        )
        try:
            return pd.DataFrame([dict(data)]) if one_row else pd.DataFrame(dict(data))
        except ValueError as exc:
            raise SignatureMismatch(f"The input mapping is not a table of columns: {exc}") from None
    if isinstance(data, (list, np.ndarray)):
        return pd.DataFrame(data)
    if _is_scalar(data):
        return pd.DataFrame([data])
    raise SignatureMismatch(
        "The model signature describes columns, so the input must be a DataFrame or something "
        f"that becomes one (a mapping, a list, an array); found {type(data).__name__}"
    )


def _enforce_named_columns(frame: Any, schema: Schema) -> Any:
    specs = _colspecs(schema)
    present = set(frame.columns)
    missing = [s for s in specs if s.required and s.name not in present]
    if missing:
        details = "; ".join(
            f"column {s.name!r}: expected {_type_name(s.type)}, found no such column"
            for s in missing
        )
        raise SignatureMismatch(
            f"The input lacks required columns ({details}). "
            f"Input columns: {[str(c) for c in frame.columns]}"
        )
    names = {s.name for s in specs}
    if extra := [str(c) for c in frame.columns if c not in names]:
        log.warning("Dropping input columns the model signature does not declare: %s", extra)
    converted = {
        s.name: _convert_column(repr(s.name), frame[s.name], s.type)
        for s in specs
        if s.name in present
    }
    return pd.DataFrame(converted, index=frame.index)


def _enforce_positional_columns(frame: Any, schema: Schema) -> Any:
    specs = _colspecs(schema)
    if len(frame.columns) < len(specs):
        raise SignatureMismatch(
            f"The model signature declares {len(specs)} unnamed columns "
            f"({', '.join(_type_name(s.type) for s in specs)}); the input has "
            f"{len(frame.columns)}"
        )
    converted = {
        frame.columns[i]: _convert_column(f"#{i}", frame.iloc[:, i], spec.type)
        for i, spec in enumerate(specs)
    }
    return pd.DataFrame(converted, index=frame.index)


def _convert_column(label: str, values: Any, expected: ColumnType) -> Any:
    if isinstance(expected, ComplexType):
        return values  # array/object/map/any columns pass through unchecked
    if values.dtype == object and expected not in (DataType.STRING, DataType.BINARY):
        values = values.infer_objects()
    dtype = values.dtype
    kind = dtype.kind
    is_text = kind == "O" or isinstance(dtype, pd.StringDtype)
    if expected is DataType.STRING and (is_text or kind == "U"):
        return values
    if expected is DataType.BINARY and (is_text or kind == "S"):
        return values
    if expected is DataType.BOOLEAN and kind in ("b", "O"):
        return values
    if expected is DataType.DATETIME and (kind == "M" or is_text):
        try:
            return values.astype("datetime64[ns]")
        except (TypeError, ValueError) as exc:
            raise _column_mismatch(label, expected, values, f"({exc})") from None
    if expected.numpy_dtype in ("int32", "int64", "float32", "float64"):
        target = np.dtype(expected.numpy_dtype)
        if dtype == target:
            return values
        if _widens_exactly(values, target):
            try:
                return values.astype(target)
            except (TypeError, ValueError) as exc:
                raise _column_mismatch(label, expected, values, f"({exc})") from None
    hint = ""
    if kind == "f" and expected in (DataType.INTEGER, DataType.LONG) and values.isna().any():
        hint = (
            "(missing values turn an integer column into floats; declare the column double "
            "if it may have missing values)"
        )
    raise _column_mismatch(label, expected, values, hint)


def _widens_exactly(values: Any, target: np.dtype[Any]) -> bool:
    dtype = values.dtype
    if dtype.kind not in ("i", "u", "f"):
        return False
    kind, size = dtype.kind, dtype.itemsize
    if kind == target.kind:
        return bool(size <= target.itemsize)
    if kind == "u" and target.kind == "i":
        return bool(size < target.itemsize)
    if kind in ("i", "u") and target.kind == "f":
        if size < target.itemsize and size <= 4:
            return True
        present = values.dropna()
        limit = _EXACT_INTEGER_LIMIT[target.itemsize]
        return bool((present.abs() <= limit).all()) if len(present) else True
    return False


def _column_mismatch(label: str, expected: DataType, values: Any, why: str = "") -> Exception:
    try:
        found = _type_name(column_type(values))
    except Exception:
        found = "mixed values"
    message = (
        f"Column {label}: expected {expected.value}, found {found} ({values.dtype}); "
        "the values cannot be converted safely"
    )
    return SignatureMismatch(f"{message} {why}".rstrip())


def _colspecs(schema: Schema) -> list[ColSpec]:
    return [s for s in schema.inputs if isinstance(s, ColSpec)]


# -- tensors -------------------------------------------------------------------------------------


def _enforce_tensors(data: Any, schema: Schema) -> Any:
    specs = [s for s in schema.inputs if isinstance(s, TensorSpec)]
    if schema.has_input_names:
        if isinstance(data, Mapping):
            return {s.name: _named_tensor(data, s) for s in specs if s.name is not None}
        if isinstance(data, pd.DataFrame):
            missing = [s.name for s in specs if s.name not in data.columns]
            if missing:
                raise SignatureMismatch(f"The input lacks the tensors {missing}")
            return {
                s.name: _column_as_tensor(data[s.name], s, f"Tensor {s.name!r}")
                for s in specs
                if s.name is not None
            }
        raise SignatureMismatch(
            "The model signature names its tensors, so the input must be a mapping of names to "
            f"numpy arrays or a DataFrame; found {type(data).__name__}"
        )
    spec = specs[0]
    label = "The input tensor"
    if isinstance(data, np.ndarray):
        return _check_tensor(data, spec, label)
    if isinstance(data, pd.DataFrame):
        if data.empty:
            raise SignatureMismatch(f"{label}: the input DataFrame is empty")
        if len(data.columns) == 1:
            return _column_as_tensor(data.iloc[:, 0], spec, label)
        if spec.shape != (-1, len(data.columns)):
            raise SignatureMismatch(
                f"{label}: expected shape {spec.shape}, found a DataFrame with "
                f"{len(data.columns)} columns"
            )
        return _check_tensor(data.to_numpy(), spec, label)
    if hasattr(data, "tocsr") and hasattr(data, "dtype"):  # a scipy sparse matrix
        _check_shape_and_dtype(data.shape, data.dtype, spec, label)
        return data
    raise SignatureMismatch(
        f"{label}: expected a numpy array of {spec.dtype} with shape {spec.shape}, "
        f"found {type(data).__name__}"
    )


def _named_tensor(data: Mapping[str, Any], spec: TensorSpec) -> Any:
    label = f"Tensor {spec.name!r}"
    if spec.name is None or spec.name not in data:
        raise SignatureMismatch(f"{label}: expected {spec.dtype} {spec.shape}, found nothing")
    value = data[spec.name]
    if not isinstance(value, np.ndarray):
        raise SignatureMismatch(
            f"{label}: expected a numpy array of {spec.dtype}, found {type(value).__name__}"
        )
    return _check_tensor(value, spec, label)


def _check_tensor(values: Any, spec: TensorSpec, label: str) -> Any:
    if spec.dtype == "object" and spec.shape == (-1,):
        return values  # ragged input: anything goes
    if values.dtype == np.dtype("O") and values.ndim == 1 and -1 in spec.shape[1:]:
        return values  # a ragged array for a spec with variable inner dimensions
    _check_shape_and_dtype(values.shape, values.dtype, spec, label)
    return values


def _check_shape_and_dtype(shape: Any, dtype: Any, spec: TensorSpec, label: str) -> None:
    found_shape = tuple(int(d) for d in shape)
    fits = len(found_shape) == len(spec.shape) and all(
        want in (-1, got) for want, got in zip(spec.shape, found_shape, strict=True)
    )
    if not fits:
        raise SignatureMismatch(f"{label}: expected shape {spec.shape}, found shape {found_shape}")
    found_dtype = tensor_dtype(dtype)
    if found_dtype != spec.dtype:
        raise SignatureMismatch(
            f"{label}: expected dtype {spec.dtype}, found {found_dtype}; tensors are not converted"
        )


def _column_as_tensor(series: Any, spec: TensorSpec, label: str) -> Any:
    if not spec.shape or spec.shape[0] != -1 or -1 in spec.shape[1:]:
        raise SignatureMismatch(
            f"{label}: a DataFrame column can only fill a tensor whose first dimension is -1 and "
            f"whose other dimensions are fixed; the signature says {spec.shape}"
        )
    first = series.iloc[0] if len(series) else None
    try:
        if _is_scalar(first):
            if spec.shape not in ((-1,), (-1, 1)):
                raise SignatureMismatch(
                    f"{label}: a column of scalars fills shape (-1,) or (-1, 1), not {spec.shape}"
                )
            return _check_tensor(
                np.asarray(series.to_numpy(), dtype=spec.dtype).reshape(spec.shape), spec, label
            )
        stacked = np.vstack(series.tolist()).reshape(spec.shape)
    except (TypeError, ValueError) as exc:
        raise SignatureMismatch(
            f"{label}: the column does not fit dtype {spec.dtype} and shape {spec.shape} ({exc})"
        ) from None
    if len(stacked) != len(series):
        raise SignatureMismatch(f"{label}: the column's rows do not fit shape {spec.shape}")
    if isinstance(first, list):
        stacked = stacked.astype(spec.dtype)
    return _check_tensor(stacked, spec, label)


# -- params --------------------------------------------------------------------------------------


def _convert_param(value: Any, spec: ParamSpec) -> Any:
    if isinstance(spec.type, ComplexType) or value is None:
        return value
    if spec.shape == (-1,):
        if not isinstance(value, (list, tuple, np.ndarray)) or np.ndim(value) != 1:
            raise SignatureMismatch(
                f"Param {spec.name!r}: expected a list of {spec.type.value}, "
                f"found {type(value).__name__}"
            )
        return [_convert_scalar_param(v, spec.name, spec.type) for v in value]
    return _convert_scalar_param(value, spec.name, spec.type)


def _convert_scalar_param(value: Any, name: str, expected: DataType) -> Any:
    is_int = isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))
    if expected is DataType.BOOLEAN and isinstance(value, (bool, np.bool_)):
        return bool(value)
    if expected in (DataType.INTEGER, DataType.LONG) and is_int:
        return int(value)
    if expected in (DataType.FLOAT, DataType.DOUBLE) and (
        is_int or isinstance(value, (float, np.floating))
    ):
        return float(value)
    if expected is DataType.STRING and isinstance(value, str):
        return value
    if expected is DataType.BINARY and isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if expected is DataType.DATETIME:
        if isinstance(value, dt.date):
            return value
        if isinstance(value, np.datetime64):
            return value.astype("datetime64[us]").item()
        if isinstance(value, str):
            try:
                return dt.datetime.fromisoformat(value)
            except ValueError:
                pass
    raise SignatureMismatch(
        f"Param {name!r}: expected {expected.value}, found {type(value).__name__} {value!r}"
    )


def _type_name(column: ColumnType) -> str:
    return column.value if isinstance(column, DataType) else column.kind


def _is_scalar(value: Any) -> bool:
    return value is None or bool(np.isscalar(value)) or isinstance(value, dt.date)
