"""Logging model packages to a tracking server and fetching them back by URI.

``log_model`` follows what MLflow 3's client does on the wire, so the result is the same
whichever client logged it: a logged model is created (PENDING), the package is saved locally
with the logged model's id in its MLmodel, uploaded to the logged model's artifact location,
finalized READY, linked to the active run as an output and, if asked, registered.

``local_copy`` turns a model URI into a local package directory:

- a local path (or ``file://`` URI): used in place;
- ``runs:/<run id>/<path>``: that folder of the run's artifacts if it holds a package, else the
  run's logged model named ``<path>`` (where MLflow 3 puts ``log_model(name=...)``);
- ``models:/m-<id>``: a logged model;
- ``models:/<name>/<version>``, ``models:/<name>/<stage>``, ``models:/<name>/latest``,
  ``models:/<name>@<alias>``: a registered version;
- ``mlflow-artifacts:/<path>``: a folder of the proxied store.
"""

from __future__ import annotations

import os
import posixpath
import re
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from shipyard.client.backend import TrackingBackend
from shipyard.domain.entities import LoggedModelStatus
from shipyard.domain.errors import InvalidParameter, NotFound
from shipyard.domain.registry import Stage

_STAGES = {stage.value.lower() for stage in Stage}


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """What ``log_model`` logged: its ids, where it is, and its registered version if any."""

    model_id: str
    name: str
    model_uri: str
    artifact_uri: str
    run_id: str | None
    registered_model_version: int | None
    flavors: dict[str, Any]


SaveFn = Callable[..., Any]


def log_model(
    client: TrackingBackend,
    *,
    experiment_id: str,
    run_id: str | None,
    save: SaveFn,
    model: Any,
    name: str,
    registered_model_name: str | None = None,
    params: Mapping[str, Any] | None = None,
    tags: Mapping[str, Any] | None = None,
    model_type: str | None = None,
    **save_options: Any,
) -> ModelInfo:
    """Save ``model`` with ``save`` (a flavor's ``save_model``), log it, optionally register it."""
    from shipyard.models.mlmodel import MLmodel

    # As MLflow does, the model carries its run's params, overridden by those given here.
    all_params = dict(client.get_run(run_id).params) if run_id else {}
    all_params.update({k: str(v) for k, v in (params or {}).items()})
    text_tags = {k: str(v) for k, v in (tags or {}).items()}
    logged = client.create_logged_model(
        experiment_id,
        name=name,
        source_run_id=run_id,
        model_type=model_type,
        params=all_params,
        tags=text_tags,
    )
    try:
        with tempfile.TemporaryDirectory(prefix="shipyard-log-model-") as scratch:
            package = Path(scratch) / name.replace("/", "_")
            card = MLmodel(
                model_id=logged.model_id,
                model_uuid=logged.model_id,  # MLflow 3 writes the model id here too
                run_id=run_id,
                artifact_path=logged.artifact_uri,
            )
            written = save(model, package, mlmodel=card, **save_options)
            client.upload(package, logged.artifact_uri)
    except BaseException:
        client.finalize_logged_model(logged.model_id, LoggedModelStatus.FAILED)
        raise
    client.finalize_logged_model(logged.model_id, LoggedModelStatus.READY)
    if run_id:
        client.log_outputs(run_id, logged.model_id)
    version = None
    if registered_model_name:
        client.create_registered_model(registered_model_name)
        version = client.create_model_version(
            registered_model_name,
            f"models:/{logged.model_id}",
            run_id=run_id,
            model_id=logged.model_id,
            tags=text_tags,
        ).version
    return ModelInfo(
        model_id=logged.model_id,
        name=name,
        model_uri=f"models:/{logged.model_id}",
        artifact_uri=logged.artifact_uri,
        run_id=run_id,
        registered_model_version=version,
        flavors=dict(getattr(written, "flavors", {}) or {}),
    )


def _download(client: TrackingBackend, artifact_uri: str, path: str = "", depth: int = 0) -> Path:
    if artifact_uri.startswith(("runs:", "models:")):
        # A stock MLflow server answers get-download-uri with the version's source as given.
        if depth > 3:
            raise InvalidParameter(f"The model location {artifact_uri} refers back to itself.")
        return local_copy(artifact_uri, client, depth=depth + 1)
    parsed = urlparse(artifact_uri)
    if parsed.scheme == "mlflow-artifacts" and parsed.netloc:
        server = urlparse(client.uri).netloc
        if parsed.netloc != server:
            raise InvalidParameter(
                f"{artifact_uri} names another server ({parsed.netloc}); set the tracking URI "
                f"to http://{parsed.netloc} to load it."
            )
    destination = Path(tempfile.mkdtemp(prefix="shipyard-model-"))
    client.download(artifact_uri, path, destination)
    return destination


