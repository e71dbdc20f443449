"""Model signatures: what a model takes and returns, in MLflow's JSON format.

A signature holds up to three schemas. ``inputs`` and ``outputs`` are either column-based (a list
of :class:`ColSpec`, one per DataFrame column) or tensor-based (a list of :class:`TensorSpec`);
``params`` lists the inference parameters a model accepts (:class:`ParamSpec`). In an ``MLmodel``
file each schema is a JSON *string*::

    signature:
      inputs: '[{"type": "double", "name": "x", "required": true}]'
      outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 1]}}]'
      params: '[{"name": "k", "default": 3, "shape": null, "type": "long"}]'

Column types beyond the eight scalar ones (MLflow's ``array``, ``object``, ``map``, ``any``) are
kept verbatim as :class:`ComplexType` so that they survive a round trip; Shipyard passes such
columns through on predict without checking them.

This module needs neither numpy nor pandas; inference (:func:`infer_signature`) and enforcement
(``shipyard.models.enforcement``) import them when called.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from shipyard.domain.errors import InvalidParameter

__all__ = [
    "ColSpec",
    "ComplexType",
    "DataType",
    "ModelSignature",
    "ParamSchema",
    "ParamSpec",
    "Schema",
    "SignatureMismatch",
    "TensorSpec",
    "infer_signature",
]


class SignatureMismatch(InvalidParameter):
    """Input data or params that do not fit the model's signature."""


class DataType(StrEnum):
    """The scalar column types, named as in MLflow's JSON."""

    BOOLEAN = "boolean"
    INTEGER = "integer"
    LONG = "long"
    FLOAT = "float"
    DOUBLE = "double"
    STRING = "string"
    BINARY = "binary"
    DATETIME = "datetime"

    @property
    def numpy_dtype(self) -> str:
        """The numpy dtype (as a string) that holds values of this type."""
        return _NUMPY_DTYPES[self]


_TYPE_NAMES = frozenset(t.value for t in DataType)

_NUMPY_DTYPES = {
    DataType.BOOLEAN: "bool",
    DataType.INTEGER: "int32",
    DataType.LONG: "int64",
    DataType.FLOAT: "float32",
    DataType.DOUBLE: "float64",
    DataType.STRING: "str",
    DataType.BINARY: "bytes",
    DataType.DATETIME: "datetime64[ns]",
}


@dataclass(frozen=True)
class ComplexType:
    """A non-scalar column type (``array``, ``object``, ``map``, ``any``...), kept as its JSON."""

    spec: Mapping[str, Any]

    def __hash__(self) -> int:
        return hash(json.dumps(self.spec, sort_keys=True, default=str))

    @property
    def kind(self) -> str:
        """The JSON ``type`` field, e.g. ``"array"``."""
        return str(self.spec.get("type"))


ColumnType = DataType | ComplexType


@dataclass(frozen=True)
class ColSpec:
    """One column: its type, its name (``None`` for positional columns) and whether it must be
    present."""

    type: ColumnType
    name: str | None = None
    required: bool = True

    def to_dict(self) -> dict[str, Any]:
        """The JSON form, keys in MLflow's order."""
        out: dict[str, Any] = (
            {"type": self.type.value} if isinstance(self.type, DataType) else dict(self.type.spec)
        )
        if self.name is not None:
            out["name"] = self.name
        out["required"] = self.required
        return out

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> ColSpec:
        """Read the JSON form; unknown types become a :class:`ComplexType`."""
        body = {k: v for k, v in raw.items() if k not in ("name", "required")}
        kind = body.get("type")
        if kind is None:
            raise InvalidParameter(f"A column spec has no 'type': {dict(raw)!r}")
        column_type: ColumnType = DataType(kind) if kind in _TYPE_NAMES else ComplexType(body)
        required = raw.get("required")
        return cls(column_type, raw.get("name"), True if required is None else bool(required))


@dataclass(frozen=True)
class TensorSpec:
    """One tensor: its numpy dtype name and shape, where -1 marks a variable dimension."""

    dtype: str
    shape: tuple[int, ...]
    name: str | None = None

    @property
    def required(self) -> bool:
        """Tensors are always required."""
        return True

    def to_dict(self) -> dict[str, Any]:
        """The JSON form, keys in MLflow's order."""
        spec = {"dtype": self.dtype, "shape": list(self.shape)}
        if self.name is None:
            return {"type": "tensor", "tensor-spec": spec}
        return {"name": self.name, "type": "tensor", "tensor-spec": spec}

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> TensorSpec:
        """Read the JSON form."""
        spec = raw.get("tensor-spec")
        if not isinstance(spec, Mapping) or "dtype" not in spec or "shape" not in spec:
            raise InvalidParameter(f"A tensor spec needs 'dtype' and 'shape': {dict(raw)!r}")
        return cls(str(spec["dtype"]), tuple(int(d) for d in spec["shape"]), raw.get("name"))


InputSpec = ColSpec | TensorSpec


