"""One interface for "where tracking data goes", and the choice of it from a tracking URI.

Two implementations: ``RestTracking`` (a tracking server over MLflow's REST protocol, Shipyard's
or a stock ``mlflow server``) and ``EmbeddedTracking`` (the local store, in process, with no
server). Both take and return the same entities and raise the same errors, so the fluent API,
``shipyard.Client`` and the CLI never ask which one they hold.

Tracking URIs (the argument, else ``$SHIPYARD_TRACKING_URI``, else ``$MLFLOW_TRACKING_URI``):

- ``http://host:port``, ``https://...``: a tracking server;
- nothing set: the embedded store in the default data directory (``$SHIPYARD_HOME`` or
  ``~/.shipyard``), the one ``shipyard server`` serves when started without options;
- ``file:///path/to/dir`` or a plain path: the embedded store in that data directory
  (``shipyard.db`` and ``artifacts/`` inside it; ``shipyard server --data-dir`` serves it);
- ``sqlite:///path/to/file.db``: the embedded store on that database, artifacts in an
  ``artifacts/`` folder beside it.

The backends are imported only when one is opened, so importing this module stays cheap.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlparse

from shipyard.domain.entities import (
    DatasetInput,
    Experiment,
    LoggedModel,
    LoggedModelStatus,
    Metric,
    Page,
    Run,
    RunInfo,
    RunStatus,
    ViewType,
)
from shipyard.domain.errors import InvalidParameter, ShipyardError
from shipyard.domain.registry import ModelVersion

TRACKING_URI_VARIABLES = ("SHIPYARD_TRACKING_URI", "MLFLOW_TRACKING_URI")


class TransientError(ShipyardError):
    """A request that failed for now: sending the same request again may succeed."""

    code = "transient"
    attempts: int | None = None
    """How many tries in all are worth making (None: keep trying until the retry deadline)."""


Progress = Callable[[int], None]
"""Receives byte counts as a transfer moves them (for progress bars)."""


@dataclass(frozen=True, slots=True)
class RemoteFile:
    """A file or folder among a run's artifacts (``path`` relative to the artifact root)."""

    path: str
    is_dir: bool
    size: int | None


def _ignore(_: int) -> None:
    pass