def _version_location(client: TrackingBackend, reference: str) -> str:
    # Names are taken as written (no percent-decoding), as MLflow's client does.
    if "@" in reference:
        name, alias = reference.split("@", 1)
        version = client.get_model_version_by_alias(name, alias)
        return client.get_download_uri(version.name, str(version.version))
    name, _, selector = reference.partition("/")
    if not selector or "/" in selector:
        raise InvalidParameter(
            f"Invalid model URI models:/{reference}: use models:/<name>/<version>, "
            "models:/<name>@<alias>, models:/<name>/<stage> or models:/<model id>."
        )
    if re.fullmatch(r"[0-9]+", selector):
        return client.get_download_uri(name, selector)
    if selector.lower() == "latest":
        newest = client.get_latest_version(name)
    elif selector.lower() in _STAGES:
        newest = client.get_latest_version(name, Stage.parse(selector).value)
    else:
        raise InvalidParameter(f"{selector!r} is neither a version number, a stage nor 'latest'.")
    return client.get_download_uri(newest.name, str(newest.version))


def _run_package(client: TrackingBackend, run_id: str, path: str, depth: int) -> Path:
    run = client.get_run(run_id)
    inside = path.strip("/")
    names = (
        {posixpath.basename(e.path) for e in client.list_artifacts(run.info.artifact_uri, inside)}
        if inside
        else set()
    )
    if "MLmodel" in names:
        return _download(client, run.info.artifact_uri, inside, depth)
    logged = client.find_logged_model(run.info.experiment_id, inside, run_id)
    if logged is None:
        raise NotFound(
            f"No model at runs:/{run_id}/{inside}: the run has neither a package in that "
            f"artifact folder nor a logged model named {inside!r}."
        )
    return _download(client, logged.artifact_uri, depth=depth)


def local_copy(model_uri: str, client: TrackingBackend | None = None, depth: int = 0) -> Path:
    """A local directory holding the package ``model_uri`` names (downloaded if remote)."""
    parsed = urlparse(model_uri)
    if parsed.scheme in ("", "file") or os.path.isdir(model_uri):
        local = Path(unquote(parsed.path) if parsed.scheme == "file" else model_uri)
        if not local.is_dir():
            raise NotFound(f"No model package at {local}.")
        return local
    if client is None:
        from shipyard import fluent

        client = fluent.backend()
    reference = (parsed.netloc + parsed.path).strip("/")
    if parsed.scheme == "runs":
        run_id, _, inside = reference.partition("/")
        return _run_package(client, run_id, inside, depth)
    if parsed.scheme == "models":
        if reference.startswith("m-") and "/" not in reference:
            logged = client.get_logged_model(reference)
            return _download(client, logged.artifact_uri, depth=depth)
        return _download(client, _version_location(client, reference), depth=depth)
    if parsed.scheme == "mlflow-artifacts":
        return _download(client, model_uri, depth=depth)
    raise InvalidParameter(
        f"Cannot load a model from {model_uri!r}: use a local path, runs:/, models:/ or "
        "mlflow-artifacts:/ URI."
    )


def flavor_api(
    flavor: Any, model_argument: str
) -> tuple[SaveFn, Callable[..., ModelInfo], Callable[[str], Any]]:
    """``save_model``, ``log_model`` and ``load_model`` of a public flavor module, built around
    the flavor's own ``save_model`` and ``load_model`` (``model_argument`` names the model
    parameter in the docs)."""

    def log(
        model: Any,
        name: str = "model",
        *,
        input_example: Any = None,
        signature: Any = None,
        registered_model_name: str | None = None,
        params: Mapping[str, Any] | None = None,
        tags: Mapping[str, Any] | None = None,
        **options: Any,
    ) -> ModelInfo:
        from shipyard import fluent

        info: ModelInfo = fluent.log_model_with(
            flavor.save_model,
            model,
            name,
            input_example=input_example,
            signature=signature,
            registered_model_name=registered_model_name,
            params=params,
            tags=tags,
            **options,
        )
        return info

    def load(model_uri: str) -> Any:
        return flavor.load_model(local_copy(model_uri))

    log.__doc__ = (
        f"Log a model (``{model_argument}``) to the active run, or the current experiment, and "
        "register a version with ``registered_model_name``."
    )
    load.__doc__ = "The native model object of a package at a local path or a model URI."
    return flavor.save_model, log, load
