"""The fluent tracking API: MLflow's names (``start_run``, ``log_metric``...) on ``Client``.

State is per process: the tracking URI, the client opened on it, the current experiment, and a
stack of active runs per thread (nested runs push onto it). ``start_run`` returns a context
manager that ends the run FINISHED, or FAILED if the block raises. Logging calls go through the
client's batch logger: ``end_run`` and ``flush`` wait until they are stored, and whatever is
still queued when the interpreter exits is sent then (active runs are ended FINISHED, as MLflow
does).
"""

from __future__ import annotations

import atexit
import dataclasses
import getpass
import importlib.util
import os
import sys
import threading
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from shipyard.domain.entities import (
    Experiment,
    LifecycleStage,
    Metric,
    Run,
    RunStatus,
    ViewType,
)
from shipyard.domain.errors import AlreadyExists, InvalidParameter, ShipyardError

if TYPE_CHECKING:
    from shipyard.client.backend import TrackingBackend
    from shipyard.client.tracking import Client

PARENT_RUN_TAG = "mlflow.parentRunId"
NOTE_TAG = "mlflow.note.content"
SEARCH_MAX_RESULTS = 100_000


class _State(threading.local):
    def __init__(self) -> None:
        self.runs: list[ActiveRun] = []


_uri: str | None = None
_client: Client | None = None
_experiment_id: str | None = None
_last_run_id: str | None = None
_lock = threading.Lock()
_state = _State()


# -- where data goes --------------------------------------------------------------------------


def set_tracking_uri(uri: str | Path | None) -> None:
    """Point the fluent API at a tracking URI: ``http(s)://host:port``, a folder or
    ``file:///folder`` (embedded store), ``sqlite:///file.db``; None goes back to the
    environment's choice. What is queued for the previous one is sent first."""
    global _uri, _client
    with _lock:
        previous, _client = _client, None
        _uri = str(uri) if uri is not None else None
    if previous is not None:
        previous.close()


def get_tracking_uri() -> str:
    """The tracking URI in use (the embedded default's data folder as a ``file://`` URI)."""
    from shipyard.client.backend import is_server_uri, resolve_tracking_uri

    if _client is not None:
        return _client.tracking_uri
    resolved = resolve_tracking_uri(_uri)
    if resolved is None:
        from shipyard.server.settings import default_data_dir

        return default_data_dir().expanduser().resolve().as_uri()
    return resolved.rstrip("/") if is_server_uri(resolved) else resolved


def client() -> Client:
    """The ``shipyard.Client`` the fluent API uses (opened on first use)."""
    global _client
    with _lock:
        if _client is None:
            from shipyard.client.tracking import Client

            _client = Client(_uri)
        return _client


def backend() -> TrackingBackend:
    """The backend under the fluent API's client (a server connection or the embedded store)."""
    return client().backend


def flush(timeout: float | None = None) -> None:
    """Wait until every logging call made so far is stored; raise the calls that were refused.

    With ``timeout`` (seconds), stop waiting with a ``TransientError`` after that long."""
    if _client is not None:
        _client.flush(timeout)


# -- experiments ------------------------------------------------------------------------------


def set_experiment(
    experiment_name: str | None = None, experiment_id: str | None = None
) -> Experiment:
    """Make an experiment current, creating it by name if needed; return it."""
    global _experiment_id
    tracking = client()
    found: Experiment | None
    if experiment_id is not None:
        found = tracking.get_experiment(str(experiment_id))
    elif experiment_name:
        found = tracking.get_experiment_by_name(experiment_name)
        if found is None:
            try:
                found = tracking.get_experiment(tracking.create_experiment(experiment_name))
            except AlreadyExists:
                # Another process created it between the lookup and the create.
                found = tracking.get_experiment_by_name(experiment_name)
                if found is None:
                    raise
    else:
        raise InvalidParameter("set_experiment needs an experiment_name or an experiment_id.")
    if found.lifecycle_stage is not LifecycleStage.ACTIVE:
        raise InvalidParameter(
            f"Cannot set a deleted experiment ({found.name!r}) as current: restore it first "
            "(shipyard experiments restore) or choose another name."
        )
    _experiment_id = found.experiment_id
    return found