class TrackingBackend(Protocol):
    """Experiments, runs, logged models, artifacts and the registry of one tracking store."""

    uri: str
    """The tracking URI this backend was opened on."""

    def close(self) -> None:
        """Release connections (and, embedded, finish pending writes)."""

    # -- experiments ------------------------------------------------------------------------

    def create_experiment(
        self,
        name: str,
        artifact_location: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> str:
        """Create an experiment; return its id."""

    def get_experiment(self, experiment_id: str) -> Experiment:
        """An experiment by id (deleted ones too); ``NotFound`` otherwise."""

    def find_experiment_by_name(self, name: str) -> Experiment | None:
        """An experiment by name, or None."""

    def search_experiments(
        self,
        *,
        view_type: ViewType = ViewType.ACTIVE_ONLY,
        filter_string: str | None = None,
        order_by: Sequence[str] | None = None,
        max_results: int | None = None,
        page_token: str | None = None,
    ) -> Page[Experiment]:
        """A page of experiments matching a filter."""

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        """Rename an experiment."""

    def delete_experiment(self, experiment_id: str) -> None:
        """Soft-delete an experiment and its runs."""

    def restore_experiment(self, experiment_id: str) -> None:
        """Restore a deleted experiment."""

    def set_experiment_tag(self, experiment_id: str, key: str, value: str) -> None:
        """Set a tag on an experiment."""

    # -- runs -------------------------------------------------------------------------------

    def create_run(
        self,
        experiment_id: str,
        *,
        run_name: str | None = None,
        tags: Mapping[str, str] | None = None,
        user_id: str | None = None,
        start_time: int | None = None,
    ) -> Run:
        """Start a run."""

    def get_run(self, run_id: str) -> Run:
        """A run with its data; ``NotFound`` if there is none."""

    def update_run(
        self,
        run_id: str,
        status: RunStatus | None = None,
        end_time: int | None = None,
        run_name: str | None = None,
    ) -> RunInfo:
        """Change a run's status, end time or name."""

    def delete_run(self, run_id: str) -> None:
        """Soft-delete a run."""

    def restore_run(self, run_id: str) -> None:
        """Restore a soft-deleted run."""

    def log_batch(
        self,
        run_id: str,
        *,
        metrics: Sequence[Metric] = (),
        params: Mapping[str, str] | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> None:
        """Log metrics, params and tags in one call (within MLflow's batch limits)."""

    def delete_tag(self, run_id: str, key: str) -> None:
        """Remove a tag from a run."""

    def log_inputs(self, run_id: str, datasets: Sequence[DatasetInput]) -> None:
        """Record datasets a run used."""

    def log_outputs(self, run_id: str, model_id: str, step: int = 0) -> None:
        """Record that a run produced a logged model."""

    def search_runs(
        self,
        experiment_ids: Sequence[str],
        *,
        filter_string: str | None = None,
        view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int | None = None,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> Page[Run]:
        """A page of runs matching a filter."""

    def get_metric_history(
        self,
        run_id: str,
        key: str,
        *,
        max_results: int | None = None,
        page_token: str | None = None,
    ) -> Page[Metric]:
        """A page of a metric's points, oldest first."""

    # -- logged models ----------------------------------------------------------------------

    def create_logged_model(
        self,
        experiment_id: str,
        *,
        name: str,
        source_run_id: str | None = None,
        model_type: str | None = None,
        params: Mapping[str, str] | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> LoggedModel:
        """Create a (PENDING) logged model."""

    def get_logged_model(self, model_id: str) -> LoggedModel:
        """A logged model."""

    def finalize_logged_model(self, model_id: str, status: LoggedModelStatus) -> LoggedModel:
        """Mark a logged model READY or FAILED."""

    def find_logged_model(self, experiment_id: str, name: str, run_id: str) -> LoggedModel | None:
        """The newest logged model of a run with this name, or None."""

    # -- artifacts --------------------------------------------------------------------------

    def list_artifacts(self, artifact_uri: str, path: str = "") -> list[RemoteFile]:
        """The files and folders directly in ``path`` under an artifact URI."""

    def upload(
        self, local: Path, artifact_uri: str, path: str = "", progress: Progress = _ignore
    ) -> list[str]:
        """Upload a file or folder under an artifact URI; return the paths written."""

    def download(
        self, artifact_uri: str, path: str, destination: Path, progress: Progress = _ignore
    ) -> list[Path]:
        """Download a file or folder under an artifact URI into ``destination``."""

    # -- registry ---------------------------------------------------------------------------

    def create_registered_model(self, name: str) -> None:
        """Create a registered model unless it exists."""

    def create_model_version(
        self,
        name: str,
        source: str,
        *,
        run_id: str | None = None,
        model_id: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> ModelVersion:
        """Register a version."""

    def get_model_version(self, name: str, version: str) -> ModelVersion:
        """A version by number."""

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        """The version an alias names."""

    def get_latest_version(self, name: str, stage: str | None = None) -> ModelVersion:
        """The newest version (in a stage, if given)."""

    def get_download_uri(self, name: str, version: str) -> str:
        """Where a version's files are."""


def resolve_tracking_uri(explicit: str | None = None) -> str | None:
    """The tracking URI in force: the argument, ``$SHIPYARD_TRACKING_URI``,
    ``$MLFLOW_TRACKING_URI``, or None for the embedded default."""
    if explicit:
        return explicit
    for name in TRACKING_URI_VARIABLES:
        if os.environ.get(name):
            return os.environ[name]
    return None


def is_server_uri(uri: str | None) -> bool:
    """True when the URI names a tracking server (http or https)."""
    return bool(uri) and str(uri).lower().startswith(("http://", "https://"))


def embedded_location(uri: str | None) -> tuple[str, Path]:
    """The database URI and artifact folder of an embedded tracking URI (None: the default)."""
    from shipyard.server.settings import ServerSettings, default_data_dir

    if not uri:
        settings = ServerSettings.embedded(default_data_dir())
        return settings.backend_store_uri, Path(settings.artifacts_destination)
    parsed = urlparse(uri)
    scheme = parsed.scheme.lower()
    if scheme == "sqlite":
        # SQLAlchemy's form: sqlite:///relative/x.db, sqlite:////absolute/x.db
        relative = unquote(parsed.path[1:]) if parsed.path.startswith("/") else ""
        if parsed.netloc or not relative:
            raise InvalidParameter(f"{uri!r} names no database file: use sqlite:///path/to/file.db")
        database = Path(relative).expanduser().resolve()
        return f"sqlite:///{database}", database.parent / "artifacts"
    if scheme == "file" or (not scheme or len(scheme) == 1):  # a drive letter is a path
        folder = Path(unquote(parsed.path) if scheme == "file" else uri).expanduser()
        settings = ServerSettings.embedded(folder)
        return settings.backend_store_uri, Path(settings.artifacts_destination)
    raise InvalidParameter(
        f"Unsupported tracking URI {uri!r}: use http(s)://host:port for a tracking server, or "
        "a folder (a path or file:///path) or sqlite:///path/to/file.db for the embedded store."
    )


def open_backend(uri: str | None = None, *, create: bool = True) -> TrackingBackend:
    """The backend a tracking URI names (``resolve_tracking_uri`` applied first).

    ``create=False`` refuses to create an embedded store that does not exist yet (the CLI's
    read commands use it, so a mistyped path is an error rather than a new empty store).
    """
    resolved = resolve_tracking_uri(uri)
    if is_server_uri(resolved):
        from shipyard.client.rest import RestTracking

        return RestTracking(resolved)
    from shipyard.client.embedded import EmbeddedTracking

    database, artifacts = embedded_location(resolved)
    return EmbeddedTracking(database, artifacts, uri=resolved, create=create)
