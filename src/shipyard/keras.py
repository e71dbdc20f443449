"""Keras 3 models: save, log and load them as MLflow-compatible packages, and autolog ``fit``.

The package format is the ``keras`` flavor's (``shipyard/models/flavors/keras.py``), MLflow's
layout, so ``mlflow.keras.load_model`` reads it too. ``autolog`` logs ``fit`` calls, and
``ShipyardCallback`` logs a single ``fit`` (docs/autologging.md); Keras is imported only when
one of them is used.
"""

from __future__ import annotations

from typing import Any

from shipyard.autologging.keras import autolog
from shipyard.client.models import ModelInfo, flavor_api
from shipyard.models.flavors import keras as _flavor

__all__ = ["ModelInfo", "autolog", "load_model", "log_model", "save_model"]

save_model, log_model, load_model = flavor_api(_flavor, "keras_model")


def __getattr__(name: str) -> Any:
    # The callback subclasses keras.callbacks.Callback, so it is built on first access.
    if name == "ShipyardCallback":
        from shipyard.autologging.keras import callback_class

        return callback_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
