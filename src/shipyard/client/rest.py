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
from shipyard.client.artifacts import ArtifactFolder
from shipyard.client.backend import Progress, RemoteFile
from shipyard.client.http import TrackingHTTP
from shipyard.domain.clock import now_ms
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

    def create_experiment(
        self,
        name: str,
        artifact_location: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> str:
        """Create an experiment; return its id."""
        body: dict[str, Any] = {"name": name, "tags": wire.key_values(tags or {})}
        if artifact_location:
            body["artifact_location"] = artifact_location
        return str(self.http.call("POST", "/experiments/create", json=body)["experiment_id"])

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
        body: dict[str, Any] = {"view_type": view_type.value, "order_by": list(order_by or [])}
        if filter_string:
            body["filter"] = filter_string
        if max_results is not None:
            body["max_results"] = max_results
        if page_token:
            body["page_token"] = page_token
        found = self.http.call("POST", "/experiments/search", json=body)
        items = [wire.experiment_from(item) for item in found.get("experiments", [])]
        return Page(items, found.get("next_page_token") or None)

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        """Rename an experiment."""
        body = {"experiment_id": experiment_id, "new_name": new_name}
        self.http.call("POST", "/experiments/update", json=body)

    def delete_experiment(self, experiment_id: str) -> None:
        """Soft-delete an experiment and its runs."""
        self.http.call("POST", "/experiments/delete", json={"experiment_id": experiment_id})

    def restore_experiment(self, experiment_id: str) -> None:
        """Restore a deleted experiment."""
        self.http.call("POST", "/experiments/restore", json={"experiment_id": experiment_id})

    def set_experiment_tag(self, experiment_id: str, key: str, value: str) -> None:
        """Set a tag on an experiment."""
        body = {"experiment_id": experiment_id, "key": key, "value": value}
        self.http.call("POST", "/experiments/set-experiment-tag", json=body)

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

    def update_run(
        self,
        run_id: str,
        status: RunStatus | None = None,
        end_time: int | None = None,
        run_name: str | None = None,
    ) -> RunInfo:
        """Change a run's status, end time or name."""
        body: dict[str, Any] = {"run_id": run_id, "run_uuid": run_id}
        if status is not None:
            body["status"] = status.value
        if end_time is not None:
            body["end_time"] = end_time
        if run_name:
            body["run_name"] = run_name
        info = self.http.call("POST", "/runs/update", json=body)["run_info"]
        return wire.run_from({"info": info}).info

    def delete_run(self, run_id: str) -> None:
        """Soft-delete a run."""
        self.http.call("POST", "/runs/delete", json={"run_id": run_id})

    def restore_run(self, run_id: str) -> None:
        """Restore a soft-deleted run."""
        self.http.call("POST", "/runs/restore", json={"run_id": run_id})

    def log_batch(
        self,
        run_id: str,
        *,
        metrics: Sequence[Metric] = (),
        params: Mapping[str, str] | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> None:
        """Log metrics, params and tags in one call (within MLflow's batch limits)."""
        body = wire.log_batch_body(run_id, metrics, params or {}, tags or {})
        self.http.call(
            "POST",
            "/runs/log-batch",
            content=body,
            headers={"Content-Type": "application/json"},
        )

    def delete_tag(self, run_id: str, key: str) -> None:
        """Remove a tag from a run."""
        self.http.call("POST", "/runs/delete-tag", json={"run_id": run_id, "key": key})

    def log_inputs(self, run_id: str, datasets: Sequence[DatasetInput]) -> None:
        """Record datasets a run used."""
        body = {"run_id": run_id, "datasets": [wire.dataset_input_to(d) for d in datasets]}
        self.http.call("POST", "/runs/log-inputs", json=body)

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
        body: dict[str, Any] = {
            "experiment_ids": list(experiment_ids),
            "run_view_type": view_type.value,
            "order_by": list(order_by or []),
        }
        if filter_string:
            body["filter"] = filter_string
        if max_results is not None:
            body["max_results"] = max_results
        if page_token:
            body["page_token"] = page_token
        found = self.http.call("POST", "/runs/search", json=body)
        runs = [wire.run_from(item) for item in found.get("runs", [])]
        return Page(runs, found.get("next_page_token") or None)

    def get_metric_history(
        self,
        run_id: str,
        key: str,
        *,
        max_results: int | None = None,
        page_token: str | None = None,
    ) -> Page[Metric]:
        """A page of a metric's points, oldest first."""
        query: dict[str, Any] = {"run_id": run_id, "run_uuid": run_id, "metric_key": key}
        if max_results is not None:
            query["max_results"] = max_results
        if page_token:
            query["page_token"] = page_token
        found = self.http.call("GET", "/metrics/get-history", params=query)
        points = [wire.metric_from(item) for item in found.get("metrics", [])]
        return Page(points, found.get("next_page_token") or None)

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

    def list_artifacts(self, artifact_uri: str, path: str = "") -> list[RemoteFile]:
        """The files and folders directly in ``path`` under an artifact URI."""
        return self.folder(artifact_uri).list(path)

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
