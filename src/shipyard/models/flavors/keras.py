"""The Keras 3 flavor: a ``keras.Model`` saved in Keras' own archive, in MLflow's layout.

``mlflow.keras.load_model`` reads these packages too::

    MLmodel                   flavors: keras {data, keras_version, keras_backend,
                                              save_exported_model: false},
                              python_function {loader_module: mlflow.keras}
    data/model.keras          ``model.save`` (Keras' own archive: config and weights)
    data/keras_module.txt     ``keras``

Loading needs the Keras backend the model was trained with only for custom layers; the archive
itself is backend-independent. Keras is imported only when a function here is called.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from shipyard.domain.errors import InvalidParameter
from shipyard.models.environment import pinned_requirement, resolve_requirements
from shipyard.models.mlmodel import MLmodel, read_mlmodel
from shipyard.models.packaging import SignatureArg, finish_package, new_package

FLAVOR_NAME = "keras"
LOADER_MODULE = "mlflow.keras"
DATA_DIRECTORY = "data"
MODEL_FILE_NAME = "model.keras"
MODULE_FILE_NAME = "keras_module.txt"
# The distribution that provides each Keras backend, pinned with Keras in the requirements.
_BACKEND_DISTRIBUTIONS = {"torch": "torch", "jax": "jax", "tensorflow": "tensorflow"}


def save_model(
    keras_model: Any,
    path: str | os.PathLike[str],
    *,
    input_example: Any = None,
    signature: SignatureArg = None,
    pip_requirements: Iterable[str] | None = None,
    extra_pip_requirements: Iterable[str] | None = None,
    metadata: Mapping[str, Any] | None = None,
    mlmodel: MLmodel | None = None,
) -> MLmodel:
    """Save a ``keras.Model`` at ``path`` in Keras' own format."""
    import keras

    if not isinstance(keras_model, keras.Model):
        raise InvalidParameter(f"Expected a keras.Model, got {type(keras_model).__name__}")
    backend = str(keras.backend.backend())
    with new_package(path) as directory:
        data = directory / DATA_DIRECTORY
        data.mkdir()
        (data / MODULE_FILE_NAME).write_text("keras")
        keras_model.save(data / MODEL_FILE_NAME)
        defaults = [pinned_requirement("keras")]
        if backend in _BACKEND_DISTRIBUTIONS:
            defaults.append(pinned_requirement(_BACKEND_DISTRIBUTIONS[backend]))
        return finish_package(
            directory,
            flavor=(
                FLAVOR_NAME,
                {
                    "data": DATA_DIRECTORY,
                    "keras_version": str(keras.__version__),
                    "keras_backend": backend,
                    "save_exported_model": False,
                },
            ),
            pyfunc={"loader_module": LOADER_MODULE},
            requirements=resolve_requirements(defaults, pip_requirements, extra_pip_requirements),
            predictor=KerasPyfunc(keras_model),
            input_example=input_example,
            signature=signature,
            mlmodel=mlmodel,
            metadata=metadata,
        )


def load_model(path: str | os.PathLike[str]) -> Any:
    """The ``keras.Model`` of the package at ``path``."""
    import keras

    conf = read_mlmodel(path).flavors.get(FLAVOR_NAME)
    if conf is None:
        raise InvalidParameter(f"The model at {path} has no {FLAVOR_NAME!r} flavor")
    if conf.get("save_exported_model"):
        raise InvalidParameter("Keras models saved as exported models cannot be loaded here")
    return keras.saving.load_model(
        Path(path) / str(conf.get("data", DATA_DIRECTORY)) / MODEL_FILE_NAME
    )


def load_pyfunc(path: Path, mlmodel: MLmodel) -> KerasPyfunc:
    """The pyfunc implementation."""
    return KerasPyfunc(load_model(path))


class KerasPyfunc:
    """Runs the model on a numpy array made from the input (a DataFrame's values)."""

    def __init__(self, model: Any) -> None:
        self._model = model

    @property
    def raw_model(self) -> Any:
        """The ``keras.Model``."""
        return self._model

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        """The model's predictions (``verbose=0``)."""
        import numpy as np

        values = data.to_numpy() if hasattr(data, "to_numpy") else data
        return self._model.predict(np.asarray(values), verbose=0)
