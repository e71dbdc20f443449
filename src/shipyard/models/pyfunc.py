"""The pyfunc interface: load any package as a model with ``predict``, and save Python models.

:func:`load_model` reads the MLmodel file, picks the flavor Shipyard knows from ``flavors``
(sklearn, xgboost, lightgbm, pytorch, or a generic Python model) and imports only that flavor's
library. :meth:`PyFuncModel.predict` enforces the signature, then returns what MLflow's pyfunc
returns for the flavor.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from shipyard.models.flavors import pyfunc_flavor_for
from shipyard.models.mlmodel import MLmodel, read_mlmodel
from shipyard.models.packaging import PyfuncImplementation, SignatureArg
from shipyard.models.python_model import PythonModel, PythonModelContext
from shipyard.models.signature import ModelSignature

__all__ = ["PyFuncModel", "PythonModel", "PythonModelContext", "load_model", "save_model"]


class PyFuncModel:
    """A loaded package: its metadata and a ``predict`` that honours the signature."""

    def __init__(self, metadata: MLmodel, implementation: PyfuncImplementation, path: Path) -> None:
        self._metadata = metadata
        self._implementation = implementation
        self._path = path

    @property
    def metadata(self) -> MLmodel:
        """The package's MLmodel file."""
        return self._metadata

    @property
    def signature(self) -> ModelSignature | None:
        """The model's signature, if the package has one."""
        return self._metadata.signature

    @property
    def path(self) -> Path:
        """The package directory the model was loaded from."""
        return self._path

    @property
    def raw_model(self) -> Any:
        """The flavor's native model (estimator, Booster, ``nn.Module``, Python model)."""
        return self._implementation.raw_model

    def predict(self, data: Any, params: Mapping[str, Any] | None = None) -> Any:
        """Predictions for ``data``, after checking it and ``params`` against the signature.

        Raises :class:`~shipyard.models.signature.SignatureMismatch` for input the signature
        refuses.
        """
        from shipyard.models.enforcement import enforce_input, enforce_params

        signature = self._metadata.signature
        # MLflow models with type-hint signatures check their own input inside predict.
        checks_itself = self._metadata.signature_from_type_hints
        if signature is not None and signature.inputs is not None and not checks_itself:
            data = enforce_input(data, signature.inputs)
        checked = enforce_params(params, signature.params if signature else None)
        return self._implementation.predict(data, checked)

    def load_input_example(self) -> Any:
        """The input example saved with the package, or ``None``."""
        from shipyard.models.input_example import load_input_example

        info = self._metadata.saved_input_example_info
        if info is None:
            return None
        signature = self._metadata.signature
        return load_input_example(self._path, info, signature.inputs if signature else None)

    def __repr__(self) -> str:
        flavors = ", ".join(sorted(self._metadata.flavors))
        return f"<PyFuncModel {self._path} flavors: {flavors}>"


def load_model(path: str | os.PathLike[str]) -> PyFuncModel:
    """Load the package in the local directory ``path`` as a pyfunc model."""
    directory = Path(path)
    mlmodel = read_mlmodel(directory)
    implementation = pyfunc_flavor_for(mlmodel).load_pyfunc(directory, mlmodel)
    return PyFuncModel(mlmodel, implementation, directory)


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
    """Save a generic Python model at ``path``.

    ``python_model`` is a :class:`PythonModel` instance, any object with
    ``predict(model_input)``, or a function of the model input. ``artifacts`` maps names to local
    files or directories, copied into the package and handed to ``load_context`` as paths.
    """
    from shipyard.models.flavors import python_function

    return python_function.save_model(
        path,
        python_model,
        artifacts=artifacts,
        input_example=input_example,
        signature=signature,
        model_config=model_config,
        pip_requirements=pip_requirements,
        extra_pip_requirements=extra_pip_requirements,
        metadata=metadata,
        mlmodel=mlmodel,
    )
