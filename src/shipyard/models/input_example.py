"""Input examples: ``input_example.json`` and ``serving_input_example.json``, as MLflow writes them.

``input_example.json`` holds the example itself: a DataFrame in pandas' ``split`` orient without
its index (``{"columns": [...], "data": [[...]]}``), an array as nested lists, a dict of arrays as
a dict of nested lists, anything else as plain JSON. ``serving_input_example.json`` is a ready
``/invocations`` payload: ``{"dataframe_split": ...}`` for DataFrames, ``{"inputs": ...}`` for
everything else. An example given as ``(data, params)`` stores both, and the params travel in the
payload's ``"params"``. The MLmodel's ``saved_input_example_info`` records what was written.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd  # type: ignore[import-untyped]

from shipyard.domain.errors import InvalidParameter
from shipyard.models.signature import Schema, TensorSpec

EXAMPLE_FILE_NAME = "input_example.json"
SERVING_EXAMPLE_FILE_NAME = "serving_input_example.json"


@dataclass(frozen=True)
class SavedExample:
    """An input example as written: the data and params a model can be called with, and the
    ``saved_input_example_info`` that describes the files."""

    data: Any
    params: dict[str, Any] | None
    info: dict[str, Any]


def save_input_example(example: Any, directory: Path) -> SavedExample:
    """Write both example files into ``directory``."""
    data, params = example, None
    if isinstance(example, tuple) and len(example) == 2 and isinstance(example[1], Mapping):
        data, params = example[0], dict(example[1])
    info: dict[str, Any] = {"artifact_path": EXAMPLE_FILE_NAME}
    stored: Any
    if isinstance(data, pd.DataFrame):
        stored = _split_orient(data)
        serving: dict[str, Any] = {"dataframe_split": stored}
        info.update(type="dataframe", pandas_orient="split" if "columns" in stored else "values")
    elif isinstance(data, np.ndarray) or (
        isinstance(data, Mapping) and data and all(isinstance(v, np.ndarray) for v in data.values())
    ):
        stored = _plain(data)
        serving = {"inputs": stored}
        info["type"] = "ndarray"
    elif isinstance(data, (Mapping, list, str, int, float, bool, dt.datetime)) or np.isscalar(data):
        stored = _plain(data)
        serving = {"inputs": stored}
        info["type"] = "json_object"
    else:
        raise InvalidParameter(
            "An input example must be a DataFrame, a numpy array, a dict of numpy arrays, a dict, "
            f"a list or a scalar; got {type(data).__name__}"
        )
    if params is not None:
        info["params"] = "true"
        stored = {"inputs": stored, "params": _plain(params)}
        serving["params"] = _plain(params)
    info["serving_input_path"] = SERVING_EXAMPLE_FILE_NAME
    (directory / EXAMPLE_FILE_NAME).write_text(json.dumps(stored, default=_json_default))
    (directory / SERVING_EXAMPLE_FILE_NAME).write_text(
        json.dumps(serving, default=_json_default, indent=2)
    )
    return SavedExample(data, params, info)


def load_input_example(directory: Path, info: Mapping[str, Any], schema: Schema | None) -> Any:
    """Read back the example described by ``info`` (``saved_input_example_info``)."""
    stored = json.loads((directory / str(info["artifact_path"])).read_text())
    if info.get("params"):
        stored = stored["inputs"]
    kind = info.get("type")
    if kind == "dataframe":
        return pd.DataFrame(stored["data"], columns=stored.get("columns"))
    if kind == "ndarray":
        tensors = [s for s in schema.inputs if isinstance(s, TensorSpec)] if schema else []
        if isinstance(stored, dict):
            dtypes = {s.name: s.dtype for s in tensors}
            return {k: np.asarray(v, dtype=dtypes.get(k)) for k, v in stored.items()}
        return np.asarray(stored, dtype=tensors[0].dtype if tensors else None)
    if kind == "json_object":
        return stored
    raise InvalidParameter(f"Unknown input example type {kind!r}")


def _split_orient(frame: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    default_columns = list(frame.columns) == list(range(len(frame.columns)))
    if not default_columns:
        out["columns"] = [_plain(c) for c in frame.columns]
    out["data"] = [[_plain(v) for v in row] for row in frame.itertuples(index=False, name=None)]
    return out


def _plain(value: Any) -> Any:
    """``value`` as JSON-ready Python: nested lists, NaN and NaT as None, numpy scalars unboxed."""
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()] if value.ndim else _plain(value.item())
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.datetime64):
        return None if np.isnat(value) else str(np.datetime_as_string(value))
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _json_default(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray)):
        return base64.encodebytes(bytes(value)).decode("ascii")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} values cannot be stored in an input example")
