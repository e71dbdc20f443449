"""The fluent tracking API: MLflow's names (``start_run``, ``log_metric``...) on Shipyard's client.

State is per process: the tracking URI, the current experiment, and a stack of active runs per
thread (nested runs push onto it). ``start_run`` returns a context manager that ends the run
FINISHED, or FAILED if the block raises.
"""

from __future__ import annotations

import getpass
import os
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from shipyard.client.http import tracking_uri as default_tracking_uri
from shipyard.client.rest import RestTracking
from shipyard.domain.clock import now_ms
from shipyard.domain.entities import Experiment, LifecycleStage, Metric, Run, RunStatus
from shipyard.domain.errors import InvalidParameter

PARENT_RUN_TAG = "mlflow.parentRunId"


class _State(threading.local):
    def __init__(self) -> None:
        self.runs: list[Run] = []


_uri: str | None = None
_backend: RestTracking | None = None
_experiment_id: str | None = None
_lock = threading.Lock()
_state = _State()


def set_tracking_uri(uri: str | None) -> None:
    """Point the fluent API at a tracking server (None: back to the environment's default)."""
    global _uri, _backend
    with _lock:
        _uri = uri
        if _backend is not None:
            _backend.close()
        _backend = None


def get_tracking_uri() -> str:
    """The tracking server in use."""
    return default_tracking_uri(_uri)


def backend() -> RestTracking:
    """The connection the fluent API uses (opened on first use)."""
    global _backend
    with _lock:
        if _backend is None:
            _backend = RestTracking(get_tracking_uri())
        return _backend


def set_experiment(name: str | None = None, experiment_id: str | None = None) -> str:
    """Make an experiment current, creating it by name if needed; return its id."""
    global _experiment_id
    client = backend()
    found: Experiment | None
    if experiment_id is not None:
        found = client.get_experiment(experiment_id)
    elif name:
        found = client.find_experiment_by_name(name)
        if found is None:
            _experiment_id = client.create_experiment(name)
            return _experiment_id
    else:
        raise InvalidParameter("set_experiment needs a name or an experiment_id.")
    if found.lifecycle_stage is not LifecycleStage.ACTIVE:
        raise InvalidParameter(
            f"Cannot set a deleted experiment ({found.name!r}) as current: restore it first."
        )
    _experiment_id = found.experiment_id
    return _experiment_id


def _current_experiment() -> str:
    if _experiment_id is not None:
        return _experiment_id
    if os.environ.get("MLFLOW_EXPERIMENT_ID"):
        return os.environ["MLFLOW_EXPERIMENT_ID"]
    if os.environ.get("MLFLOW_EXPERIMENT_NAME"):
        return set_experiment(os.environ["MLFLOW_EXPERIMENT_NAME"])
    return "0"


class ActiveRun:
    """The run ``start_run`` began; ends it when used as a context manager."""

    def __init__(self, run: Run) -> None:
        self.run = run

    @property
    def info(self) -> Any:
        """The run's attributes (``run_id``, ``experiment_id``, ``artifact_uri``...)."""
        return self.run.info

    def __enter__(self) -> ActiveRun:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        end_run(RunStatus.FINISHED if exc_type is None else RunStatus.FAILED)


def _default_tags() -> dict[str, str]:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return {
        "mlflow.user": user,
        "mlflow.source.name": os.path.abspath(sys.argv[0]) if sys.argv and sys.argv[0] else "",
        "mlflow.source.type": "LOCAL",
    }


def start_run(
    run_id: str | None = None,
    experiment_id: str | None = None,
    run_name: str | None = None,
    nested: bool = False,
    tags: Mapping[str, str] | None = None,
) -> ActiveRun:
    """Start a run (or resume one with ``run_id``) and make it active."""
    client = backend()
    if _state.runs and not nested:
        raise InvalidParameter(
            f"Run {_state.runs[-1].info.run_id} is already active: end it first, or pass "
            "nested=True to start a child run."
        )
    if run_id is not None:
        run = client.get_run(run_id)
        client.update_run(run_id, RunStatus.RUNNING)
    else:
        all_tags = {**_default_tags(), **(tags or {})}
        if nested and _state.runs:
            all_tags[PARENT_RUN_TAG] = _state.runs[-1].info.run_id
        run = client.create_run(
            experiment_id or _current_experiment(),
            run_name=run_name,
            tags=all_tags,
            user_id=all_tags["mlflow.user"],
        )
    _state.runs.append(run)
    return ActiveRun(run)


def end_run(status: RunStatus | str = RunStatus.FINISHED) -> None:
    """End the active run (no-op without one)."""
    if not _state.runs:
        return
    run = _state.runs.pop()
    backend().update_run(run.info.run_id, RunStatus(str(status)), end_time=now_ms())


def active_run() -> Run | None:
    """The active run of this thread, or None."""
    return _state.runs[-1] if _state.runs else None


def _run_id() -> str:
    if not _state.runs:
        start_run()
    return _state.runs[-1].info.run_id


def log_param(key: str, value: Any) -> None:
    """Log a param to the active run (starting one if needed)."""
    backend().log_batch(_run_id(), params={key: str(value)})


def log_params(params: Mapping[str, Any]) -> None:
    """Log several params."""
    backend().log_batch(_run_id(), params={k: str(v) for k, v in params.items()})


def log_metric(
    key: str, value: float, step: int | None = None, timestamp: int | None = None
) -> None:
    """Log a metric point."""
    point = Metric(key, float(value), timestamp or now_ms(), step or 0)
    backend().log_batch(_run_id(), metrics=[point])


def log_metrics(metrics: Mapping[str, float], step: int | None = None) -> None:
    """Log several metrics at one step."""
    at = now_ms()
    points = [Metric(k, float(v), at, step or 0) for k, v in metrics.items()]
    backend().log_batch(_run_id(), metrics=points)


def set_tag(key: str, value: Any) -> None:
    """Set a tag on the active run."""
    backend().log_batch(_run_id(), tags={key: str(value)})


def set_tags(tags: Mapping[str, Any]) -> None:
    """Set several tags."""
    backend().log_batch(_run_id(), tags={k: str(v) for k, v in tags.items()})


def log_artifact(local_path: str | Path, artifact_path: str | None = None) -> None:
    """Upload a file to the active run's artifacts."""
    _run_id()
    backend().upload(Path(local_path), _state.runs[-1].info.artifact_uri, artifact_path or "")


def log_artifacts(local_dir: str | Path, artifact_path: str | None = None) -> None:
    """Upload a folder's files to the active run's artifacts."""
    _run_id()
    backend().upload(Path(local_dir), _state.runs[-1].info.artifact_uri, artifact_path or "")


def get_run(run_id: str) -> Run:
    """A run by id."""
    return backend().get_run(run_id)


def log_model_with(save: Any, model: Any, name: str, **options: Any) -> Any:
    """Log a model package to the active run (or, with none, the current experiment)."""
    from shipyard.client.models import log_model

    run = active_run()
    return log_model(
        backend(),
        experiment_id=run.info.experiment_id if run else _current_experiment(),
        run_id=run.info.run_id if run else None,
        save=save,
        model=model,
        name=name,
        **options,
    )