def get_experiment(experiment_id: str) -> Experiment:
    """An experiment by id; ``NotFound`` if there is none."""
    return client().get_experiment(str(experiment_id))


def get_experiment_by_name(name: str) -> Experiment | None:
    """An experiment by name, or None."""
    return client().get_experiment_by_name(name)


def create_experiment(
    name: str, artifact_location: str | None = None, tags: Mapping[str, Any] | None = None
) -> str:
    """Create an experiment; return its id."""
    return client().create_experiment(name, artifact_location, tags)


def set_experiment_tag(key: str, value: Any) -> None:
    """Set a tag on the current experiment."""
    client().set_experiment_tag(_current_experiment(), key, value)


def _current_experiment() -> str:
    if _experiment_id is not None:
        return _experiment_id
    if os.environ.get("MLFLOW_EXPERIMENT_ID"):
        return os.environ["MLFLOW_EXPERIMENT_ID"]
    if os.environ.get("MLFLOW_EXPERIMENT_NAME"):
        return set_experiment(os.environ["MLFLOW_EXPERIMENT_NAME"]).experiment_id
    return "0"


# -- runs -------------------------------------------------------------------------------------


class ActiveRun(Run):
    """The run ``start_run`` began (a ``Run``); ends it when used as a context manager."""

    __slots__ = ()

    @classmethod
    def of(cls, run: Run) -> ActiveRun:
        """The active form of a run."""
        return cls(**{field.name: getattr(run, field.name) for field in dataclasses.fields(run)})

    @property
    def run(self) -> ActiveRun:
        """The run itself (kept for code written against an earlier version)."""
        return self

    def __enter__(self) -> ActiveRun:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc_type is None:
            status = RunStatus.FINISHED
        elif issubclass(exc_type, KeyboardInterrupt):
            status = RunStatus.KILLED  # as MLflow records an interrupted run
        else:
            status = RunStatus.FAILED
        run_ids = [active.info.run_id for active in _state.runs]
        if self.info.run_id not in run_ids:
            return  # ended already, by end_run inside the block
        # child runs left open inside the block end with it
        while _state.runs and _state.runs[-1] is not self:
            end_run(status)
        end_run(status)


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
    parent_run_id: str | None = None,
    tags: Mapping[str, Any] | None = None,
    description: str | None = None,
    log_system_metrics: bool | None = None,
) -> ActiveRun:
    """Start a run (or resume one with ``run_id``) and make it active.

    With an active run, pass ``nested=True`` to start a child run of it; ``parent_run_id``
    names the parent explicitly (it must be the active run, when one is active).
    ``log_system_metrics`` samples CPU, memory, disk, network and GPU use into the run as
    ``system/...`` metrics (True) or not (False); None follows
    ``SHIPYARD_ENABLE_SYSTEM_METRICS_LOGGING`` and ``enable_system_metrics_logging()``.
    """
    global _last_run_id
    tracking = client()
    if _state.runs and not nested:
        raise InvalidParameter(
            f"Run {_state.runs[-1].info.run_id} is already active: end it first "
            "(end_run()), or pass nested=True to start a child run."
        )
    active_parent = _state.runs[-1].info.run_id if _state.runs else None
    if parent_run_id and active_parent and parent_run_id != active_parent:
        raise InvalidParameter(
            f"parent_run_id {parent_run_id} is not the active run {active_parent}: "
            "end the active run first, or leave parent_run_id out."
        )
    if run_id is not None:
        run = tracking.get_run(run_id)
        if run.info.lifecycle_stage is not LifecycleStage.ACTIVE:
            raise InvalidParameter(
                f"Cannot resume run {run_id}: it is deleted. Restore it first "
                "(Client().restore_run)."
            )
        if experiment_id is not None and str(experiment_id) != run.info.experiment_id:
            raise InvalidParameter(
                f"Run {run_id} belongs to experiment {run.info.experiment_id}, not "
                f"{experiment_id}: leave experiment_id out to resume it."
            )
        tracking.update_run(run_id, RunStatus.RUNNING)
        if tags:
            tracking.log_batch(run_id, tags=tags)
        run = tracking.get_run(run_id)
    else:
        all_tags = {**_default_tags(), **{k: str(v) for k, v in (tags or {}).items()}}
        parent = parent_run_id or (active_parent if nested else None)
        if parent:
            all_tags[PARENT_RUN_TAG] = parent
        if description:
            all_tags[NOTE_TAG] = description
        run = tracking.create_run(
            str(experiment_id) if experiment_id is not None else _current_experiment(),
            tags=all_tags,
            run_name=run_name,
            user_id=all_tags["mlflow.user"],
        )
    active = ActiveRun.of(run)
    _state.runs.append(active)
    _last_run_id = run.info.run_id
    hooks = sys.modules.get("shipyard.autologging.run_hooks")
    if hooks is None and log_system_metrics is not False:
        from shipyard import system_metrics  # the standard library only: cheap to import

        if log_system_metrics or system_metrics.is_enabled():
            from shipyard.autologging import run_hooks as hooks
    if hooks is not None:
        hooks.request_for_next_run(log_system_metrics)
        hooks.run_started(run.info.run_id)
    return active


