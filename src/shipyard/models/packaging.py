"""Writing a package directory: the steps every flavor's ``save_model`` shares.

A flavor writes its model file(s) into the directory :func:`new_package` creates, then calls
:func:`finish_package`, which saves the input example, infers the signature from it when none is
given (running the model on the example, as MLflow does), writes the environment files, and
finally the MLmodel file, so a package without an MLmodel is an unfinished one.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, Protocol

from shipyard.domain.errors import AlreadyExists
from shipyard.models.environment import PYTHON_VERSION, write_environment
from shipyard.models.mlmodel import PYFUNC_FLAVOR, MLmodel
from shipyard.models.signature import ModelSignature

log = logging.getLogger(__name__)

SignatureArg = ModelSignature | Literal[False] | None


class PyfuncImplementation(Protocol):
    """What a flavor's pyfunc hook returns: the model behind ``PyFuncModel.predict``."""

    @property
    def raw_model(self) -> Any:
        """The flavor's native model object."""

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        """Predictions for input that already passed signature enforcement."""


@contextlib.contextmanager
def new_package(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Create the package directory; it must not exist or must be empty. If writing fails, what
    was written is removed again."""
    directory = Path(path).absolute()
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise AlreadyExists(f"Cannot save a model to {directory}: it exists and is not empty")
    existed = directory.exists()
    directory.mkdir(parents=True, exist_ok=True)
    try:
        yield directory
    except BaseException:
        if existed:
            for child in directory.iterdir():
                shutil.rmtree(child) if child.is_dir() else child.unlink()
        else:
            shutil.rmtree(directory, ignore_errors=True)
        raise


def finish_package(
    directory: Path,
    *,
    flavor: tuple[str, Mapping[str, Any]] | None,
    pyfunc: Mapping[str, Any] | None,
    requirements: Sequence[str],
    predictor: PyfuncImplementation | None,
    input_example: Any = None,
    signature: SignatureArg = None,
    mlmodel: MLmodel | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> MLmodel:
    """Write the example, environment and MLmodel files; returns the MLmodel written.

    ``flavor`` is the flavor's name and configuration (``None`` for generic Python models, whose
    only flavor is ``python_function``); ``pyfunc`` the ``python_function`` configuration without
    ``env`` and ``python_version`` (``None``: the package has no pyfunc flavor); ``predictor`` runs
    the model for signature inference.
    """
    from shipyard.models.input_example import save_input_example

    model = (mlmodel if mlmodel is not None else MLmodel()).with_defaults()
    saved = save_input_example(input_example, directory) if input_example is not None else None
    if saved is not None:
        model.saved_input_example_info = saved.info
        if signature is None and predictor is not None:
            signature = _infer_from_example(saved.data, saved.params, predictor)
    if isinstance(signature, ModelSignature):
        model.signature = signature
        model.extras.setdefault("is_signature_from_type_hint", False)
        model.extras.setdefault("type_hint_from_example", False)
    if metadata is not None:
        model.metadata = dict(metadata)
    env = write_environment(directory, requirements)
    if pyfunc is not None:
        model.add_flavor(PYFUNC_FLAVOR, **pyfunc, env=env, python_version=PYTHON_VERSION)
    if flavor is not None:
        model.add_flavor(flavor[0], **flavor[1])
    model.model_size_bytes = sum(p.stat().st_size for p in directory.rglob("*") if p.is_file())
    model.save(directory)
    return model


def _infer_from_example(
    data: Any, params: dict[str, Any] | None, predictor: PyfuncImplementation
) -> ModelSignature | None:
    import numpy as np
    import pandas as pd  # type: ignore[import-untyped]

    from shipyard.models.enforcement import enforce_input, enforce_params
    from shipyard.models.inference import infer_param_schema, infer_schema

    try:
        inputs = infer_schema(data)
        params_schema = infer_param_schema(params) if params else None
    except Exception as exc:
        log.warning("No signature: the input example's schema cannot be inferred (%s)", exc)
        return None
    try:
        prediction = predictor.predict(
            enforce_input(data, inputs), enforce_params(params, params_schema)
        )
        # A 1-D array for column input is one prediction per row: a single column.
        one_per_row = isinstance(prediction, np.ndarray) and prediction.ndim == 1
        if one_per_row and not inputs.is_tensor_spec:
            prediction = pd.Series(prediction)
        outputs = infer_schema(prediction)
    except Exception as exc:
        log.warning("The signature has no outputs: predicting on the example failed (%s)", exc)
        outputs = None
    return ModelSignature(inputs, outputs, params_schema)
