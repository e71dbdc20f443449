"""Our entities in MLflow's JSON shapes, and the JSON response that carries them.

MLflow's client parses responses with protobuf's JSON parser: enums by name, doubles may be
the strings "NaN", "Infinity" and "-Infinity" (a bare NaN token is not JSON and breaks it),
unset fields may be absent. Empty lists and None values are left out, as MLflow's server does.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterable, Mapping
from typing import Any

import orjson
from starlette.responses import Response

from shipyard.artifacts.store import FileInfo
from shipyard.domain.entities import (
    DatasetInput,
    Experiment,
    LoggedModel,
    LoggedModelStatus,
    Metric,
    Run,
    RunInfo,
)
from shipyard.domain.registry import ModelVersion, RegisteredModel

LOGGED_MODEL_STATUS_TO_WIRE = {
    LoggedModelStatus.PENDING: "LOGGED_MODEL_PENDING",
    LoggedModelStatus.READY: "LOGGED_MODEL_READY",
    LoggedModelStatus.FAILED: "LOGGED_MODEL_UPLOAD_FAILED",
}
LOGGED_MODEL_STATUS_FROM_WIRE = {wire: ours for ours, wire in LOGGED_MODEL_STATUS_TO_WIRE.items()}


def json_response(payload: Mapping[str, Any], status_code: int = 200) -> Response:
    """A JSON response serialised with orjson."""
    return Response(orjson.dumps(payload), status_code=status_code, media_type="application/json")


EMPTY = json_response({})


def page_response(key: str, items: list[dict[str, Any]], token: str | None) -> Response:
    """A search page: ``{key: items, "next_page_token": token}`` (no token on the last)."""
    payload: dict[str, Any] = {key: items}
    if token:
        payload["next_page_token"] = token
    return json_response(payload)


_MAX_DOUBLE = sys.float_info.max


def double(value: float) -> float | str:
    """A double as protobuf's JSON writes it."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def key_values(items: Mapping[str, str]) -> list[dict[str, str]]:
    """``{"a": "1"}`` as ``[{"key": "a", "value": "1"}]``."""
    return [{"key": key, "value": value} for key, value in items.items()]


def _compact(payload: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in payload.items() if value is not None and value != []}


def experiment(item: Experiment) -> dict[str, Any]:
    """An Experiment message."""
    return _compact(
        {
            "experiment_id": item.experiment_id,
            "name": item.name,
            "artifact_location": item.artifact_location,
            "lifecycle_stage": item.lifecycle_stage.value,
            "last_update_time": item.last_update_time,
            "creation_time": item.creation_time,
            "tags": key_values(item.tags),
        }
    )


def metric(item: Metric, *, with_run: bool = False) -> dict[str, Any]:
    """A Metric message (a MetricWithRunId with ``with_run``)."""
    payload: dict[str, Any] = {
        "key": item.key,
        "value": double(item.value),
        "timestamp": item.timestamp,
        "step": item.step,
    }
    if with_run and item.run_id:
        payload["run_id"] = item.run_id
    return payload


def metrics(items: Iterable[Metric], *, with_run: bool = False) -> list[dict[str, Any]]:
    """Metric messages."""
    if not with_run:
        return _plain_metrics(items)
    return [metric(item, with_run=with_run) for item in items]


def run_info(info: RunInfo) -> dict[str, Any]:
    """A RunInfo message (``run_uuid`` repeats ``run_id`` for older clients)."""
    payload: dict[str, Any] = {
        "run_id": info.run_id,
        "run_uuid": info.run_id,
        "run_name": info.name,
        "experiment_id": info.experiment_id,
        "user_id": info.user_id,
        "status": info.status.value,
        "start_time": info.start_time,
        "artifact_uri": info.artifact_uri,
        "lifecycle_stage": info.lifecycle_stage.value,
    }
    if info.end_time is not None:
        payload["end_time"] = info.end_time
    return payload


def _dataset_input(item: DatasetInput) -> dict[str, Any]:
    dataset = item.dataset
    return _compact(
        {
            "tags": key_values(item.tags),
            "dataset": _compact(
                {
                    "name": dataset.name,
                    "digest": dataset.digest,
                    "source_type": dataset.source_type,
                    "source": dataset.source,
                    "schema": dataset.schema,
                    "profile": dataset.profile,
                }
            ),
        }
    )


