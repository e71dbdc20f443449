"""Generic Python models: any object with ``predict``, serialized with cloudpickle.

Layout (MLflow's ``mlflow.pyfunc.save_model(python_model=...)``)::

    MLmodel            flavors: python_function {loader_module: mlflow.pyfunc.model,
                                                 python_model: python_model.pkl,
                                                 cloudpickle_version, artifacts?, model_config?}
    python_model.pkl   the model, cloudpickled
    artifacts/         files given as ``artifacts={"name": "local/path"}``

A subclass of ``PythonModel`` (Shipyard's or MLflow's) is stored as it is; any other object with
``predict(model_input)`` or a plain function is wrapped in an adapter first. Shipyard's base
class and adapters are pickled by value, so MLflow loads the package without Shipyard installed.
On load, ``load_context(context)`` runs once with the artifacts' paths inside the package, and
``predict`` gets the context when it declares one, as MLflow does.
"""

from __future__ import annotations

import bz2
import gzip
import logging
import lzma
import os
import pickle
import shutil
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from shipyard.domain.errors import InvalidParameter
from shipyard.models import python_model as python_model_module
from shipyard.models.environment import (
    installed_version,
    pinned_requirement,
    resolve_requirements,
)
from shipyard.models.mlmodel import PYFUNC_FLAVOR, MLmodel, package_file, read_mlmodel
from shipyard.models.packaging import SignatureArg, finish_package, new_package
from shipyard.models.python_model import PythonModelContext, adapt, call_predict

LOADER_MODULE = "mlflow.pyfunc.model"
PYTHON_MODEL_FILE_NAME = "python_model.pkl"
ARTIFACTS_DIRECTORY = "artifacts"
_DECOMPRESSORS: dict[str, Any] = {"gzip": gzip.open, "bzip2": bz2.open, "lzma": lzma.open}
_BY_VALUE_LOCK = threading.Lock()

log = logging.getLogger(__name__)


def save_model(
    path: str | os.PathLike[str],
    python_model: Any,
    *,
    artifacts: Mapping[str, str | os.PathLike[str]] | None = None,
    input_example: Any = None,
    signature: SignatureArg = None,
    model_config: Mapping[str, Any] | None = None,
    pip_requirements: Iterable[str] | None = None,
    extra_pip_requirements: Iterable[str] | None = None,
    metadata: Mapping[str, Any] | None = None,
    mlmodel: MLmodel | None = None,
) -> MLmodel:
    """Save a Python model at ``path``, copying ``artifacts`` (local files or directories)."""
    import cloudpickle  # type: ignore[import-untyped]

    try:
        model = adapt(python_model)
    except TypeError as exc:
        raise InvalidParameter(str(exc)) from None
    with new_package(path) as directory:
        saved_artifacts = _copy_artifacts(directory, artifacts or {})
        pickled = _pickle_with_shipyard_by_value(model)
        (directory / PYTHON_MODEL_FILE_NAME).write_bytes(pickled)
        conf: dict[str, Any] = {
            "loader_module": LOADER_MODULE,
            "python_model": PYTHON_MODEL_FILE_NAME,
            "cloudpickle_version": cloudpickle.__version__,
            "code": None,
            "streamable": False,
        }
        if saved_artifacts:
            conf["artifacts"] = saved_artifacts
        if model_config:
            conf["model_config"] = dict(model_config)
        predictor = None
        if input_example is not None and signature is None:
            # Infer the signature with a fresh copy, loaded the way it will be loaded later.
            try:
                predictor = PythonModelPyfunc(pickle.loads(pickled), _context(directory, conf))
            except Exception as exc:
                log.warning("No signature inferred: loading the model failed (%s)", exc)
        defaults = [pinned_requirement("cloudpickle")]
        if _derives_from_mlflow(model):
            defaults.append(pinned_requirement("mlflow"))
        return finish_package(
            directory,
            flavor=None,
            pyfunc=conf,
            requirements=resolve_requirements(defaults, pip_requirements, extra_pip_requirements),
            predictor=predictor,
            input_example=input_example,
            signature=signature,
            mlmodel=mlmodel,
            metadata=metadata,
        )


