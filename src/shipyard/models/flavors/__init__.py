"""The flavors Shipyard saves and loads, and how a package's flavor is chosen at load time.

Each flavor is one module with ``save_model``, ``load_model`` (the native object) and
``load_pyfunc`` (the hook behind ``shipyard.models.pyfunc.load_model``). Packages name MLflow's
loader modules (``loader_module: mlflow.sklearn``) so that MLflow loads them; Shipyard reads that
name as a label and never imports it. Flavor modules import their library only when called.

Every ``save_model`` also takes, keyword-only:

* ``input_example``: saved with the package; with ``signature=None`` the signature is inferred
  from it by running the model on it (``signature=False``: no signature).
* ``pip_requirements`` replaces the default requirements; ``extra_pip_requirements`` adds some.
* ``metadata``: free-form user metadata for the MLmodel file.
* ``mlmodel``: an :class:`~shipyard.models.mlmodel.MLmodel` to add the flavor to, for callers
  that log models and set ``run_id``, ``artifact_path`` and ``model_id``.

and returns the MLmodel written.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, cast

from shipyard.domain.errors import InvalidParameter
from shipyard.models.mlmodel import PYFUNC_FLAVOR, MLmodel

if TYPE_CHECKING:
    from shipyard.models.packaging import PyfuncImplementation

FLAVOR_MODULES = {
    "sklearn": "shipyard.models.flavors.sklearn",
    "xgboost": "shipyard.models.flavors.xgboost",
    "lightgbm": "shipyard.models.flavors.lightgbm",
    "pytorch": "shipyard.models.flavors.pytorch",
    "keras": "shipyard.models.flavors.keras",
    PYFUNC_FLAVOR: "shipyard.models.flavors.python_function",
}

# MLflow's pyfunc loader modules, read as the name of the flavor that implements them.
LOADER_MODULES = {
    "mlflow.sklearn": "sklearn",
    "mlflow.xgboost": "xgboost",
    "mlflow.lightgbm": "lightgbm",
    "mlflow.pytorch": "pytorch",
    "mlflow.keras": "keras",
    "mlflow.pyfunc.model": PYFUNC_FLAVOR,
}


class PyfuncFlavor(Protocol):
    """The part of a flavor module that ``pyfunc.load_model`` uses."""

    def load_pyfunc(self, path: Path, mlmodel: MLmodel) -> PyfuncImplementation:
        """The pyfunc implementation of the package at ``path``."""


def pyfunc_flavor_for(mlmodel: MLmodel) -> PyfuncFlavor:
    """The flavor module that loads ``mlmodel``'s package as a pyfunc model."""
    conf = mlmodel.pyfunc_conf or {}
    name = LOADER_MODULES.get(str(conf.get("loader_module")))
    if name is None:
        name = next(
            (f for f in FLAVOR_MODULES if f != PYFUNC_FLAVOR and f in mlmodel.flavors), None
        )
    if name is None:
        raise InvalidParameter(
            f"Shipyard cannot load this model as a pyfunc model: its flavors are "
            f"{sorted(mlmodel.flavors)} (loader module {conf.get('loader_module')!r}); Shipyard "
            f"loads {sorted(FLAVOR_MODULES)}"
        )
    return cast(PyfuncFlavor, importlib.import_module(FLAVOR_MODULES[name]))
