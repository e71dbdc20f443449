"""``shipyard.Client``: the lower-level tracking calls, by run and experiment id.

The method names and arguments are those of MLflow's ``MlflowClient``. The client works on any
backend a tracking URI names (a server, or the embedded store; see ``client/backend.py``).
Metrics, params and tags go through a ``BatchLogger``: queued and sent in batches by a
background thread unless asked for synchronously, and every read (``get_run``,
``search_runs``...) first waits for the calls queued before it, so a client reads its own
writes.
"""

from __future__ import annotations

import dataclasses
import json
import posixpath
import tempfile
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Generic, TypeVar

from shipyard.client import media
from shipyard.client.backend import Progress, RemoteFile, TrackingBackend, open_backend
from shipyard.client.batching import BatchLogger, LoggingSettings
from shipyard.domain import validation
from shipyard.domain.clock import now_ms
from shipyard.domain.entities import (
    Dataset,
    DatasetInput,
    Experiment,
    Metric,
    Page,
    Run,
    RunInfo,
    RunStatus,
    ViewType,
)
from shipyard.domain.errors import InvalidParameter, NotFound
from shipyard.domain.registry import ModelVersion

T = TypeVar("T")

DATASET_CONTEXT_TAG = "mlflow.data.context"
_MLFLOW_VIEW_TYPES = {1: ViewType.ACTIVE_ONLY, 2: ViewType.DELETED_ONLY, 3: ViewType.ALL}
_MAX_CHECKED_KEYS = 100_000


def _ignore(_: int) -> None:
    pass


class PagedList(list[T], Generic[T]):
    """One page of a search, with ``token`` for the next page (None on the last), as
    MLflow's client returns them."""

    def __init__(self, items: Iterable[T], token: str | None) -> None:
        super().__init__(items)
        self.token = token


def parse_view_type(value: ViewType | str | int) -> ViewType:
    """A view type from ours, its name, or MLflow's numbers (1 active, 2 deleted, 3 all)."""
    if isinstance(value, ViewType):
        return value
    if isinstance(value, int):
        if value not in _MLFLOW_VIEW_TYPES:
            raise InvalidParameter(f"Invalid run view type {value}: use 1, 2 or 3.")
        return _MLFLOW_VIEW_TYPES[value]
    try:
        return ViewType(str(value).upper())
    except ValueError as exc:
        raise InvalidParameter(
            f"Invalid view type {value!r}: use ACTIVE_ONLY, DELETED_ONLY or ALL."
        ) from exc


def _pairs(items: Mapping[str, Any] | Iterable[Any] | None) -> dict[str, str]:
    """Params or tags given as a mapping, (key, value) pairs, or objects with key and value."""
    if items is None:
        return {}
    if isinstance(items, Mapping):
        return {str(key): str(value) for key, value in items.items()}
    pairs = {}
    item: Any
    for item in items:
        if hasattr(item, "key"):
            key, value = item.key, item.value
        elif isinstance(item, tuple | list) and len(item) == 2:
            key, value = item
        else:
            raise InvalidParameter(
                f"Params and tags are a mapping, (key, value) pairs or Param/RunTag objects, "
                f"not {item!r}."
            )
        pairs[str(key)] = str(value)
    return pairs


def _metric(key: str, value: Any, timestamp: int | None, step: int | None) -> Metric:
    if isinstance(value, str | bytes) or value is None:
        raise InvalidParameter(
            f"Invalid value {value!r} for metric '{key}': a metric value must be a number."
        )
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError) as exc:
        raise InvalidParameter(
            f"Invalid value {value!r} for metric '{key}': a metric value must be a number."
        ) from exc
    return Metric(key, number, now_ms() if timestamp is None else int(timestamp), int(step or 0))


