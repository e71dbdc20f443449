"""The scikit-learn flavor: an estimator serialized with cloudpickle, pickle or skops.

Layout (MLflow's)::

    MLmodel            flavors: sklearn {pickled_model, serialization_format, sklearn_version},
                       python_function {loader_module: mlflow.sklearn, model_path, predict_fn}
    model.pkl          (cloudpickle or pickle) or model.skops (skops)

Shipyard writes cloudpickle by default (MLflow 3 defaults to skops, which needs the ``skops``
package at load time). The pyfunc model calls the estimator's ``predict`` (or the method named
by ``predict_fn``) and returns what it returns, usually a numpy array.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from shipyard.domain.errors import InvalidParameter
from shipyard.models.environment import (
    installed_version,
    pinned_requirement,
    resolve_requirements,
)
from shipyard.models.mlmodel import PYFUNC_FLAVOR, MLmodel, package_file, read_mlmodel
from shipyard.models.packaging import SignatureArg, finish_package, new_package
from shipyard.models.serialization import (
    CLOUDPICKLE,
    PICKLE,
    REQUIREMENT,
    SKOPS,
    check_format,
    dump_object,
    load_object,
)

FLAVOR_NAME = "sklearn"
LOADER_MODULE = "mlflow.sklearn"
PREDICT_FUNCTIONS = ("predict", "predict_proba", "predict_log_proba", "predict_joint_log_proba")
_FILE_NAMES = {PICKLE: "model.pkl", CLOUDPICKLE: "model.pkl", SKOPS: "model.skops"}


def save_model(
    sk_model: Any,
    path: str | os.PathLike[str],
    *,
    serialization_format: str = CLOUDPICKLE,
    input_example: Any = None,
    signature: SignatureArg = None,
    pyfunc_predict_fn: str = "predict",
    pip_requirements: Iterable[str] | None = None,
    extra_pip_requirements: Iterable[str] | None = None,
    metadata: Mapping[str, Any] | None = None,
    mlmodel: MLmodel | None = None,
) -> MLmodel:
    """Save a scikit-learn estimator (or pipeline) as a package at ``path``."""
    check_format(serialization_format)
    if pyfunc_predict_fn not in PREDICT_FUNCTIONS:
        raise InvalidParameter(
            f"pyfunc_predict_fn must be one of {list(PREDICT_FUNCTIONS)}, got {pyfunc_predict_fn!r}"
        )
    file_name = _FILE_NAMES[serialization_format]
    with new_package(path) as directory:
        dump_object(sk_model, directory / file_name, serialization_format)
        has_predict = callable(getattr(sk_model, pyfunc_predict_fn, None))
        defaults = [pinned_requirement("scikit-learn")]
        if serialization_format in REQUIREMENT:
            defaults.append(pinned_requirement(REQUIREMENT[serialization_format]))
        flavor_conf: dict[str, Any] = {
            "pickled_model": file_name,
            "sklearn_version": installed_version("scikit-learn"),
            "serialization_format": serialization_format,
            "code": None,
        }
        if serialization_format == SKOPS:
            flavor_conf["skops_trusted_types"] = None
        return finish_package(
            directory,
            flavor=(FLAVOR_NAME, flavor_conf),
            pyfunc={
                "loader_module": LOADER_MODULE,
                "model_path": file_name,
                "predict_fn": pyfunc_predict_fn,
            }
            if has_predict
            else None,
            requirements=resolve_requirements(defaults, pip_requirements, extra_pip_requirements),
            predictor=SklearnPyfunc(sk_model, pyfunc_predict_fn) if has_predict else None,
            input_example=input_example,
            signature=signature,
            mlmodel=mlmodel,
            metadata=metadata,
        )


def load_model(path: str | os.PathLike[str]) -> Any:
    """The scikit-learn estimator of the package at ``path``."""
    return _load_estimator(Path(path), read_mlmodel(path))


def load_pyfunc(path: Path, mlmodel: MLmodel) -> SklearnPyfunc:
    """The pyfunc implementation: the estimator's predict function."""
    predict_fn = (mlmodel.pyfunc_conf or {}).get("predict_fn") or "predict"
    return SklearnPyfunc(_load_estimator(path, mlmodel), str(predict_fn))


class SklearnPyfunc:
    """Calls one of the estimator's predict methods; params are not used."""

    def __init__(self, model: Any, predict_fn: str = "predict") -> None:
        if predict_fn not in PREDICT_FUNCTIONS or not callable(getattr(model, predict_fn, None)):
            raise InvalidParameter(f"The scikit-learn model has no method {predict_fn!r}")
        self._model = model
        self._predict = getattr(model, predict_fn)

    @property
    def raw_model(self) -> Any:
        """The estimator."""
        return self._model

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        """The estimator's predictions for ``data``."""
        return self._predict(data)


def _load_estimator(path: Path, mlmodel: MLmodel) -> Any:
    conf = mlmodel.flavor(FLAVOR_NAME)
    relative = conf.get("pickled_model") or (mlmodel.pyfunc_conf or {}).get("model_path")
    if relative is None and PYFUNC_FLAVOR in mlmodel.flavors:
        relative = mlmodel.flavor(PYFUNC_FLAVOR).get("data")
    return load_object(
        package_file(path, relative),
        str(conf.get("serialization_format") or PICKLE),
        conf.get("skops_trusted_types"),
    )