def end_run(status: RunStatus | str = RunStatus.FINISHED) -> None:
    """End the active run (no-op without one): send its queued calls, then set its status."""
    try:
        final = RunStatus(str(status).upper())
    except ValueError as exc:
        raise InvalidParameter(
            f"Invalid run status {status!r}: use FINISHED, FAILED or KILLED."
        ) from exc
    if not _state.runs:
        return
    run_id = _state.runs[-1].info.run_id
    hooks = sys.modules.get("shipyard.autologging.run_hooks")
    try:
        if hooks is not None:
            hooks.run_ended(run_id)
    finally:
        _state.runs.pop()
        client().set_terminated(run_id, final)


def active_run() -> ActiveRun | None:
    """The active run of this thread, or None."""
    return _state.runs[-1] if _state.runs else None


def last_active_run() -> Run | None:
    """The run most recently started in this process (ended or not), fetched fresh."""
    if _state.runs:
        return get_run(_state.runs[-1].info.run_id)
    return get_run(_last_run_id) if _last_run_id else None


def _run_id(run_id: str | None = None) -> str:
    if run_id is not None:
        return run_id
    if not _state.runs:
        start_run()
    return _state.runs[-1].info.run_id


def get_run(run_id: str) -> Run:
    """A run by id, with what it logged (queued calls are sent first)."""
    return client().get_run(run_id)


def delete_run(run_id: str) -> None:
    """Soft-delete a run."""
    client().delete_run(run_id)


def get_artifact_uri(artifact_path: str | None = None) -> str:
    """The artifact URI of the active run (or of a path inside it)."""
    run_id = _run_id()
    uri = str(get_run(run_id).info.artifact_uri)
    return f"{uri.rstrip('/')}/{artifact_path.lstrip('/')}" if artifact_path else uri


# -- logging ----------------------------------------------------------------------------------


def log_param(key: str, value: Any, synchronous: bool | None = None) -> Any:
    """Log a param to the active run (starting one if needed); return ``value``."""
    return client().log_param(_run_id(), key, value, synchronous=synchronous)


def log_params(
    params: Mapping[str, Any], synchronous: bool | None = None, run_id: str | None = None
) -> None:
    """Log several params."""
    client().log_batch(_run_id(run_id), params=params, synchronous=synchronous)


def log_metric(
    key: str,
    value: float,
    step: int | None = None,
    synchronous: bool | None = None,
    timestamp: int | None = None,
    run_id: str | None = None,
) -> None:
    """Log a metric point (``step`` default 0, ``timestamp`` in ms default now)."""
    client().log_metric(
        _run_id(run_id), key, value, timestamp=timestamp, step=step, synchronous=synchronous
    )


