"""The XGBoost flavor: a Booster or a scikit-learn-API model in XGBoost's own format.

Layout (MLflow's)::

    MLmodel      flavors: xgboost {data: model.ubj, model_class, model_format, xgb_version},
                 python_function {loader_module: mlflow.xgboost, data: model.ubj}
    model.ubj    XGBoost's native UBJSON (or model.json with ``model_format="json"``)

``model_class`` names the class to rebuild on load (``xgboost.core.Booster``,
``xgboost.sklearn.XGBClassifier``...); only classes from the ``xgboost`` package are accepted.
The pyfunc model returns ``predict``'s numpy array; for a Booster the input becomes a DMatrix.
Params the model's ``predict`` accepts (e.g. ``iteration_range``) are passed on.
"""

from __future__ import annotations

import importlib
import inspect
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
from shipyard.models.mlmodel import MLmodel, package_file, read_mlmodel
from shipyard.models.packaging import SignatureArg, finish_package, new_package

FLAVOR_NAME = "xgboost"
LOADER_MODULE = "mlflow.xgboost"
MODEL_FORMATS = ("ubj", "json")


def save_model(
    xgb_model: Any,
    path: str | os.PathLike[str],
    *,
    model_format: str = "ubj",
    input_example: Any = None,
    signature: SignatureArg = None,
    pip_requirements: Iterable[str] | None = None,
    extra_pip_requirements: Iterable[str] | None = None,
    metadata: Mapping[str, Any] | None = None,
    mlmodel: MLmodel | None = None,
) -> MLmodel:
    """Save an ``xgboost.Booster`` or ``XGBModel`` (XGBClassifier, XGBRegressor...) at ``path``."""
    if model_format not in MODEL_FORMATS:
        raise InvalidParameter(f"model_format must be one of {list(MODEL_FORMATS)}")
    file_name = f"model.{model_format}"
    model_class = f"{type(xgb_model).__module__}.{type(xgb_model).__qualname__}"
    with new_package(path) as directory:
        xgb_model.save_model(str(directory / file_name))
        return finish_package(
            directory,
            flavor=(
                FLAVOR_NAME,
                {
                    "xgb_version": installed_version("xgboost"),
                    "data": file_name,
                    "model_class": model_class,
                    "model_format": model_format,
                    "code": None,
                },
            ),
            pyfunc={"loader_module": LOADER_MODULE, "data": file_name},
            requirements=resolve_requirements(
                [pinned_requirement("xgboost")], pip_requirements, extra_pip_requirements
            ),
            predictor=XGBoostPyfunc(xgb_model),
            input_example=input_example,
            signature=signature,
            mlmodel=mlmodel,
            metadata=metadata,
        )


def load_model(path: str | os.PathLike[str]) -> Any:
    """The XGBoost model of the package at ``path``, as the class it was saved from."""
    return _load(Path(path), read_mlmodel(path))


def load_pyfunc(path: Path, mlmodel: MLmodel) -> XGBoostPyfunc:
    """The pyfunc implementation."""
    return XGBoostPyfunc(_load(path, mlmodel))


class XGBoostPyfunc:
    """Calls ``predict`` with feature validation, as MLflow's wrapper does."""

    def __init__(self, model: Any) -> None:
        self._model = model

    @property
    def raw_model(self) -> Any:
        """The Booster or XGBModel."""
        return self._model

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        """The model's predictions for ``data``."""
        import xgboost as xgb

        accepted = inspect.signature(self._model.predict).parameters
        kwargs = {k: v for k, v in (params or {}).items() if k in accepted}
        if isinstance(self._model, xgb.Booster):
            return self._model.predict(xgb.DMatrix(data), validate_features=True, **kwargs)
        return self._model.predict(data, validate_features=True, **kwargs)


def _load(path: Path, mlmodel: MLmodel) -> Any:
    conf = mlmodel.flavor(FLAVOR_NAME)
    model = _model_class(str(conf.get("model_class") or "xgboost.core.Booster"))()
    model.load_model(str(package_file(path, conf.get("data"))))
    return model


def _model_class(qualified_name: str) -> Any:
    import xgboost as xgb

    module_name, _, class_name = qualified_name.rpartition(".")
    if module_name != "xgboost" and not module_name.startswith("xgboost."):
        raise InvalidParameter(f"model_class {qualified_name!r} is not an XGBoost class")
    cls = getattr(importlib.import_module(module_name), class_name, None)
    if not (isinstance(cls, type) and issubclass(cls, (xgb.Booster, xgb.XGBModel))):
        raise InvalidParameter(f"model_class {qualified_name!r} is not an XGBoost model class")
    return cls