def load_model(path: str | os.PathLike[str]) -> Any:
    """The Python model of the package at ``path``, its ``load_context`` already called."""
    return load_pyfunc(Path(path), read_mlmodel(path)).raw_model


def load_pyfunc(path: Path, mlmodel: MLmodel) -> PythonModelPyfunc:
    """The pyfunc implementation: the unpickled model with its context."""
    conf = mlmodel.flavor(PYFUNC_FLAVOR)
    if conf.get("model_code_path"):
        raise InvalidParameter("Models from code (model_code_path) are not supported yet")
    saved_with = conf.get("cloudpickle_version")
    if saved_with and saved_with != installed_version("cloudpickle"):
        # cloudpickle promises nothing across versions; say so in case loading fails.
        log.warning(
            "The model was pickled with cloudpickle %s; cloudpickle %s is installed",
            saved_with,
            installed_version("cloudpickle"),
        )
    compression = conf.get("python_model_compression")
    opener = _DECOMPRESSORS.get(str(compression), open) if compression else open
    with opener(package_file(path, conf.get("python_model")), "rb") as source:
        # Unpickling runs code from the package: load only models you trust.
        model = pickle.load(source)
    return PythonModelPyfunc(model, _context(path, conf))


class PythonModelPyfunc:
    """Calls the model's ``predict`` with the context and params it declares."""

    def __init__(self, model: Any, context: PythonModelContext) -> None:
        self._model = model
        self._context = context
        if callable(getattr(model, "load_context", None)):
            model.load_context(context)

    @property
    def raw_model(self) -> Any:
        """The user's model (unwrapped when Shipyard adapted it)."""
        if type(self._model).__name__ == "_AdaptedModel":
            return self._model.inner
        return self._model

    @property
    def context(self) -> PythonModelContext:
        """The artifacts and config the model was loaded with."""
        return self._context

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        """The model's predictions."""
        return call_predict(self._model.predict, self._context, data, params)


def _context(directory: Path, conf: Mapping[str, Any]) -> PythonModelContext:
    saved = conf.get("artifacts") or {}
    return PythonModelContext(
        {name: str(package_file(directory, info.get("path"))) for name, info in saved.items()},
        conf.get("model_config"),
    )


def _copy_artifacts(
    directory: Path, artifacts: Mapping[str, str | os.PathLike[str]]
) -> dict[str, dict[str, str]]:
    saved: dict[str, dict[str, str]] = {}
    taken: set[str] = set()
    for index, (name, source) in enumerate(artifacts.items()):
        text = os.fspath(source)
        if "://" in text or text.startswith(("runs:", "models:")):
            raise InvalidParameter(
                f"Artifact {name!r}: only local paths can be saved with a model, not {text!r}"
            )
        origin = Path(text)
        if not origin.exists():
            raise InvalidParameter(f"Artifact {name!r}: {origin} does not exist")
        relative = f"{ARTIFACTS_DIRECTORY}/{origin.name}"
        if relative.lower() in taken:
            relative = f"{ARTIFACTS_DIRECTORY}/{index}/{origin.name}"
        taken.add(relative.lower())
        target = directory / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if origin.is_dir():
            shutil.copytree(origin, target)
        else:
            shutil.copy2(origin, target)
        saved[str(name)] = {"path": relative, "uri": str(origin.absolute())}
    return saved


def _pickle_with_shipyard_by_value(model: Any) -> bytes:
    import cloudpickle

    # Embed Shipyard's PythonModel and adapters so the package loads without Shipyard.
    with _BY_VALUE_LOCK:
        cloudpickle.register_pickle_by_value(python_model_module)
        try:
            return bytes(cloudpickle.dumps(model, protocol=pickle.DEFAULT_PROTOCOL))
        finally:
            cloudpickle.unregister_pickle_by_value(python_model_module)


def _derives_from_mlflow(model: Any) -> bool:
    return any(cls.__module__.startswith("mlflow.") for cls in type(model).__mro__)
