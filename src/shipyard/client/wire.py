"""The client side of MLflow's wire: server JSON into Shipyard's entities, and back.

Servers may be Shipyard or MLflow; both speak protobuf's JSON (int64 as numbers or strings,
doubles possibly "NaN"/"Infinity", enums by name, empty fields left out).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import orjson

from shipyard.domain.entities import (
    Dataset,
    DatasetInput,
    Experiment,
    LifecycleStage,
    LoggedModel,
    LoggedModelStatus,
    Metric,
    ModelOutput,
    Run,
    RunInfo,
    RunStatus,
)
from shipyard.domain.registry import ApprovalStatus, ModelVersion, Stage, VersionStatus

_DOUBLES = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
_MODEL_STATUS = {
    "LOGGED_MODEL_PENDING": LoggedModelStatus.PENDING,
    "LOGGED_MODEL_READY": LoggedModelStatus.READY,
    "LOGGED_MODEL_UPLOAD_FAILED": LoggedModelStatus.FAILED,
}
MODEL_STATUS_TO_WIRE = {ours: wire for wire, ours in _MODEL_STATUS.items()}


def double_from(value: Any) -> float:
    """A double from protobuf JSON."""
    if isinstance(value, str):
        return _DOUBLES.get(value, math.nan) if value in _DOUBLES else float(value)
    return float(value)


def double_to(value: float) -> float | str:
    """A double as protobuf JSON writes it."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def _int(value: Any, default: int = 0) -> int:
    return default if value is None else int(value)


def _tags(items: Iterable[Mapping[str, Any]] | None) -> dict[str, str]:
    return {str(item["key"]): str(item.get("value", "")) for item in items or []}


def key_values(items: Mapping[str, str]) -> list[dict[str, str]]:
    """``{"a": "1"}`` as ``[{"key": "a", "value": "1"}]``."""
    return [{"key": key, "value": value} for key, value in items.items()]


def metric_to(metric: Metric) -> dict[str, Any]:
    """A Metric message for log-batch."""
    payload: dict[str, Any] = {
        "key": metric.key,
        "value": double_to(metric.value),
        "timestamp": metric.timestamp,
        "step": metric.step,
    }
    for name in ("model_id", "dataset_name", "dataset_digest"):
        value = getattr(metric, name)
        if value:
            payload[name] = value
    return payload


def log_batch_body(
    run_id: str,
    metrics: Sequence[Metric],
    params: Mapping[str, str],
    tags: Mapping[str, str],
) -> bytes:
    """The JSON body of a log-batch request, encoded (the logging hot path: one pass, orjson)."""
    points = []
    for metric in metrics:
        value = metric.value
        point: dict[str, Any] = {
            "key": metric.key,
            # orjson writes non-finite doubles as null; protobuf JSON spells them out
            "value": value if math.isfinite(value) else double_to(value),
            "timestamp": metric.timestamp,
            "step": metric.step,
        }
        if metric.model_id or metric.dataset_name or metric.dataset_digest:
            point = metric_to(metric)
        points.append(point)
    body = {
        "run_id": run_id,
        "metrics": points,
        "params": key_values(params),
        "tags": key_values(tags),
    }
    return orjson.dumps(body)


def dataset_input_to(item: DatasetInput) -> dict[str, Any]:
    """A DatasetInput message for log-inputs."""
    dataset: dict[str, Any] = {
        "name": item.dataset.name,
        "digest": item.dataset.digest,
        "source_type": item.dataset.source_type,
        "source": item.dataset.source,
    }
    if item.dataset.schema is not None:
        dataset["schema"] = item.dataset.schema
    if item.dataset.profile is not None:
        dataset["profile"] = item.dataset.profile
    return {"dataset": dataset, "tags": key_values(item.tags)}


def metric_from(item: Mapping[str, Any]) -> Metric:
    """A Metric (or MetricWithRunId) message."""
    return Metric(
        str(item["key"]),
        double_from(item.get("value", 0.0)),
        _int(item.get("timestamp")),
        _int(item.get("step")),
        item.get("run_id") or None,
        item.get("model_id") or None,
        item.get("dataset_name") or None,
        item.get("dataset_digest") or None,
    )


