"""The embedded backend: the local tracking store, in process, with no server.

The same store code the server runs (``TrackingStore``, ``RegistryStore`` and the local
artifact store) on a data directory's SQLite database and artifact folder, so ``shipyard
server`` pointed at the same directory serves what was logged here. Run artifact URIs are
``mlflow-artifacts:/...``, as a server that proxies artifacts hands out: the embedded backend
maps them to the artifact folder, and a server started later serves them unchanged.

Nothing here needs the server's packages (FastAPI, uvicorn...): only SQLAlchemy and Alembic.
"""

from __future__ import annotations

import contextlib
import posixpath
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TypeVar
from urllib.parse import unquote, urlparse

from sqlalchemy.exc import OperationalError

from shipyard.artifacts.local import LocalArtifactStore
from shipyard.artifacts.paths import join, safe_relative_path
from shipyard.artifacts.store import read_chunks, write_all
from shipyard.artifacts.uris import PROXY_ROOT, managed_path
from shipyard.client.backend import Progress, RemoteFile, TransientError
from shipyard.domain.clock import now_ms
from shipyard.domain.entities import (
    DatasetInput,
    Experiment,
    LoggedModel,
    LoggedModelStatus,
    Metric,
    ModelOutput,
    Page,
    Run,
    RunInfo,
    RunStatus,
    ViewType,
)
from shipyard.domain.errors import AlreadyExists, Conflict, InvalidParameter, NotFound
from shipyard.domain.registry import ModelVersion
from shipyard.server.model_sources import SourceResolver
from shipyard.store.engine import Database
from shipyard.store.migrate import SchemaMismatch
from shipyard.store.model_registry import RegistryStore
from shipyard.store.tracking import TrackingStore, prepare_database

T = TypeVar("T")


def _ignore(_: int) -> None:
    pass


def _reported(chunks: Iterator[bytes], progress: Progress) -> Iterator[bytes]:
    """``chunks`` as they are, calling ``progress`` with each one's size once it is used."""
    for data in chunks:
        yield data
        progress(len(data))


def _transient(action: Callable[[], T]) -> T:
    """Run a write; a database locked by another process for too long may succeed later."""
    try:
        return action()
    except OperationalError as exc:
        raise TransientError(f"The embedded database is busy: {exc.orig}") from exc


