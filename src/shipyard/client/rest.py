"""Tracking and registry calls against a server, over MLflow's REST protocol.

Works against ``shipyard server`` and a stock ``mlflow server`` alike. Results are Shipyard's
entities; server errors are raised as Shipyard's errors (``NotFound``, ``InvalidParameter``...).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from shipyard.artifacts.uris import PROXY_ROOT, managed_path
from shipyard.client import wire
from shipyard.client.artifacts import ArtifactFolder, Progress
from shipyard.client.http import TrackingHTTP
from shipyard.domain.clock import now_ms
from shipyard.domain.entities import (
    Experiment,
    LoggedModel,
    LoggedModelStatus,
    Metric,
    Run,
    RunInfo,
    RunStatus,
)
from shipyard.domain.errors import AlreadyExists, InvalidParameter, NotFound
from shipyard.domain.registry import ModelVersion


def _ignore(_: int) -> None:
    pass


class RestTracking:
    """One tracking server's experiments, runs, logged models, artifacts and registry."""

    def __init__(self, uri: str | None = None) -> None:
        self.http = TrackingHTTP(uri)
        self.uri = self.http.uri

    def close(self) -> None:
        """Close the connection."""
        self.http.close()

    # -- experiments ------------------------------------------------------------------------

    def get_experiment(self, experiment_id: str) -> Experiment:
        """An experiment by id."""
        found = self.http.call("GET", "/experiments/get", params={"experiment_id": experiment_id})
        return wire.experiment_from(found["experiment"])

    def find_experiment_by_name(self, name: str) -> Experiment | None:
        """An experiment by name, or None."""
        try:
            found = self.http.call(
                "GET", "/experiments/get-by-name", params={"experiment_name": name}
            )
        except NotFound:
            return None
        return wire.experiment_from(found["experiment"])

    def create_experiment(self, name: str, tags: Mapping[str, str] | None = None) -> str:
        """Create an experiment; return its id."""
        body = {"name": name, "tags": wire.key_values(tags or {})}
        return str(self.http.call("POST", "/experiments/create", json=body)["experiment_id"])

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
        body: dict[str, Any] = {
            "experiment_id": experiment_id,
            "start_time": start_time if start_time is not None else now_ms(),
            "tags": wire.key_values(tags or {}),
        }
        if run_name:
            body["run_name"] = run_name
        if user_id:
            body["user_id"] = user_id
        return wire.run_from(self.http.call("POST", "/runs/create", json=body)["run"])

    def get_run(self, run_id: str) -> Run:
        """A run with its data."""
        return wire.run_from(self.http.call("GET", "/runs/get", params={"run_id": run_id})["run"])

    def update_run(self, run_id: str, status: RunStatus, end_time: int | None = None) -> RunInfo:
        """Set a run's status (and end time)."""
        body: dict[str, Any] = {"run_id": run_id, "run_uuid": run_id, "status": status.value}
        if end_time is not None:
            body["end_time"] = end_time
        info = self.http.call("POST", "/runs/update", json=body)["run_info"]
        return wire.run_from({"info": info}).info

    def log_batch(
        self,
        run_id: str,
        *,
        metrics: Sequence[Metric] = (),
        params: Mapping[str, str] | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> None:
        """Log metrics, params and tags in one call (within MLflow's batch limits)."""
        body = {
            "run_id": run_id,
            "metrics": [wire.metric_to(metric) for metric in metrics],
            "params": wire.key_values(params or {}),
            "tags": wire.key_values(tags or {}),
        }
        self.http.call("POST", "/runs/log-batch", json=body)

    def log_outputs(self, run_id: str, model_id: str, step: int = 0) -> None:
        """Record that a run produced a logged model."""
        body = {"run_id": run_id, "models": [{"model_id": model_id, "step": step}]}
        self.http.call("POST", "/runs/outputs", json=body)

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
        body: dict[str, Any] = {
            "experiment_id": experiment_id,
            "name": name,
            "params": wire.key_values(params or {}),
            "tags": wire.key_values(tags or {}),
        }
        if source_run_id:
            body["source_run_id"] = source_run_id
        if model_type:
            body["model_type"] = model_type
        return wire.logged_model_from(self.http.call("POST", "/logged-models", json=body)["model"])

    def get_logged_model(self, model_id: str) -> LoggedModel:
        """A logged model."""
        return wire.logged_model_from(self.http.call("GET", f"/logged-models/{model_id}")["model"])

    def finalize_logged_model(self, model_id: str, status: LoggedModelStatus) -> LoggedModel:
        """Mark a logged model READY or FAILED."""
        body = {"model_id": model_id, "status": wire.MODEL_STATUS_TO_WIRE[status]}
        found = self.http.call("PATCH", f"/logged-models/{model_id}", json=body)["model"]
        return wire.logged_model_from(found)

    def find_logged_model(self, experiment_id: str, name: str, run_id: str) -> LoggedModel | None:
        """The newest logged model of a run with this name (what ``runs:/<id>/<name>`` means).

        Filters on the name only and matches the run here, as MLflow's client does, so that
        a stock MLflow server answers too.
        """
        quoted = name.replace("'", "\\'")
        body: dict[str, Any] = {
            "experiment_ids": [experiment_id],
            "filter": f"name = '{quoted}'",
            "max_results": 100,
        }
        while True:
            page = self.http.call("POST", "/logged-models/search", json=body)
            for item in page.get("models", []):
                model = wire.logged_model_from(item)
                if model.source_run_id == run_id:
                    return model
            if not page.get("next_page_token"):
                return None
            body["page_token"] = page["next_page_token"]

    # -- artifacts --------------------------------------------------------------------------

    def folder(self, artifact_uri: str) -> ArtifactFolder:
        """The proxied artifact folder an artifact URI names."""
        if not artifact_uri.startswith(PROXY_ROOT):
            raise InvalidParameter(
                f"The artifacts are at {artifact_uri}, which the server does not proxy; "
                "run the server with --serve-artifacts (the default) to transfer through it."
            )
        return ArtifactFolder(self.http, managed_path(artifact_uri, "") or "")

    def upload(
        self, local: Path, artifact_uri: str, path: str = "", progress: Progress = _ignore
    ) -> list[str]:
        """Upload a file or folder under an artifact URI."""
        return self.folder(artifact_uri).upload(local, path, progress)

    def download(
        self, artifact_uri: str, path: str, destination: Path, progress: Progress = _ignore
    ) -> list[Path]:
        """Download a file or folder under an artifact URI into ``destination``."""
        return self.folder(artifact_uri).download(path, destination, progress)

    # -- registry ---------------------------------------------------------------------------

    def create_registered_model(self, name: str) -> None:
        """Create a registered model unless it exists."""
        with contextlib.suppress(AlreadyExists):
            self.http.call("POST", "/registered-models/create", json={"name": name})

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
        body: dict[str, Any] = {"name": name, "source": source, "tags": wire.key_values(tags or {})}
        if run_id:
            body["run_id"] = run_id
        if model_id:
            body["model_id"] = model_id
        found = self.http.call("POST", "/model-versions/create", json=body)["model_version"]
        return wire.model_version_from(found)

    def get_model_version(self, name: str, version: str) -> ModelVersion:
        """A version by number."""
        found = self.http.call(
            "GET", "/model-versions/get", params={"name": name, "version": version}
        )
        return wire.model_version_from(found["model_version"])

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        """The version an alias names."""
        found = self.http.call(
            "GET", "/registered-models/alias", params={"name": name, "alias": alias}
        )
        return wire.model_version_from(found["model_version"])

    def get_latest_version(self, name: str, stage: str | None = None) -> ModelVersion:
        """The newest version (in a stage, if given)."""
        body: dict[str, Any] = {"name": name}
        if stage:
            body["stages"] = [stage]
        found = self.http.call("POST", "/registered-models/get-latest-versions", json=body)
        versions = [wire.model_version_from(v) for v in found.get("model_versions", [])]
        if not versions:
            where = f" in stage {stage}" if stage else ""
            raise NotFound(f"Registered model {name!r} has no version{where}.")
        return max(versions, key=lambda version: version.version)

    def get_download_uri(self, name: str, version: str) -> str:
        """Where a version's files are."""
        found = self.http.call(
            "GET", "/model-versions/get-download-uri", params={"name": name, "version": version}
        )
        return str(found["artifact_uri"])
