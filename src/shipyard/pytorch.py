"""PyTorch modules: save, log and load them
as MLflow-compatible model packages.

``log_model`` logs to the active run (MLflow 3's logged models), optionally registering a
version; ``load_model`` takes a local path or a ``runs:/``, ``models:/`` or
``mlflow-artifacts:/`` URI and returns the native model object. The framework is imported only
when a model is saved or loaded.
"""

from __future__ import annotations

from typing import Any

from shipyard.client.models import ModelInfo, local_copy
from shipyard.models.flavors import pytorch as _flavor

save_model = _flavor.save_model

__all__ = ["ModelInfo", "load_model", "log_model", "save_model"]


def log_model(
    pytorch_model: Any,
    name: str = "model",
    *,
    input_example: Any = None,
    signature: Any = None,
    registered_model_name: str | None = None,
    params: dict[str, Any] | None = None,
    tags: dict[str, Any] | None = None,
    **options: Any,
) -> ModelInfo:
    """Log a model to the active run (or the current experiment) and optionally register it."""
    from shipyard import fluent

    return fluent.log_model_with(  # type: ignore[no-any-return]
        _flavor.save_model,
        pytorch_model,
        name,
        input_example=input_example,
        signature=signature,
        registered_model_name=registered_model_name,
        params=params,
        tags=tags,
        **options,
    )


def load_model(model_uri: str) -> Any:
    """The native model object of a package at a path or URI."""
    return _flavor.load_model(local_copy(model_uri))
