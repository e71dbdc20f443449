"""The PyTorch flavor: a whole ``torch.nn.Module`` saved with ``torch.save`` and cloudpickle.

Layout (MLflow's ``serialization_format="pickle"``)::

    MLmodel                        flavors: pytorch {model_data: data, pytorch_version},
                                   python_function {loader_module: mlflow.pytorch, data: data,
                                                    pickle_module_name, model_config}
    data/model.pth                 torch.save(model, pickle_module=cloudpickle)
    data/pickle_module_info.txt    mlflow.pytorch.pickle_module

``pickle_module_info.txt`` names MLflow's cloudpickle shim because MLflow's loader imports that
module to unpickle; Shipyard reads the name as a label (cloudpickle output is a standard pickle)
and never imports it. Packages MLflow wrote in its ``pt2`` format (``data/model.pt2``, the
default of MLflow 3) load too, through ``torch.export.load``. Models load on the CPU.

The pyfunc model feeds a numpy array (a DataFrame becomes a float32 array) to the module under
``torch.no_grad()`` and returns a numpy array, or a DataFrame for DataFrame input, like MLflow.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from shipyard.domain.errors import InvalidParameter
from shipyard.models.environment import pinned_requirement, resolve_requirements
from shipyard.models.mlmodel import MLmodel, package_file, read_mlmodel
from shipyard.models.packaging import SignatureArg, finish_package, new_package

FLAVOR_NAME = "pytorch"
LOADER_MODULE = "mlflow.pytorch"
DATA_DIRECTORY = "data"
MODEL_FILE_NAME = "model.pth"
EXPORTED_FILE_NAME = "model.pt2"
PICKLE_MODULE_FILE_NAME = "pickle_module_info.txt"
PICKLE_MODULE_NAME = "mlflow.pytorch.pickle_module"
# Pickle modules whose files plain pickle reads; any other name is refused.
_READABLE_PICKLE_MODULES = frozenset({PICKLE_MODULE_NAME, "cloudpickle", "pickle"})


def save_model(
    pytorch_model: Any,
    path: str | os.PathLike[str],
    *,
    input_example: Any = None,
    signature: SignatureArg = None,
    pip_requirements: Iterable[str] | None = None,
    extra_pip_requirements: Iterable[str] | None = None,
    metadata: Mapping[str, Any] | None = None,
    mlmodel: MLmodel | None = None,
) -> MLmodel:
    """Save a ``torch.nn.Module`` at ``path``; a tensor ``input_example`` is stored as an array."""
    import cloudpickle  # type: ignore[import-untyped]
    import torch

    if not isinstance(pytorch_model, torch.nn.Module):
        raise InvalidParameter(f"Expected a torch.nn.Module, got {type(pytorch_model).__name__}")
    if isinstance(input_example, torch.Tensor):
        input_example = input_example.detach().cpu().numpy()
    with new_package(path) as directory:
        data = directory / DATA_DIRECTORY
        data.mkdir()
        (data / PICKLE_MODULE_FILE_NAME).write_text(PICKLE_MODULE_NAME)
        torch.save(pytorch_model, data / MODEL_FILE_NAME, pickle_module=cloudpickle)
        defaults = [pinned_requirement("torch"), pinned_requirement("cloudpickle")]
        return finish_package(
            directory,
            flavor=(
                FLAVOR_NAME,
                {
                    "model_data": DATA_DIRECTORY,
                    "pytorch_version": str(torch.__version__),
                    "code": None,
                },
            ),
            pyfunc={
                "loader_module": LOADER_MODULE,
                "data": DATA_DIRECTORY,
                "pickle_module_name": PICKLE_MODULE_NAME,
                "model_config": {"device": None},
            },
            requirements=resolve_requirements(defaults, pip_requirements, extra_pip_requirements),
            predictor=PyTorchPyfunc(pytorch_model),
            input_example=input_example,
            signature=signature,
            mlmodel=mlmodel,
            metadata=metadata,
        )


def load_model(path: str | os.PathLike[str]) -> Any:
    """The ``torch.nn.Module`` of the package at ``path``, in eval mode, on the CPU."""
    return _load(Path(path), read_mlmodel(path))


def load_pyfunc(path: Path, mlmodel: MLmodel) -> PyTorchPyfunc:
    """The pyfunc implementation."""
    return PyTorchPyfunc(_load(path, mlmodel))


class PyTorchPyfunc:
    """Runs the module on a tensor made from the input; params go to ``forward`` as keywords."""

    def __init__(self, model: Any) -> None:
        self._model = model

    @property
    def raw_model(self) -> Any:
        """The ``torch.nn.Module``."""
        return self._model

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        """The module's output for ``data`` as a numpy array (a DataFrame for DataFrame input)."""
        import numpy as np
        import pandas as pd  # type: ignore[import-untyped]
        import torch

        if isinstance(data, pd.DataFrame):
            array = data.to_numpy(dtype=np.float32)
        elif isinstance(data, np.ndarray):
            array = data
        else:
            raise InvalidParameter(
                "The PyTorch flavor predicts on a DataFrame or a numpy array, "
                f"not a {type(data).__name__}"
            )
        if not array.flags.writeable:  # pandas' copy-on-write hands out read-only arrays
            array = array.copy()
        with torch.no_grad():
            output = self._model(torch.from_numpy(array), **(params or {}))
        if not isinstance(output, torch.Tensor):
            raise InvalidParameter(
                f"The PyTorch model returned a {type(output).__name__}; expected one tensor"
            )
        result = output.cpu().numpy()
        if isinstance(data, pd.DataFrame):
            return pd.DataFrame(result, index=data.index)
        return result


def _load(path: Path, mlmodel: MLmodel) -> Any:
    import torch

    conf = mlmodel.flavor(FLAVOR_NAME)
    location = package_file(path, conf.get("model_data") or DATA_DIRECTORY)
    exported = location / EXPORTED_FILE_NAME
    if location.is_dir() and exported.exists() and not (location / MODEL_FILE_NAME).exists():
        return torch.export.load(str(exported)).module()
    model_file = location / MODEL_FILE_NAME if location.is_dir() else location
    info = location / PICKLE_MODULE_FILE_NAME
    pickle_module = info.read_text().strip() if info.is_file() else "pickle"
    if pickle_module not in _READABLE_PICKLE_MODULES:
        raise InvalidParameter(
            f"The model was pickled with {pickle_module!r}; Shipyard reads "
            f"{sorted(_READABLE_PICKLE_MODULES)}"
        )
    # A whole pickled module, not a state dict: this runs code from the package (trust it).
    model = torch.load(model_file, map_location="cpu", weights_only=False)
    model.eval()
    return model
