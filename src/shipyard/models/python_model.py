"""The base class of generic Python models, and the adapters for plain objects and functions.

A Python model has ``load_context(context)``, called once at load time with the package's
artifacts, and ``predict(context, model_input, params=None)`` (``context`` may be left out).
These are MLflow's ``PythonModel`` methods, and :class:`PythonModel` also carries the
``predict_type_hints`` attribute that MLflow's loader reads, so a package saved by Shipyard loads
with ``mlflow.pyfunc.load_model``.

This module imports only the standard library and nothing else of Shipyard's: when a model is
saved, cloudpickle embeds this module's classes in ``python_model.pkl`` by value, so loading the
package needs neither Shipyard nor MLflow, only cloudpickle and the model's own code.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any


class PythonModelContext:
    """What a Python model gets at load time: its artifacts as local paths, and its config."""

    def __init__(
        self, artifacts: Mapping[str, str], model_config: Mapping[str, Any] | None = None
    ) -> None:
        self._artifacts = dict(artifacts)
        self._model_config = dict(model_config) if model_config is not None else None

    @property
    def artifacts(self) -> dict[str, str]:
        """Artifact names mapped to absolute paths inside the loaded package."""
        return self._artifacts

    @property
    def model_config(self) -> dict[str, Any] | None:
        """The model configuration given at save time, if any."""
        return self._model_config


class _NoTypeHints:
    """What MLflow's loader reads from ``predict_type_hints``: no hints, so no conversions."""

    input: Any = None
    output: Any = None


class PythonModel:
    """Subclass this and implement :meth:`predict` (and :meth:`load_context` if needed)."""

    def load_context(self, context: PythonModelContext) -> None:
        """Prepare the model from its artifacts; called once when the package is loaded."""

    def predict(
        self, context: PythonModelContext, model_input: Any, params: dict[str, Any] | None = None
    ) -> Any:
        """Return predictions for ``model_input``."""
        raise NotImplementedError

    @property
    def predict_type_hints(self) -> _NoTypeHints:
        """For MLflow's loader: this model declares no type hints for conversion."""
        return _NoTypeHints()


class _AdaptedModel(PythonModel):
    """A plain object with ``predict`` or a plain function, presented as a :class:`PythonModel`."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def load_context(self, context: PythonModelContext) -> None:
        load_context = getattr(self.inner, "load_context", None)
        if callable(load_context):
            load_context(context)

    def predict(
        self, context: PythonModelContext, model_input: Any, params: dict[str, Any] | None = None
    ) -> Any:
        target = getattr(self.inner, "predict", self.inner)
        return call_predict(target, context, model_input, params)


def adapt(python_model: Any) -> Any:
    """``python_model`` as something with ``load_context`` and ``predict_type_hints``: instances of
    a ``PythonModel`` (ours or MLflow's) as they are, other objects and functions wrapped."""
    if isinstance(python_model, type):
        raise TypeError(f"python_model must be an instance, not the class {python_model.__name__}")
    if is_python_model(python_model):
        return python_model
    if not callable(getattr(python_model, "predict", None)) and not callable(python_model):
        raise TypeError(
            "python_model needs a predict method or must be callable; "
            f"got a {type(python_model).__name__}"
        )
    return _AdaptedModel(python_model)


def is_python_model(obj: Any) -> bool:
    """Whether ``obj`` derives from a ``PythonModel`` class, Shipyard's or MLflow's."""
    return any(
        cls.__name__ == "PythonModel"
        and cls.__module__ in (__name__, "mlflow.pyfunc.model", "shipyard.models.python_model")
        for cls in type(obj).__mro__
    )


def call_predict(
    predict: Any, context: PythonModelContext, model_input: Any, params: dict[str, Any] | None
) -> Any:
    """Call a ``predict`` with the arguments it declares, the way MLflow's loader does: with the
    context when it has a ``context`` parameter or two inputs besides ``params``, and with
    ``params`` only when it accepts them."""
    parameters = inspect.signature(predict).parameters
    kwargs = {"params": params} if "params" in parameters else {}
    inputs = [name for name in parameters if name not in ("self", "params")]
    if "context" in parameters or len(inputs) == 2:
        return predict(context, model_input, **kwargs)
    return predict(model_input, **kwargs)