def log_metrics(
    metrics: Mapping[str, float],
    step: int | None = None,
    synchronous: bool | None = None,
    run_id: str | None = None,
    timestamp: int | None = None,
) -> None:
    """Log several metrics at one step and timestamp."""
    from shipyard.domain.clock import now_ms

    at = now_ms() if timestamp is None else int(timestamp)
    points = [Metric(key, value, at, int(step or 0)) for key, value in metrics.items()]
    client().log_batch(_run_id(run_id), metrics=points, synchronous=synchronous)


def set_tag(key: str, value: Any, synchronous: bool | None = None) -> None:
    """Set a tag on the active run."""
    client().set_tag(_run_id(), key, value, synchronous=synchronous)


def set_tags(tags: Mapping[str, Any], synchronous: bool | None = None) -> None:
    """Set several tags."""
    client().log_batch(_run_id(), tags=tags, synchronous=synchronous)


def delete_tag(key: str) -> None:
    """Remove a tag from the active run."""
    client().delete_tag(_run_id(), key)


def log_artifact(
    local_path: str | Path, artifact_path: str | None = None, run_id: str | None = None
) -> None:
    """Upload a file to the active run's artifacts (under ``artifact_path`` if given)."""
    client().log_artifact(_run_id(run_id), local_path, artifact_path)


def log_artifacts(
    local_dir: str | Path, artifact_path: str | None = None, run_id: str | None = None
) -> None:
    """Upload a folder's files to the active run's artifacts, keeping its tree."""
    client().log_artifacts(_run_id(run_id), local_dir, artifact_path)


def log_text(text: str, artifact_file: str, run_id: str | None = None) -> None:
    """Save text as an artifact file of the active run."""
    client().log_text(_run_id(run_id), text, artifact_file)


def log_dict(dictionary: Any, artifact_file: str, run_id: str | None = None) -> None:
    """Save a dict as a JSON (or, for .yml/.yaml, YAML) artifact file."""
    client().log_dict(_run_id(run_id), dictionary, artifact_file)


def log_figure(
    figure: Any,
    artifact_file: str,
    *,
    save_kwargs: Mapping[str, Any] | None = None,
) -> None:
    """Save a matplotlib or plotly figure as an artifact file."""
    client().log_figure(_run_id(), figure, artifact_file, save_kwargs=save_kwargs)


def log_image(
    image: Any,
    artifact_file: str | None = None,
    key: str | None = None,
    step: int | None = None,
    timestamp: int | None = None,
) -> None:
    """Save an image as ``artifact_file``, or with ``key`` (and ``step``) into a series."""
    client().log_image(_run_id(), image, artifact_file, key=key, step=step, timestamp=timestamp)


def log_table(data: Any, artifact_file: str, run_id: str | None = None) -> None:
    """Save a table (dict of columns or a DataFrame) as JSON; logging again appends rows."""
    client().log_table(_run_id(run_id), data, artifact_file)


def log_input(
    dataset: Any, context: str | None = None, tags: Mapping[str, Any] | None = None
) -> None:
    """Record a dataset the active run used (``context``: "training", "evaluation"...)."""
    client().log_input(_run_id(), dataset, context=context, tags=tags)


# -- searching --------------------------------------------------------------------------------