class Client:
    """Tracking calls on one backend: a server (``http(s)://``) or the embedded store."""

    def __init__(
        self,
        tracking_uri: str | None = None,
        *,
        backend: TrackingBackend | None = None,
        logging: LoggingSettings | None = None,
        synchronous: bool | None = None,
    ) -> None:
        """``synchronous=True`` sends every logging call before it returns (default: from
        ``$SHIPYARD_ASYNC_LOGGING``, else queued and sent in batches); ``logging`` sets every
        logging option at once."""
        settings = logging or LoggingSettings.from_environment()
        if synchronous is not None:
            settings = dataclasses.replace(settings, asynchronous=not synchronous)
        self.backend = backend if backend is not None else open_backend(tracking_uri)
        self.tracking_uri = self.backend.uri
        self.logger = BatchLogger(self.backend, settings)
        self._checked_keys: set[str] = set()
        self._params: dict[str, dict[str, str]] = {}

    def close(self) -> None:
        """Send what is queued, then release the backend."""
        try:
            self.logger.close()
        finally:
            self.backend.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def flush(self, timeout: float | None = None) -> None:
        """Wait until every logging call made so far is stored; raise the ones refused."""
        self.logger.flush(timeout)

    # -- experiments ------------------------------------------------------------------------

    def create_experiment(
        self,
        name: str,
        artifact_location: str | None = None,
        tags: Mapping[str, Any] | None = None,
    ) -> str:
        """Create an experiment; return its id."""
        return self.backend.create_experiment(name, artifact_location, _pairs(tags))

    def get_experiment(self, experiment_id: str) -> Experiment:
        """An experiment by id; ``NotFound`` if there is none."""
        return self.backend.get_experiment(str(experiment_id))

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        """An experiment by name, or None."""
        return self.backend.find_experiment_by_name(name)

    def search_experiments(
        self,
        view_type: ViewType | str | int = ViewType.ACTIVE_ONLY,
        max_results: int | None = None,
        filter_string: str | None = None,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Experiment]:
        """One page of experiments matching a filter (``name LIKE 'a%'``, ``tags.team = 'x'``)."""
        page = self.backend.search_experiments(
            view_type=parse_view_type(view_type),
            filter_string=filter_string or None,
            order_by=order_by,
            max_results=max_results,
            page_token=page_token,
        )
        return PagedList(page.items, page.next_page_token)

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        """Rename an experiment."""
        self.backend.rename_experiment(str(experiment_id), new_name)

    def delete_experiment(self, experiment_id: str) -> None:
        """Soft-delete an experiment and its runs (``restore_experiment`` undoes it)."""
        self.backend.delete_experiment(str(experiment_id))

    def restore_experiment(self, experiment_id: str) -> None:
        """Restore a deleted experiment and the runs deleted with it."""
        self.backend.restore_experiment(str(experiment_id))

    def set_experiment_tag(self, experiment_id: str, key: str, value: Any) -> None:
        """Set a tag on an experiment."""
        self.backend.set_experiment_tag(str(experiment_id), key, str(value))

    # -- runs -------------------------------------------------------------------------------

    def create_run(
        self,
        experiment_id: str,
        start_time: int | None = None,
        tags: Mapping[str, Any] | None = None,
        run_name: str | None = None,
        user_id: str | None = None,
    ) -> Run:
        """Start a run (RUNNING) in an experiment."""
        text_tags = _pairs(tags)
        return self.backend.create_run(
            str(experiment_id),
            run_name=run_name,
            tags=text_tags,
            user_id=user_id or text_tags.get("mlflow.user"),
            start_time=start_time,
        )

    def get_run(self, run_id: str) -> Run:
        """A run with its params, tags and latest metrics; ``NotFound`` if there is none."""
        self.flush()
        return self.backend.get_run(run_id)

    def update_run(
        self, run_id: str, status: RunStatus | str | None = None, name: str | None = None
    ) -> RunInfo:
        """Change a run's status or name."""
        return self.backend.update_run(
            run_id, RunStatus(str(status)) if status else None, run_name=name
        )

    def set_terminated(
        self, run_id: str, status: RunStatus | str = RunStatus.FINISHED, end_time: int | None = None
    ) -> RunInfo:
        """End a run: send what is queued for it, then record its status and end time.

        The status is recorded even when logging calls were refused; those are raised after.
        """
        try:
            self.flush()
        finally:
            info = self.backend.update_run(
                run_id, RunStatus(str(status)), end_time=end_time or now_ms()
            )
        return info

    def delete_run(self, run_id: str) -> None:
        """Soft-delete a run (``restore_run`` undoes it)."""
        self.flush()
        self.backend.delete_run(run_id)

    def restore_run(self, run_id: str) -> None:
        """Restore a deleted run."""
        self.backend.restore_run(run_id)

    def search_runs(
        self,
        experiment_ids: Sequence[str] | str,
        filter_string: str = "",
        run_view_type: ViewType | str | int = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Run]:
        """One page of runs matching a filter (``metrics.loss < 0.1 and params.lr = '0.01'``)."""
        self.flush()
        ids = [experiment_ids] if isinstance(experiment_ids, str) else list(experiment_ids)
        page = self.backend.search_runs(
            [str(i) for i in ids],
            filter_string=filter_string or None,
            view_type=parse_view_type(run_view_type),
            max_results=max_results,
            order_by=order_by,
            page_token=page_token,
        )
        return PagedList(page.items, page.next_page_token)

    def get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        """Every point of a run's metric, oldest first (all pages)."""
        self.flush()
        return list(
            _all_pages(lambda token: self.backend.get_metric_history(run_id, key, page_token=token))
        )

    # -- logging ----------------------------------------------------------------------------

    def _check_key(self, key: str) -> None:
        if key not in self._checked_keys:
            validation.check_key(key)
            if len(self._checked_keys) >= _MAX_CHECKED_KEYS:
                self._checked_keys.clear()
            self._checked_keys.add(key)

    def _check_params(self, run_id: str, params: Mapping[str, str]) -> None:
        """Refuse, before anything is queued, a new value for a param this client logged."""
        known = self._params.setdefault(run_id, {})
        for key, value in params.items():
            self._check_key(key)
            old = known.get(key)
            if old is not None and old != value:
                raise InvalidParameter(
                    f"Changing param values is not allowed. Param with key={key!r} was already "
                    f"logged with value={old!r} for run ID={run_id!r}. Attempted logging new "
                    f"value {value!r}."
                )
        known.update(params)

    def _log(
        self,
        run_id: str,
        synchronous: bool | None,
        metrics: Sequence[Metric] = (),
        params: Mapping[str, str] | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> None:
        self.logger.log(run_id, metrics=metrics, params=params, tags=tags)
        if synchronous and self.logger.asynchronous:
            self.flush()

    def log_metric(
        self,
        run_id: str,
        key: str,
        value: float,
        timestamp: int | None = None,
        step: int | None = None,
        synchronous: bool | None = None,
    ) -> None:
        """Log a metric point (at ``step``, default 0; ``timestamp`` in ms, default now)."""
        self._check_key(key)
        self._log(run_id, synchronous, [_metric(key, value, timestamp, step)])

    def log_param(self, run_id: str, key: str, value: Any, synchronous: bool | None = None) -> Any:
        """Log a param (as text); a param keeps its first value. Returns ``value``."""
        params = {key: str(value)}
        self._check_params(run_id, params)
        self._log(run_id, synchronous, params=params)
        return value

    def set_tag(self, run_id: str, key: str, value: Any, synchronous: bool | None = None) -> None:
        """Set a tag (as text), replacing an older value."""
        self._check_key(key)
        self._log(run_id, synchronous, tags={key: str(value)})

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Mapping[str, Any] | Iterable[Any] | None = None,
        tags: Mapping[str, Any] | Iterable[Any] | None = None,
        synchronous: bool | None = None,
    ) -> None:
        """Log many metric points, params and tags (any number: split into requests as the
        protocol's limits require)."""
        text_params, text_tags = _pairs(params), _pairs(tags)
        self._check_params(run_id, text_params)
        for key in {*(m.key for m in metrics), *text_tags}:
            self._check_key(key)
        points = [_metric(m.key, m.value, m.timestamp, m.step) for m in metrics]
        self._log(run_id, synchronous, points, text_params, text_tags)

    def delete_tag(self, run_id: str, key: str) -> None:
        """Remove a tag from a run."""
        self.flush()
        self.backend.delete_tag(run_id, key)

    def log_inputs(self, run_id: str, datasets: Sequence[DatasetInput]) -> None:
        """Record datasets a run used."""
        self.backend.log_inputs(run_id, datasets)

    def log_input(
        self,
        run_id: str,
        dataset: Any,
        context: str | None = None,
        tags: Mapping[str, Any] | None = None,
    ) -> None:
        """Record a dataset a run used (``context``: "training", "evaluation"...).

        ``dataset`` is a ``shipyard.domain.entities.Dataset``, or any object with its fields
        (``name``, ``digest``, ``source_type``, ``source``, optional ``schema`` and ``profile``)
        such as an MLflow dataset.
        """
        input_tags = _pairs(tags)
        if context:
            input_tags[DATASET_CONTEXT_TAG] = context
        self.log_inputs(run_id, [DatasetInput(dataset_from(dataset), input_tags)])

    # -- artifacts --------------------------------------------------------------------------

    def _artifact_uri(self, run_id: str) -> str:
        return self.backend.get_run(run_id).info.artifact_uri

    def list_artifacts(self, run_id: str, path: str | None = None) -> list[RemoteFile]:
        """The files and folders directly in a folder of a run's artifacts."""
        return self.backend.list_artifacts(self._artifact_uri(run_id), path or "")

    def walk_artifacts(self, run_id: str, path: str | None = None) -> Iterator[RemoteFile]:
        """Every file below a folder of a run's artifacts."""
        uri = self._artifact_uri(run_id)

        def walk(folder: str) -> Iterator[RemoteFile]:
            for entry in self.backend.list_artifacts(uri, folder):
                if entry.is_dir:
                    yield from walk(entry.path)
                else:
                    yield entry

        return walk(path or "")

    def download_artifacts(
        self,
        run_id: str,
        path: str = "",
        dst_path: str | Path | None = None,
        progress: Progress = _ignore,
    ) -> str:
        """Download a file or folder of a run's artifacts; return its local path.

        As MLflow's client does, the artifact keeps its path under ``dst_path`` (a new
        temporary folder if not given): ``plots/loss.png`` lands in ``<dst>/plots/loss.png``.
        """
        destination = Path(dst_path) if dst_path else Path(tempfile.mkdtemp(prefix="shipyard-"))
        uri = self._artifact_uri(run_id)
        inside = posixpath.normpath(path.strip("/")) if path.strip("/") else ""
        parent = posixpath.dirname(inside)
        is_file = bool(inside) and any(
            entry.path == inside and not entry.is_dir
            for entry in self.backend.list_artifacts(uri, parent)
        )
        folder = destination.joinpath(*(parent if is_file else inside).split("/"))
        folder.mkdir(parents=True, exist_ok=True)
        self.backend.download(uri, inside, folder, progress)
        return str(destination.joinpath(*inside.split("/"))) if inside else str(destination)

    def log_artifact(
        self,
        run_id: str,
        local_path: str | Path,
        artifact_path: str | None = None,
        progress: Progress = _ignore,
    ) -> None:
        """Upload a file (or a folder) into a folder of the run's artifacts."""
        self.backend.upload(
            Path(local_path), self._artifact_uri(run_id), artifact_path or "", progress
        )

    def log_artifacts(
        self,
        run_id: str,
        local_dir: str | Path,
        artifact_path: str | None = None,
        progress: Progress = _ignore,
    ) -> None:
        """Upload the files of a folder, keeping its tree."""
        local = Path(local_dir)
        if not local.is_dir():
            raise InvalidParameter(f"{local} is not a folder.")
        self.backend.upload(local, self._artifact_uri(run_id), artifact_path or "", progress)

    def _log_file(self, run_id: str, artifact_file: str, write: Callable[[Path], None]) -> None:
        """Write one file with ``write`` and upload it as ``artifact_file``."""
        folder, name = posixpath.split(posixpath.normpath(artifact_file.strip("/")))
        if not name or name in (".", ".."):
            raise InvalidParameter(f"{artifact_file!r} does not name a file.")
        with tempfile.TemporaryDirectory(prefix="shipyard-artifact-") as scratch:
            local = Path(scratch) / name
            write(local)
            self.backend.upload(local, self._artifact_uri(run_id), folder)

    def log_text(self, run_id: str, text: str, artifact_file: str) -> None:
        """Save text as an artifact file (``notes/summary.md``)."""
        self._log_file(run_id, artifact_file, lambda path: media.write_text(text, path))

    def log_dict(self, run_id: str, dictionary: Any, artifact_file: str) -> None:
        """Save a dict as JSON, or as YAML when the file name ends in .yml or .yaml."""
        self._log_file(run_id, artifact_file, lambda path: media.write_dict(dictionary, path))

    def log_figure(
        self,
        run_id: str,
        figure: Any,
        artifact_file: str,
        *,
        save_kwargs: Mapping[str, Any] | None = None,
    ) -> None:
        """Save a matplotlib or plotly figure as an artifact file."""
        self._log_file(
            run_id, artifact_file, lambda path: media.write_figure(figure, path, save_kwargs)
        )

    def log_image(
        self,
        run_id: str,
        image: Any,
        artifact_file: str | None = None,
        key: str | None = None,
        step: int | None = None,
        timestamp: int | None = None,
    ) -> None:
        """Save an image (numpy array or Pillow image): as ``artifact_file``, or with ``key``
        (and ``step``) as one frame of an image series the UI steps through."""
        if (artifact_file is None) == (key is None):
            raise InvalidParameter("log_image takes either an artifact_file or a key.")
        if artifact_file is not None and (step is not None or timestamp is not None):
            raise InvalidParameter("step and timestamp go with key, not with artifact_file.")
        picture = media.to_image(image)
        if artifact_file is not None:
            self._log_file(run_id, artifact_file, picture.save)
            return
        assert key is not None
        self._check_key(key)
        stem = (
            f"images/{key.replace('/', '~')}+step+{int(step or 0)}"
            f"+timestamp+{now_ms() if timestamp is None else int(timestamp)}+{uuid.uuid4()}"
        )
        self._log_file(run_id, f"{stem}.png", picture.save)
        self._log_file(run_id, f"{stem}+compressed.webp", media.preview(picture).save)
        self.set_tag(run_id, media.LOGGED_IMAGES_TAG, "True")

    def log_table(self, run_id: str, data: Any, artifact_file: str) -> None:
        """Save a table (dict of columns, or a DataFrame) as JSON the UIs show as a table;
        logging to the same file again appends rows."""
        if not artifact_file.endswith(".json"):
            raise InvalidParameter(f"A table is logged as a .json file, not {artifact_file!r}.")
        for char in "\"',:[]{}":
            if char in artifact_file:
                raise InvalidParameter(f"A table's file name cannot hold {char!r}.")
        table = media.table_from(data)
        folder = posixpath.dirname(artifact_file)
        names = {entry.path for entry in self.list_artifacts(run_id, folder)}
        if artifact_file in names:
            with tempfile.TemporaryDirectory(prefix="shipyard-table-") as scratch:
                previous = self.download_artifacts(run_id, artifact_file, scratch)
                table = media.append_table(media.read_table(Path(previous)), table)
        self._log_file(run_id, artifact_file, lambda path: media.write_table(table, path))
        logged = self.get_run(run_id).tags.get(media.LOGGED_ARTIFACTS_TAG, "[]")
        entries = json.loads(logged)
        entry = {"path": artifact_file, "type": media.TABLE_TYPE}
        if entry not in entries:
            entries.append(entry)
            self.set_tag(run_id, media.LOGGED_ARTIFACTS_TAG, json.dumps(entries))

    # -- registry ---------------------------------------------------------------------------

    def create_registered_model(self, name: str) -> None:
        """Create a registered model (nothing happens if it exists)."""
        self.backend.create_registered_model(name)

    def create_model_version(
        self,
        name: str,
        source: str,
        run_id: str | None = None,
        tags: Mapping[str, Any] | None = None,
    ) -> ModelVersion:
        """Register a version of a model from a source in the store (``runs:/<id>/model``,
        ``models:/<model id>``)."""
        return self.backend.create_model_version(name, source, run_id=run_id, tags=_pairs(tags))

    def get_model_version(self, name: str, version: str | int) -> ModelVersion:
        """One version of a registered model."""
        return self.backend.get_model_version(name, str(version))

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        """The version an alias points at."""
        return self.backend.get_model_version_by_alias(name, alias)


