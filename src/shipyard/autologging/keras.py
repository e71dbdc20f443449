"""Keras autologging: ``keras.Model.fit``, and ``ShipyardCallback`` for logging one ``fit``.

What a ``fit`` call logs (MLflow's names):

- params: ``fit``'s arguments (``epochs``, ``batch_size``, ``validation_split``, ``shuffle``,
  ``initial_epoch``...; not the data, callbacks or ``verbose``), and the optimizer's
  configuration as ``optimizer_<key>`` (``optimizer_name``, ``optimizer_learning_rate``...);
- metrics: the epoch's logs (``loss``, ``accuracy``, ``val_loss``...) at the end of each epoch,
  with the epoch (from 0) as step; with ``log_every_n_steps`` also the batch logs every N
  optimizer steps, with the optimizer step as step;
- artifacts: ``model_summary.txt``;
- the model ``model`` (keras flavor).

The callback logs to the active run, starting one (and ending it after training) when none
is active. Keras is imported only once the program imports it.
"""

from __future__ import annotations

import functools
import importlib
import inspect
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any

from shipyard.autologging.estimators import head, log_estimator
from shipyard.autologging.patching import (
    Patches,
    close_run,
    guarded,
    log_params,
    log_text,
    numeric_metrics,
    open_run,
    training_call,
)
from shipyard.autologging.registry import AutologOptions, configure

FRAMEWORK = "keras"
SUMMARY_FILE = "model_summary.txt"
_UNLOGGED = frozenset(
    {"self", "x", "y", "callbacks", "validation_data", "sample_weight", "verbose", "kwargs"}
)


def autolog(
    log_models: bool = True,
    disable: bool = False,
    *,
    log_every_n_steps: int | None = None,
    log_input_examples: bool = False,
    log_model_signatures: bool = True,
    registered_model_name: str | None = None,
    extra_tags: Mapping[str, str] | None = None,
) -> None:
    """Autolog Keras ``fit`` calls (see the module's documentation for what is logged)."""
    if log_every_n_steps is not None and log_every_n_steps < 1:
        raise ValueError(f"log_every_n_steps must be None or >= 1, got {log_every_n_steps}.")
    options = AutologOptions(
        log_models=log_models,
        log_input_examples=log_input_examples,
        log_model_signatures=log_model_signatures,
        registered_model_name=registered_model_name,
        extra_tags=dict(extra_tags or {}),
        log_every_n_steps=log_every_n_steps,
    )
    configure(FRAMEWORK, options, disable=disable)


def patch(module: ModuleType, patches: Patches, options: AutologOptions) -> None:
    """Wrap ``fit`` where Keras' trainer of the active backend defines it."""
    model = module.Model
    owner = next(cls for cls in model.__mro__ if "fit" in vars(cls))
    patches.method(owner, "fit", functools.partial(_autologged_fit, options))


@functools.cache
def callback_class() -> type:
    """``ShipyardCallback``, a ``keras.callbacks.Callback`` (built when first asked for)."""
    base = importlib.import_module("keras").callbacks.Callback

    class ShipyardCallback(base):  # type: ignore[misc,valid-type]
        """Logs the optimizer's configuration, the model summary and each epoch's metrics to
        the active run (starting one when none is active).

        ``log_every_n_steps`` also logs the batch metrics every N optimizer steps.
        """

        def __init__(self, log_every_n_steps: int | None = None) -> None:
            super().__init__()
            self.log_every_n_steps = log_every_n_steps
            self._started_run = False

        def on_train_begin(self, logs: Mapping[str, Any] | None = None) -> None:
            self._started_run = open_run()
            guarded("log the optimizer's configuration", _log_optimizer, self.model)
            guarded("log the model summary", _log_summary, self.model)

        def on_epoch_end(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
            _log_metrics(logs, epoch)

        def on_train_batch_end(self, batch: int, logs: Mapping[str, Any] | None = None) -> None:
            if self.log_every_n_steps is None:
                return
            step = int(self.model.optimizer.iterations.numpy())
            if step % self.log_every_n_steps == 0:
                _log_metrics(logs, step)

        def on_train_end(self, logs: Mapping[str, Any] | None = None) -> None:
            close_run(self._started_run)
            self._started_run = False

    return ShipyardCallback


def _autologged_fit(
    options: AutologOptions, fit: Callable[..., Any], model: Any, *args: Any, **kwargs: Any
) -> Any:
    with training_call(FRAMEWORK, options.extra_tags) as session:
        if session is None:
            return fit(*args, **kwargs)
        try:
            call = inspect.signature(fit).bind(*args, **kwargs)
        except TypeError:
            return fit(*args, **kwargs)  # let Keras report the bad call
        guarded("log fit's params", _log_fit_params, call)
        cls = callback_class()
        callbacks = list(call.arguments.get("callbacks") or [])
        if not any(isinstance(callback, cls) for callback in callbacks):
            callbacks.append(cls(options.log_every_n_steps))
        call.arguments["callbacks"] = callbacks
        history = fit(*call.args, **call.kwargs)
        if options.log_models:
            example = head(call.arguments.get("x"))
            guarded("log the model", _log_model, model, example, options)
        return history


def _log_fit_params(call: inspect.BoundArguments) -> None:
    with_defaults = inspect.BoundArguments(call.signature, call.arguments.copy())
    with_defaults.apply_defaults()
    log_params(
        {name: value for name, value in with_defaults.arguments.items() if name not in _UNLOGGED}
    )


def _log_optimizer(model: Any) -> None:
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        return
    log_params({f"optimizer_{key}": value for key, value in optimizer.get_config().items()})


def _log_summary(model: Any) -> None:
    lines: list[str] = []
    model.summary(print_fn=lambda line, *args, **kwargs: lines.append(line))
    log_text("\n".join(lines), SUMMARY_FILE)


def _log_metrics(logs: Mapping[str, Any] | None, step: int) -> None:
    from shipyard import fluent

    metrics = numeric_metrics(logs or {})
    if metrics:
        guarded("log metrics", fluent.log_metrics, metrics, step=step)


def _log_model(model: Any, example: Any, options: AutologOptions) -> None:
    import shipyard.keras

    log_estimator(shipyard.keras.log_model, model, "model", example, options)
