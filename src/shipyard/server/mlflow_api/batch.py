"""Reading log-batch bodies: the hot path of ingest, parsed by hand.

A log-batch carries up to 1000 metric points; parsing it through pydantic with MLflow's lenient
number rules costs several times what storing it does. This reader does the same checks in one
pass over orjson's output and builds the ``Metric`` tuples directly. The pydantic shape
(``messages.LogBatch``) still documents the body in the OpenAPI spec.

The rules are protobuf's JSON rules, as MLflow's client relies on them: doubles are numbers or
the strings "NaN", "Infinity", "-Infinity" (or numeric strings); int64 values are integers,
integral floats, or strings of digits; booleans are never numbers; unknown fields are ignored.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import orjson

from shipyard.domain.entities import Metric
from shipyard.domain.errors import InvalidParameter
from shipyard.server.mlflow_api.errors import shown_value

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
_NO_LINKS = (None, None, None, None)  # run_id, model_id, dataset_name, dataset_digest
_new_tuple = tuple.__new__
_SPECIAL_DOUBLES = {"nan": math.nan, "infinity": math.inf, "-infinity": -math.inf}


@dataclass(frozen=True, slots=True)
class LogBatchRequest:
    """A parsed log-batch body."""

    run_id: str
    metrics: list[Metric]
    params: list[tuple[str, str]]
    tags: list[tuple[str, str]]


def _invalid(path: str, value: Any, why: str) -> InvalidParameter:
    shown = shown_value(value)
    return InvalidParameter(f"Invalid value {shown} for parameter '{path}' supplied: {why}")


def _double(value: Any, path: str) -> float:
    if isinstance(value, float):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        special = _SPECIAL_DOUBLES.get(value.strip().lower())
        if special is not None:
            return special
        try:
            return float(value)
        except ValueError:
            pass
    raise _invalid(path, value, 'expected a number (or "NaN", "Infinity", "-Infinity")')


def _is_integer_text(value: str) -> bool:
    digits = value.strip().removeprefix("-")
    return digits.isascii() and digits.isdigit()


def _integral(value: Any) -> bool:
    if isinstance(value, float):
        return value.is_integer()
    return isinstance(value, str) and _is_integer_text(value)


def _int64(value: Any, path: str) -> int:
    number: int
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif (isinstance(value, float) and value.is_integer()) or (
        isinstance(value, str) and _is_integer_text(value)
    ):
        number = int(value)
    else:
        raise _invalid(path, value, "expected a 64-bit integer")
    if not INT64_MIN <= number <= INT64_MAX:
        raise _invalid(path, value, "out of the 64-bit integer range")
    return number


def _string(value: Any, path: str) -> str:
    if isinstance(value, str):
        return value
    raise _invalid(path, value, "expected a string")


def _optional_string(item: dict[str, Any], name: str, path: str) -> str | None:
    value = item.get(name)
    if value is None or value == "":
        return None
    return _string(value, f"{path}.{name}")


def _list(body: dict[str, Any], name: str) -> list[Any]:
    value = body.get(name)
    if value is None:
        return []
    if not isinstance(value, list):
        raise _invalid(name, value, "expected a list")
    return value


def _required(item: dict[str, Any], name: str, path: str) -> Any:
    value = item.get(name)
    if value is None:
        raise InvalidParameter(f"Missing value for required parameter '{path}.{name}'.")
    return value


def _metric(item: Any, index: int) -> Metric:
    path = f"metrics[{index}]"
    if not isinstance(item, dict):
        raise _invalid(path, item, "expected an object")
    step = item.get("step")
    return Metric(
        _string(_required(item, "key", path), f"{path}.key"),
        _double(_required(item, "value", path), f"{path}.value"),
        _int64(_required(item, "timestamp", path), f"{path}.timestamp"),
        0 if step is None else _int64(step, f"{path}.step"),
        None,
        _optional_string(item, "model_id", path),
        _optional_string(item, "dataset_name", path),
        _optional_string(item, "dataset_digest", path),
    )


def _pairs(body: dict[str, Any], name: str) -> list[tuple[str, str]]:
    pairs = []
    for index, item in enumerate(_list(body, name)):
        path = f"{name}[{index}]"
        if not isinstance(item, dict):
            raise _invalid(path, item, "expected an object")
        key = _string(_required(item, "key", path), f"{path}.key")
        value = _string(_required(item, "value", path), f"{path}.value")
        pairs.append((key, value))
    return pairs


def parse_log_batch(raw: bytes) -> LogBatchRequest:
    """A log-batch request from its JSON body; ``InvalidParameter`` says what is wrong."""
    try:
        body = orjson.loads(raw) if raw else {}
    except orjson.JSONDecodeError as exc:
        raise InvalidParameter(
            f"The request body is not valid JSON ({exc}). Send a JSON object."
        ) from exc
    if not isinstance(body, dict):
        raise InvalidParameter(
            "The request body must be a JSON object, sent with Content-Type: application/json."
        )
    run_id = body.get("run_id") or body.get("run_uuid") or ""
    run_id = _string(run_id, "run_id")
    metrics = []
    for index, item in enumerate(_list(body, "metrics")):
        # Fast path for the common point: exactly key, value, timestamp, step, plainly typed.
        # Anything else (strings for numbers, model or dataset links, errors) goes the long way.
        if item.__class__ is dict and len(item) == 4:
            key = item.get("key")
            value = item.get("value")
            timestamp = item.get("timestamp")
            step = item.get("step")
            if (
                key.__class__ is str
                and value.__class__ is float
                and timestamp.__class__ is int
                and step.__class__ is int
                and INT64_MIN <= step <= INT64_MAX
                and INT64_MIN <= timestamp <= INT64_MAX
            ):
                # tuple.__new__ skips the named tuple's Python-level constructor (half the cost)
                metrics.append(_new_tuple(Metric, (key, value, timestamp, step, *_NO_LINKS)))
                continue
        metrics.append(_metric(item, index))
    return LogBatchRequest(run_id, metrics, _pairs(body, "params"), _pairs(body, "tags"))