def _all_pages(fetch: Callable[[str | None], Page[T]]) -> Iterator[T]:
    token: str | None = None
    while True:
        page = fetch(token)
        yield from page.items
        token = page.next_page_token
        if not token:
            return


def dataset_from(dataset: Any) -> Dataset:
    """A Dataset entity from ours or from any object with the same fields."""
    if isinstance(dataset, Dataset):
        return dataset
    if callable(getattr(dataset, "_to_mlflow_entity", None)):
        dataset = dataset._to_mlflow_entity()  # an MLflow dataset: its plain-field form
    try:
        return Dataset(
            name=str(dataset.name),
            digest=str(dataset.digest),
            source_type=str(getattr(dataset, "source_type", "") or ""),
            source=_text(getattr(dataset, "source", "")),
            schema=_optional_text(getattr(dataset, "schema", None)),
            profile=_optional_text(getattr(dataset, "profile", None)),
        )
    except AttributeError as exc:
        raise TypeError(
            f"log_input takes a Dataset (name, digest, source...), not {type(dataset).__name__}."
        ) from exc


def _text(value: Any) -> str:
    if value is None:
        return ""
    if hasattr(value, "to_json") and callable(value.to_json):
        return str(value.to_json())
    return value if isinstance(value, str) else str(value)


def _optional_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, Mapping | list):
        return json.dumps(value)
    return _text(value)


def all_runs(client: Client, experiment_ids: Sequence[str], **search: Any) -> Iterator[Run]:
    """Every run of a search, following page tokens."""
    limit = search.pop("max_results", None)
    count = 0
    token: str | None = None
    while True:
        size = 1000 if limit is None else min(1000, limit - count)
        if size <= 0:
            return
        page = client.search_runs(experiment_ids, max_results=size, page_token=token, **search)
        yield from page
        count += len(page)
        token = page.token
        if not token:
            return


def all_experiments(client: Client, **search: Any) -> Iterator[Experiment]:
    """Every experiment of a search, following page tokens."""
    token: str | None = None
    while True:
        page = client.search_experiments(page_token=token, **search)
        yield from page
        token = page.token
        if not token:
            return


def experiment_by_id_or_name(client: Client, reference: str) -> Experiment:
    """An experiment from its id or its name (tried as an id first when it is a number)."""
    if reference.isdigit():
        try:
            return client.get_experiment(reference)
        except NotFound:
            pass
    found = client.get_experiment_by_name(reference)
    if found is None:
        raise NotFound(f"No experiment with id or name {reference!r}.")
    return found