def _plain_metrics(items: Iterable[Metric]) -> list[dict[str, Any]]:
    # runs once per point of a history page or metric of a listed run: finite values skip
    # the NaN/Infinity conversion
    return [
        {
            "key": m[0],
            "value": m[1] if -_MAX_DOUBLE <= m[1] <= _MAX_DOUBLE else double(m[1]),
            "timestamp": m[2],
            "step": m[3],
        }
        for m in items
    ]


def run(item: Run) -> dict[str, Any]:
    """A Run message: info, data, inputs and outputs."""
    data: dict[str, Any] = {}
    if item.metrics:
        data["metrics"] = _plain_metrics(item.metrics)
    if item.params:
        data["params"] = [{"key": k, "value": v} for k, v in item.params.items()]
    if item.tags:
        data["tags"] = [{"key": k, "value": v} for k, v in item.tags.items()]
    inputs: dict[str, Any] = {}
    if item.dataset_inputs:
        inputs["dataset_inputs"] = [_dataset_input(d) for d in item.dataset_inputs]
    if item.model_inputs:
        inputs["model_inputs"] = [{"model_id": model_id} for model_id in item.model_inputs]
    payload: dict[str, Any] = {"info": run_info(item.info), "data": data, "inputs": inputs}
    if item.model_outputs:
        payload["outputs"] = {
            "model_outputs": [{"model_id": o.model_id, "step": o.step} for o in item.model_outputs]
        }
    return payload


def _model_metric(item: Metric) -> dict[str, Any]:
    return _compact(
        {
            "key": item.key,
            "value": double(item.value),
            "timestamp": item.timestamp,
            "step": item.step,
            "dataset_name": item.dataset_name,
            "dataset_digest": item.dataset_digest,
            "model_id": item.model_id,
            "run_id": item.run_id,
        }
    )


def logged_model(item: LoggedModel) -> dict[str, Any]:
    """A LoggedModel message: info and data."""
    return {
        "info": _compact(
            {
                "model_id": item.model_id,
                "experiment_id": item.experiment_id,
                "name": item.name,
                "creation_timestamp_ms": item.creation_timestamp,
                "last_updated_timestamp_ms": item.last_updated_timestamp,
                "artifact_uri": item.artifact_uri,
                "status": LOGGED_MODEL_STATUS_TO_WIRE[item.status],
                "model_type": item.model_type,
                "source_run_id": item.source_run_id,
                "status_message": item.status_message,
                "tags": key_values(item.tags),
            }
        ),
        "data": _compact(
            {
                "params": key_values(item.params),
                "metrics": [_model_metric(point) for point in item.metrics],
            }
        ),
    }


def file_info(item: FileInfo, *, path: str | None = None) -> dict[str, Any]:
    """A FileInfo message; folders carry no size."""
    payload: dict[str, Any] = {
        "path": path if path is not None else item.path,
        "is_dir": item.is_dir,
    }
    if not item.is_dir and item.size is not None:
        payload["file_size"] = item.size
    return payload


def model_version(item: ModelVersion) -> dict[str, Any]:
    """A ModelVersion message (the version number travels as a string)."""
    return _compact(
        {
            "name": item.name,
            "version": str(item.version),
            "creation_timestamp": item.creation_timestamp,
            "last_updated_timestamp": item.last_updated_timestamp,
            "user_id": item.user_id,
            "current_stage": item.stage.value,
            "description": item.description,
            "source": item.source,
            "run_id": item.run_id,
            "status": item.status.value,
            "status_message": item.status_message,
            "tags": key_values(item.tags),
            "run_link": item.run_link,
            "aliases": list(item.aliases),
            "model_id": item.model_id,
        }
    )


def registered_model(item: RegisteredModel) -> dict[str, Any]:
    """A RegisteredModel message."""
    return _compact(
        {
            "name": item.name,
            "creation_timestamp": item.creation_timestamp,
            "last_updated_timestamp": item.last_updated_timestamp,
            "user_id": item.user_id,
            "description": item.description,
            "latest_versions": [model_version(v) for v in item.latest_versions],
            "tags": key_values(item.tags),
            "aliases": [{"alias": a, "version": str(v)} for a, v in item.aliases.items()],
        }
    )