class EmbeddedTracking:
    """Experiments, runs, logged models, artifacts and the registry of a local data directory."""

    def __init__(
        self,
        database_uri: str,
        artifact_folder: Path,
        *,
        uri: str | None = None,
        create: bool = True,
    ) -> None:
        database = Path(database_uri.removeprefix("sqlite:///"))
        if not create and not database.is_file():
            raise NotFound(
                f"No Shipyard store at {database}: nothing has been logged there yet. Check "
                "the path or --tracking-uri (or log a run there first)."
            )
        try:
            prepare_database(database_uri)
        except SchemaMismatch as exc:
            raise Conflict(str(exc)) from exc
        self.uri = uri or artifact_folder.parent.as_uri()
        self.database_uri = database_uri
        self.artifacts = LocalArtifactStore(artifact_folder)
        # The root a server that proxies artifacts uses, so it serves these runs as they are.
        self.store = TrackingStore(Database(database_uri), PROXY_ROOT)
        self.store.ensure_default_experiment()
        self.registry = RegistryStore(self.store.db)
        self.sources = SourceResolver(self.store, self.registry, self.artifacts.uri, True)

    def close(self) -> None:
        """Finish pending writes and release the database."""
        self.store.close()

    # -- experiments ------------------------------------------------------------------------

    def create_experiment(
        self,
        name: str,
        artifact_location: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> str:
        """Create an experiment; return its id."""
        return self.store.create_experiment(name, artifact_location, tags)

    def get_experiment(self, experiment_id: str) -> Experiment:
        """An experiment by id (deleted ones too)."""
        return self.store.get_experiment(experiment_id)

    def find_experiment_by_name(self, name: str) -> Experiment | None:
        """An experiment by name, or None."""
        try:
            return self.store.get_experiment_by_name(name)
        except NotFound:
            return None

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
        return self.store.search_experiments(
            view_type=view_type,
            filter_string=filter_string,
            order_by=order_by,
            max_results=max_results,
            page_token=page_token,
        )

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        """Rename an experiment."""
        self.store.rename_experiment(experiment_id, new_name)

    def delete_experiment(self, experiment_id: str) -> None:
        """Soft-delete an experiment and its runs."""
        self.store.delete_experiment(experiment_id)

    def restore_experiment(self, experiment_id: str) -> None:
        """Restore a deleted experiment."""
        self.store.restore_experiment(experiment_id)

    def set_experiment_tag(self, experiment_id: str, key: str, value: str) -> None:
        """Set a tag on an experiment."""
        self.store.set_experiment_tag(experiment_id, key, value)

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
        return self.store.create_run(
            experiment_id=experiment_id,
            user_id=user_id or "",
            start_time=start_time if start_time is not None else now_ms(),
            run_name=run_name,
            tags=tags,
        )

    def get_run(self, run_id: str) -> Run:
        """A run with its data."""
        return self.store.get_run(run_id)

    def update_run(
        self,
        run_id: str,
        status: RunStatus | None = None,
        end_time: int | None = None,
        run_name: str | None = None,
    ) -> RunInfo:
        """Change a run's status, end time or name."""
        return self.store.update_run(run_id, status=status, end_time=end_time, run_name=run_name)

    def delete_run(self, run_id: str) -> None:
        """Soft-delete a run."""
        self.store.delete_run(run_id)

    def restore_run(self, run_id: str) -> None:
        """Restore a soft-deleted run."""
        self.store.restore_run(run_id)

    def log_batch(
        self,
        run_id: str,
        *,
        metrics: Sequence[Metric] = (),
        params: Mapping[str, str] | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> None:
        """Log metrics, params and tags in one transaction."""
        _transient(
            lambda: self.store.log_batch(
                run_id,
                metrics=metrics,
                params=list((params or {}).items()),
                tags=list((tags or {}).items()),
            )
        )

    def delete_tag(self, run_id: str, key: str) -> None:
        """Remove a tag from a run."""
        self.store.delete_tag(run_id, key)

    def log_inputs(self, run_id: str, datasets: Sequence[DatasetInput]) -> None:
        """Record datasets a run used."""
        self.store.log_inputs(run_id, datasets=datasets)

    def log_outputs(self, run_id: str, model_id: str, step: int = 0) -> None:
        """Record that a run produced a logged model."""
        self.store.log_outputs(run_id, [ModelOutput(model_id, step)])

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
        return self.store.search_runs(
            experiment_ids=experiment_ids,
            filter_string=filter_string,
            view_type=view_type,
            max_results=max_results,
            order_by=order_by,
            page_token=page_token,
        )

    def get_metric_history(
        self,
        run_id: str,
        key: str,
        *,
        max_results: int | None = None,
        page_token: str | None = None,
    ) -> Page[Metric]:
        """A page of a metric's points, oldest first."""
        return self.store.get_metric_history(
            run_id, key, max_results=max_results, page_token=page_token
        )

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
        return self.store.create_logged_model(
            experiment_id=experiment_id,
            name=name,
            source_run_id=source_run_id,
            model_type=model_type,
            params=params,
            tags=tags,
        )

    def get_logged_model(self, model_id: str) -> LoggedModel:
        """A logged model."""
        return self.store.get_logged_model(model_id)

    def finalize_logged_model(self, model_id: str, status: LoggedModelStatus) -> LoggedModel:
        """Mark a logged model READY or FAILED."""
        return self.store.finalize_logged_model(model_id, status)

    def find_logged_model(self, experiment_id: str, name: str, run_id: str) -> LoggedModel | None:
        """The newest logged model of a run with this name, or None."""
        quoted = name.replace("'", "\\'")
        token: str | None = None
        while True:
            page = self.store.search_logged_models(
                experiment_ids=[experiment_id],
                filter_string=f"name = '{quoted}'",
                max_results=100,
                page_token=token,
            )
            for model in page.items:
                if model.source_run_id == run_id:
                    return model
            token = page.next_page_token
            if not token:
                return None

    # -- artifacts --------------------------------------------------------------------------

    def _locate(self, artifact_uri: str) -> tuple[LocalArtifactStore, str]:
        """The local store holding an artifact URI, and the path in it."""
        path = managed_path(artifact_uri, self.artifacts.uri)
        if path is not None:
            return self.artifacts, path
        parsed = urlparse(artifact_uri)
        if parsed.scheme == "file" and parsed.netloc in ("", "localhost"):
            # an artifact location chosen at experiment creation: a local folder is as
            # reachable in process as the store's own
            return LocalArtifactStore(unquote(parsed.path)), ""
        raise InvalidParameter(
            f"The artifacts are at {artifact_uri}, which the embedded store cannot reach: it "
            "reads and writes local folders only. Log through a tracking server instead."
        )

    def list_artifacts(self, artifact_uri: str, path: str = "") -> list[RemoteFile]:
        """The files and folders directly in ``path`` under an artifact URI."""
        store, root = self._locate(artifact_uri)
        folder = safe_relative_path(path)
        return [
            RemoteFile(join(folder, entry.path), entry.is_dir, entry.size)
            for entry in store.list(join(root, folder))
        ]

    def upload(
        self, local: Path, artifact_uri: str, path: str = "", progress: Progress = _ignore
    ) -> list[str]:
        """Copy a file or folder under an artifact URI; return the paths written."""
        store, root = self._locate(artifact_uri)
        base = safe_relative_path(path)
        if local.is_file():
            files = [(local, join(base, local.name))]
        elif local.is_dir():
            files = [
                (file, join(base, file.relative_to(local).as_posix()))
                for file in sorted(local.rglob("*"))
                if file.is_file()
            ]
        else:
            raise InvalidParameter(f"{local} is neither a file nor a folder.")
        for source, target in files:
            with open(source, "rb") as handle:
                write_all(
                    store.writer(join(root, target)), _reported(read_chunks(handle), progress)
                )
        return [target for _, target in files]

    def download(
        self, artifact_uri: str, path: str, destination: Path, progress: Progress = _ignore
    ) -> list[Path]:
        """Copy a file or folder under an artifact URI into ``destination``."""
        store, root = self._locate(artifact_uri)
        source = safe_relative_path(path)
        files = [
            (entry.path, join(root, source, entry.path)) for entry in store.walk(join(root, source))
        ]
        if not files:
            found = store.stat(join(root, source)) if source else None
            if found is None or found.is_dir:
                where = f"{path!r} in {artifact_uri}" if path else artifact_uri
                raise NotFound(f"No artifacts at {where}: nothing has been stored there.")
            files = [(posixpath.basename(source), join(root, source))]
        targets = []
        for relative, stored in files:
            target = destination.joinpath(*relative.split("/"))
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(target.name + ".partial")
            with open(partial, "wb") as handle:
                for data in store.read(stored):
                    handle.write(data)
                    progress(len(data))
            partial.replace(target)
            targets.append(target)
        return targets

    # -- registry ---------------------------------------------------------------------------

    def create_registered_model(self, name: str) -> None:
        """Create a registered model unless it exists."""
        with contextlib.suppress(AlreadyExists):
            self.registry.create_registered_model(name)

    def create_model_version(
        self,
        name: str,
        source: str,
        *,
        run_id: str | None = None,
        model_id: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> ModelVersion:
        """Register a version from a source in this store (checked as the server checks it)."""
        resolved = self.sources.resolve(source, model_id)
        return self.registry.create_model_version(
            name=name,
            source=source,
            storage_location=resolved.storage_location,
            run_id=run_id or resolved.run_id,
            tags=tags,
            model_id=model_id or resolved.model_id,
        )

    def get_model_version(self, name: str, version: str) -> ModelVersion:
        """A version by number."""
        return self.registry.get_model_version(name, version)

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        """The version an alias names."""
        return self.registry.get_version_by_alias(name, alias)

    def get_latest_version(self, name: str, stage: str | None = None) -> ModelVersion:
        """The newest version (in a stage, if given)."""
        versions = self.registry.get_latest_versions(name, [stage] if stage else [])
        if not versions:
            where = f" in stage {stage}" if stage else ""
            raise NotFound(f"Registered model {name!r} has no version{where}.")
        return max(versions, key=lambda version: version.version)

    def get_download_uri(self, name: str, version: str) -> str:
        """Where a version's files are."""
        return self.registry.get_model_version(name, version).storage_location
