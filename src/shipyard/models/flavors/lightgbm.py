"""The LightGBM flavor: a Booster in LightGBM's native text format, or a scikit-learn-API model.

Layout (MLflow's)::

    MLmodel     flavors: lightgbm {data, model_class, lgb_version[, serialization_format]},
                python_function {loader_module: mlflow.lightgbm, data}
    model.lgb   a ``lightgbm.Booster`` in LightGBM's text format, or
    model.pkl   an LGBMClassifier/LGBMRegressor/... serialized like a scikit-learn model
                (cloudpickle by default; ``model.skops`` with skops)

The scikit-learn-API models are serialized rather than saved natively because their wrapper
state (classes, objective) is not in the text file, and MLflow's loader expects them that way.
The pyfunc model returns ``predict``'s numpy array.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from shipyard.models.environment import (
    installed_version,
    pinned_requirement,
    resolve_requirements,
)
from shipyard.models.mlmodel import MLmodel, package_file, read_mlmodel
from shipyard.models.packaging import SignatureArg, finish_package, new_package
from shipyard.models.serialization import (
    CLOUDPICKLE,
    REQUIREMENT,
    SKOPS,
    check_format,
    dump_object,
    load_object,
)

FLAVOR_NAME = "lightgbm"
LOADER_MODULE = "mlflow.lightgbm"
BOOSTER_CLASS = "lightgbm.basic.Booster"
# The types MLflow trusts when it loads a skops-serialized LightGBM model.
SKOPS_TRUSTED_TYPES = [
    "collections.OrderedDict",
    "lightgbm.basic.Booster",
    "lightgbm.sklearn.LGBMClassifier",
    "lightgbm.sklearn.LGBMRegressor",
]


def save_model(
    lgb_model: Any,
    path: str | os.PathLike[str],
    *,
    serialization_format: str = CLOUDPICKLE,
    input_example: Any = None,
    signature: SignatureArg = None,
    pip_requirements: Iterable[str] | None = None,
    extra_pip_requirements: Iterable[str] | None = None,
    metadata: Mapping[str, Any] | None = None,
    mlmodel: MLmodel | None = None,
) -> MLmodel:
    """Save a ``lightgbm.Booster`` (natively) or an ``LGBMModel`` (serialized) at ``path``."""
    import lightgbm as lgb

    check_format(serialization_format)
    is_booster = isinstance(lgb_model, lgb.Booster)
    conf: dict[str, Any] = {
        "lgb_version": installed_version("lightgbm"),
        "model_class": f"{type(lgb_model).__module__}.{type(lgb_model).__qualname__}",
        "code": None,
    }
    defaults = [pinned_requirement("lightgbm")]
    with new_package(path) as directory:
        if is_booster:
            file_name = "model.lgb"
            lgb_model.save_model(str(directory / file_name))
        else:
            file_name = "model.skops" if serialization_format == SKOPS else "model.pkl"
            trusted = SKOPS_TRUSTED_TYPES if serialization_format == SKOPS else []
            dump_object(lgb_model, directory / file_name, serialization_format, trusted)
            conf["serialization_format"] = serialization_format
            if serialization_format == SKOPS:
                conf["skops_trusted_types"] = trusted
            defaults.append(pinned_requirement("scikit-learn"))
            if serialization_format in REQUIREMENT:
                defaults.append(pinned_requirement(REQUIREMENT[serialization_format]))
        conf["data"] = file_name
        return finish_package(
            directory,
            flavor=(FLAVOR_NAME, conf),
            pyfunc={"loader_module": LOADER_MODULE, "data": file_name},
            requirements=resolve_requirements(defaults, pip_requirements, extra_pip_requirements),
            predictor=LightGBMPyfunc(lgb_model),
            input_example=input_example,
            signature=signature,
            mlmodel=mlmodel,
            metadata=metadata,
        )


def load_model(path: str | os.PathLike[str]) -> Any:
    """The LightGBM model of the package at ``path``: a Booster or the saved LGBMModel."""
    return _load(Path(path), read_mlmodel(path))


def load_pyfunc(path: Path, mlmodel: MLmodel) -> LightGBMPyfunc:
    """The pyfunc implementation."""
    return LightGBMPyfunc(_load(path, mlmodel))


class LightGBMPyfunc:
    """Calls the model's ``predict``; params are not used, as in MLflow."""

    def __init__(self, model: Any) -> None:
        self._model = model

    @property
    def raw_model(self) -> Any:
        """The Booster or LGBMModel."""
        return self._model

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        """The model's predictions for ``data``."""
        return self._model.predict(data)


def _load(path: Path, mlmodel: MLmodel) -> Any:
    conf = mlmodel.flavor(FLAVOR_NAME)
    model_file = package_file(path, conf.get("data"))
    if (conf.get("model_class") or BOOSTER_CLASS) == BOOSTER_CLASS:
        import lightgbm as lgb

        return lgb.Booster(model_file=str(model_file))
    return load_object(
        model_file,
        str(conf.get("serialization_format") or CLOUDPICKLE),
        conf.get("skops_trusted_types"),
    )