def search_runs(
    experiment_ids: Sequence[str] | None = None,
    filter_string: str = "",
    run_view_type: ViewType | str | int = ViewType.ACTIVE_ONLY,
    max_results: int = SEARCH_MAX_RESULTS,
    order_by: Sequence[str] | None = None,
    output_format: str | None = None,
    search_all_experiments: bool = False,
    experiment_names: Sequence[str] | None = None,
) -> Any:
    """Runs matching a filter, as a pandas DataFrame or a list of runs.

    ``output_format="list"`` gives a list of ``Run``; ``"pandas"`` a DataFrame with MLflow's
    columns (``run_id``, ``experiment_id``, ``status``, ``artifact_uri``, ``start_time``,
    ``end_time``, then ``metrics.*``, ``params.*``, ``tags.*``). Left out, it is a DataFrame
    when pandas is installed and a list otherwise. Without ids or names the current experiment
    is searched, or every experiment with ``search_all_experiments=True``.
    """
    from shipyard.client.tracking import all_experiments, all_runs

    if output_format not in (None, "list", "pandas"):
        raise InvalidParameter(
            f"Unsupported output_format {output_format!r}: use 'list' or 'pandas'."
        )
    tracking = client()
    ids = [str(i) for i in experiment_ids or ()]
    if experiment_names:
        for name in experiment_names:
            found = tracking.get_experiment_by_name(name)
            if found is not None:
                ids.append(found.experiment_id)
    elif not ids:
        if search_all_experiments:
            ids = [e.experiment_id for e in all_experiments(tracking, view_type=ViewType.ALL)]
        else:
            ids = [_current_experiment()]
    runs: list[Run] = []
    if ids:
        runs = list(
            all_runs(
                tracking,
                ids,
                filter_string=filter_string,
                run_view_type=run_view_type,
                max_results=max_results,
                order_by=order_by,
            )
        )
    if output_format == "list":
        return runs
    if importlib.util.find_spec("pandas") is None:
        if output_format is None:
            return runs
        raise ImportError(
            "search_runs(output_format='pandas') needs pandas: pip install pandas, or pass "
            "output_format='list'."
        )
    return _runs_frame(runs)


def _runs_frame(runs: Iterable[Run]) -> Any:
    import pandas as pd  # type: ignore[import-untyped]

    rows = []
    for run in runs:
        info = run.info
        row: dict[str, Any] = {
            "run_id": info.run_id,
            "experiment_id": info.experiment_id,
            "status": info.status.value,
            "artifact_uri": info.artifact_uri,
            "start_time": pd.to_datetime(info.start_time, unit="ms", utc=True),
            "end_time": pd.to_datetime(info.end_time, unit="ms", utc=True),
        }
        row.update({f"metrics.{m.key}": m.value for m in run.metrics})
        row.update({f"params.{key}": value for key, value in run.params.items()})
        row.update({f"tags.{key}": value for key, value in run.tags.items()})
        rows.append(row)
    columns = ["run_id", "experiment_id", "status", "artifact_uri", "start_time", "end_time"]
    for prefix in ("metrics.", "params.", "tags."):
        keys = {key for row in rows for key in row if key.startswith(prefix)}
        columns.extend(sorted(keys))
    frame = pd.DataFrame(rows, columns=columns)
    metric_columns = [c for c in columns if c.startswith("metrics.")]
    if metric_columns:
        frame[metric_columns] = frame[metric_columns].astype(float)
    return frame


# -- models -----------------------------------------------------------------------------------


def log_model_with(save: Any, model: Any, name: str, **options: Any) -> Any:
    """Log a model package to the active run (or, with none, the current experiment)."""
    from shipyard.client.models import log_model

    run = active_run()
    tracking = client()
    tracking.flush()  # the logged model copies the run's params, which must be stored
    return log_model(
        tracking.backend,
        experiment_id=run.info.experiment_id if run else _current_experiment(),
        run_id=run.info.run_id if run else None,
        save=save,
        model=model,
        name=name,
        **options,
    )


# -- exit -------------------------------------------------------------------------------------


def _end_runs_at_exit() -> None:
    # As MLflow does: a script that never called end_run leaves its runs FINISHED, and what
    # it logged is sent before the interpreter goes.
    global _client
    try:
        while _state.runs:
            end_run(RunStatus.FINISHED)
        closing, _client = _client, None
        if closing is not None:
            closing.close()
    except ShipyardError as exc:
        sys.stderr.write(f"shipyard: {exc.message}\n")


atexit.register(_end_runs_at_exit)