@dataclass(frozen=True)
class Schema:
    """An ordered list of column specs or of tensor specs, never a mix."""

    inputs: tuple[InputSpec, ...]

    def __init__(self, inputs: Sequence[InputSpec]) -> None:
        specs = tuple(inputs)
        if not specs:
            raise InvalidParameter("A schema needs at least one column or tensor.")
        if not (
            all(isinstance(s, ColSpec) for s in specs)
            or all(isinstance(s, TensorSpec) for s in specs)
        ):
            raise InvalidParameter("A schema holds either column specs or tensor specs, not both.")
        named = [s.name is not None for s in specs]
        if any(named) and not all(named):
            raise InvalidParameter("Either every input of a schema has a name or none has.")
        object.__setattr__(self, "inputs", specs)

    @property
    def is_tensor_spec(self) -> bool:
        """Whether the schema describes tensors rather than columns."""
        return isinstance(self.inputs[0], TensorSpec)

    @property
    def has_input_names(self) -> bool:
        """Whether the inputs are named (otherwise they are matched by position)."""
        return self.inputs[0].name is not None

    def input_names(self) -> list[str]:
        """The names of the inputs, in order (empty when unnamed)."""
        return [s.name for s in self.inputs if s.name is not None]

    def to_json(self) -> str:
        """The JSON string stored in an MLmodel file."""
        return json.dumps([s.to_dict() for s in self.inputs])

    @classmethod
    def from_json(cls, text: str) -> Schema:
        """Read the JSON string stored in an MLmodel file."""
        items = _json_list(text, "schema")
        return cls(
            [
                TensorSpec.from_dict(x) if x.get("type") == "tensor" else ColSpec.from_dict(x)
                for x in items
            ]
        )


@dataclass(frozen=True)
class ParamSpec:
    """One inference parameter: name, type, default, and shape (``None`` or ``(-1,)``)."""

    name: str
    type: ColumnType
    default: Any
    shape: tuple[int, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form, keys in MLflow's order."""
        out: dict[str, Any] = {
            "name": self.name,
            "default": _jsonable_default(self.default),
            "shape": list(self.shape) if self.shape is not None else None,
        }
        if isinstance(self.type, DataType):
            out["type"] = self.type.value
        else:
            out.update(self.type.spec)
        return out

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> ParamSpec:
        """Read the JSON form (older files say ``dtype`` instead of ``type``)."""
        kind = raw.get("type") or raw.get("dtype")
        if "name" not in raw or kind is None or "default" not in raw:
            raise InvalidParameter(f"A param spec needs name, type and default: {dict(raw)!r}")
        shape = raw.get("shape")
        param_type: ColumnType
        if kind in _TYPE_NAMES:
            param_type = DataType(kind)
        else:
            skipped = ("name", "default", "shape", "dtype")
            param_type = ComplexType({k: v for k, v in raw.items() if k not in skipped})
        return cls(
            str(raw["name"]),
            param_type,
            raw["default"],
            tuple(int(d) for d in shape) if shape is not None else None,
        )


@dataclass(frozen=True)
class ParamSchema:
    """The inference parameters a model accepts."""

    params: tuple[ParamSpec, ...]

    def __init__(self, params: Sequence[ParamSpec]) -> None:
        names = [p.name for p in params]
        if duplicates := sorted({n for n in names if names.count(n) > 1}):
            raise InvalidParameter(f"Duplicate parameters in a params schema: {duplicates}")
        object.__setattr__(self, "params", tuple(params))

    def to_json(self) -> str:
        """The JSON string stored in an MLmodel file."""
        return json.dumps([p.to_dict() for p in self.params])

    @classmethod
    def from_json(cls, text: str) -> ParamSchema:
        """Read the JSON string stored in an MLmodel file."""
        return cls([ParamSpec.from_dict(x) for x in _json_list(text, "params schema")])


@dataclass(frozen=True)
class ModelSignature:
    """The input schema, the output schema and the params schema of a model; each is optional."""

    inputs: Schema | None = None
    outputs: Schema | None = None
    params: ParamSchema | None = field(default=None)

    def to_dict(self) -> dict[str, str | None]:
        """The ``signature`` mapping of an MLmodel file: JSON strings or nulls."""
        return {
            "inputs": self.inputs.to_json() if self.inputs else None,
            "outputs": self.outputs.to_json() if self.outputs else None,
            "params": self.params.to_json() if self.params else None,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> ModelSignature:
        """Read the ``signature`` mapping of an MLmodel file."""
        inputs, outputs, params = raw.get("inputs"), raw.get("outputs"), raw.get("params")
        return cls(
            Schema.from_json(inputs) if inputs else None,
            Schema.from_json(outputs) if outputs else None,
            ParamSchema.from_json(params) if params else None,
        )


def infer_signature(
    input_example: Any, output: Any = None, params: Mapping[str, Any] | None = None
) -> ModelSignature:
    """The signature of a model that takes ``input_example`` and returns ``output``.

    Inputs may be a pandas DataFrame or Series, a numpy array, a dict of numpy arrays (named
    tensors), a dict of scalars or lists (one row), a list of dicts (rows), a list of scalars or a
    scalar. ``params`` maps parameter names to their default values.
    """
    from shipyard.models.inference import infer_param_schema, infer_schema

    return ModelSignature(
        infer_schema(input_example) if input_example is not None else None,
        infer_schema(output) if output is not None else None,
        infer_param_schema(params) if params else None,
    )


def _json_list(text: str, what: str) -> list[Mapping[str, Any]]:
    try:
        items = json.loads(text)
    except (TypeError, ValueError) as exc:
        raise InvalidParameter(f"The {what} is not valid JSON: {exc}") from None
    if not isinstance(items, list) or not all(isinstance(x, Mapping) for x in items):
        raise InvalidParameter(f"The {what} must be a JSON list of objects, got {text!r}")
    return items


def _jsonable_default(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_jsonable_default(v) for v in value]
    return value