def experiment_from(item: Mapping[str, Any]) -> Experiment:
    """An Experiment message."""
    return Experiment(
        experiment_id=str(item["experiment_id"]),
        name=str(item.get("name", "")),
        artifact_location=str(item.get("artifact_location", "")),
        lifecycle_stage=LifecycleStage(item.get("lifecycle_stage", "active")),
        creation_time=_int(item.get("creation_time")),
        last_update_time=_int(item.get("last_update_time")),
        tags=_tags(item.get("tags")),
    )


def run_from(item: Mapping[str, Any]) -> Run:
    """A Run message."""
    info = item.get("info", {})
    data = item.get("data", {})
    inputs = item.get("inputs", {})
    outputs = item.get("outputs", {})
    return Run(
        info=RunInfo(
            run_id=str(info.get("run_id") or info.get("run_uuid")),
            experiment_id=str(info.get("experiment_id", "")),
            name=str(info.get("run_name", "")),
            user_id=str(info.get("user_id", "")),
            status=RunStatus(info.get("status", "RUNNING")),
            start_time=_int(info.get("start_time")),
            end_time=_int(info["end_time"]) if info.get("end_time") is not None else None,
            artifact_uri=str(info.get("artifact_uri", "")),
            lifecycle_stage=LifecycleStage(info.get("lifecycle_stage", "active")),
        ),
        params=_tags(data.get("params")),
        metrics=[metric_from(m) for m in data.get("metrics", [])],
        tags=_tags(data.get("tags")),
        dataset_inputs=[
            DatasetInput(
                Dataset(
                    name=d["dataset"]["name"],
                    digest=d["dataset"]["digest"],
                    source_type=d["dataset"].get("source_type", ""),
                    source=d["dataset"].get("source", ""),
                    schema=d["dataset"].get("schema"),
                    profile=d["dataset"].get("profile"),
                ),
                _tags(d.get("tags")),
            )
            for d in inputs.get("dataset_inputs", [])
        ],
        model_inputs=[m["model_id"] for m in inputs.get("model_inputs", [])],
        model_outputs=[
            ModelOutput(m["model_id"], _int(m.get("step")))
            for m in outputs.get("model_outputs", [])
        ],
    )


def logged_model_from(item: Mapping[str, Any]) -> LoggedModel:
    """A LoggedModel message."""
    info = item.get("info", {})
    data = item.get("data", {})
    return LoggedModel(
        model_id=str(info["model_id"]),
        experiment_id=str(info.get("experiment_id", "")),
        name=str(info.get("name", "")),
        artifact_uri=str(info.get("artifact_uri", "")),
        status=_MODEL_STATUS.get(str(info.get("status")), LoggedModelStatus.PENDING),
        creation_timestamp=_int(info.get("creation_timestamp_ms")),
        last_updated_timestamp=_int(info.get("last_updated_timestamp_ms")),
        source_run_id=info.get("source_run_id") or None,
        model_type=info.get("model_type") or None,
        status_message=info.get("status_message") or None,
        tags=_tags(info.get("tags")),
        params=_tags(data.get("params")),
        metrics=[metric_from(m) for m in data.get("metrics", [])],
    )


def model_version_from(item: Mapping[str, Any]) -> ModelVersion:
    """A ModelVersion message (approval is Shipyard's and not in it: left at its default)."""
    return ModelVersion(
        name=str(item["name"]),
        version=int(item["version"]),
        creation_timestamp=_int(item.get("creation_timestamp")),
        last_updated_timestamp=_int(item.get("last_updated_timestamp")),
        source=str(item.get("source", "")),
        storage_location=str(item.get("source", "")),
        stage=Stage.parse(str(item.get("current_stage") or "None")),
        status=VersionStatus(item.get("status", "READY")),
        user_id=item.get("user_id") or None,
        description=item.get("description") or None,
        run_id=item.get("run_id") or None,
        run_link=item.get("run_link") or None,
        model_id=item.get("model_id") or None,
        status_message=item.get("status_message") or None,
        approval_status=ApprovalStatus.PENDING,
        tags=_tags(item.get("tags")),
        aliases=[str(alias) for alias in item.get("aliases", [])],
    )
