"""Generic Python models and the pyfunc interface: one ``predict`` for every flavor.

``load_model`` loads any package (Shipyard's or MLflow's, of any supported flavor) from a local
path or a ``runs:/``, ``models:/`` or ``mlflow-artifacts:/`` URI, and checks inputs against the
package's signature. ``log_model`` logs a :class:`PythonModel` (or any object with ``predict``,
or a function) as a package MLflow can load too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shipyard.client.models import ModelInfo, local_copy
from shipyard.models.pyfunc import PyFuncModel, PythonModel, save_model
from shipyard.models.pyfunc import load_model as _load_local

__all__ = ["ModelInfo", "PyFuncModel", "PythonModel", "load_model", "log_model", "save_model"]


def load_model(model_uri: str) -> PyFuncModel:
    """A package at a path or URI, behind the pyfunc interface."""
    return _load_local(local_copy(model_uri))


def _save(python_model: Any, path: Any, **options: Any) -> Any:
    return save_model(path, python_model, **options)


def log_model(
    name: str = "model",
    *,
    python_model: Any,
    artifacts: Mapping[str, str] | None = None,
    input_example: Any = None,
    signature: Any = None,
    registered_model_name: str | None = None,
    params: dict[str, Any] | None = None,
    tags: dict[str, Any] | None = None,
    **options: Any,
) -> ModelInfo:
    """Log a generic Python model to the active run and optionally register it."""
    from shipyard import fluent

    return fluent.log_model_with(  # type: ignore[no-any-return]
        _save,
        python_model,
        name,
        artifacts=artifacts,
        input_example=input_example,
        signature=signature,
        registered_model_name=registered_model_name,
        params=params,
        tags=tags,
        **options,
    )
