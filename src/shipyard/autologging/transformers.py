"""Hugging Face Trainer autologging: ``Trainer.train``, and ``ShipyardCallback`` for any trainer.

What a ``train`` call logs (the names of transformers' own MLflow callback):

- params: the model's configuration (``model.config``) and the ``TrainingArguments``, the
  arguments winning where both name a value (``learning_rate``, ``num_train_epochs``,
  ``per_device_train_batch_size``, ``hidden_size``...);
- metrics: every log the Trainer emits, at the trainer's global step: ``loss``,
  ``learning_rate``, ``grad_norm`` and ``epoch`` every ``logging_steps``, ``eval_*`` after each
  evaluation, and ``train_runtime``, ``train_loss``... at the end;
- the model ``model``: the trained model (pytorch flavor).

Pass ``report_to="none"`` to the TrainingArguments so that transformers' own MLflow callback
does not log the same values to MLflow's tracking URI. The callback used on its own logs to
the active run, or starts one when training begins and ends it when training ends.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any

from shipyard.autologging.estimators import log_estimator
from shipyard.autologging.patching import (
    Patches,
    close_run,
    guarded,
    log_params,
    numeric_metrics,
    open_run,
    training_call,
)
from shipyard.autologging.registry import AutologOptions, configure

FRAMEWORK = "transformers"


def autolog(
    log_models: bool = True,
    disable: bool = False,
    *,
    registered_model_name: str | None = None,
    extra_tags: Mapping[str, str] | None = None,
) -> None:
    """Autolog ``transformers.Trainer.train`` calls (see the module's documentation)."""
    options = AutologOptions(
        log_models=log_models,
        registered_model_name=registered_model_name,
        extra_tags=dict(extra_tags or {}),
    )
    configure(FRAMEWORK, options, disable=disable)


def patch(module: ModuleType, patches: Patches, options: AutologOptions) -> None:
    """Wrap ``Trainer.train`` (``module`` is ``transformers.trainer``)."""
    patches.method(module.Trainer, "train", functools.partial(_autologged_train, options))


@functools.cache
def callback_class() -> type:
    """``ShipyardCallback``, a ``transformers.TrainerCallback`` (built when first asked for)."""
    base = importlib.import_module("transformers.trainer_callback").TrainerCallback

    class ShipyardCallback(base):  # type: ignore[misc,valid-type]
        """Logs the model's configuration and the training arguments as params, and every
        Trainer log as metrics at the global step, to the active run (starting one when
        training begins with none active, and ending it when training ends)."""

        def __init__(self) -> None:
            super().__init__()
            self._started_run = False

        def on_train_begin(
            self, args: Any, state: Any, control: Any, model: Any = None, **kwargs: Any
        ) -> None:
            if not state.is_world_process_zero:
                return
            self._started_run = open_run()
            guarded("log the training arguments", _log_params, args, model)

        def on_log(
            self, args: Any, state: Any, control: Any, logs: Any = None, **kwargs: Any
        ) -> None:
            from shipyard import fluent

            if not state.is_world_process_zero or fluent.active_run() is None:
                return  # an evaluate() outside of training, with no run to log to
            metrics = numeric_metrics(logs or {})
            if metrics:
                guarded("log metrics", fluent.log_metrics, metrics, step=state.global_step)

        def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            close_run(self._started_run)
            self._started_run = False

    return ShipyardCallback


def _log_params(args: Any, model: Any) -> None:
    params: dict[str, Any] = {}
    config = getattr(model, "config", None)
    if config is not None and hasattr(config, "to_dict"):
        params.update(config.to_dict())
    params.update(args.to_dict())
    log_params(params)


def _autologged_train(
    options: AutologOptions, train: Callable[..., Any], trainer: Any, *args: Any, **kwargs: Any
) -> Any:
    with training_call(FRAMEWORK, options.extra_tags) as session:
        if session is None:
            return train(*args, **kwargs)
        cls = callback_class()
        added = None
        if not any(isinstance(cb, cls) for cb in trainer.callback_handler.callbacks):
            added = cls()
            trainer.add_callback(added)
        try:
            result = train(*args, **kwargs)
        finally:
            if added is not None:
                trainer.remove_callback(added)
        if options.log_models:
            guarded("log the model", _log_model, trainer.model, options)
        return result


def _log_model(model: Any, options: AutologOptions) -> None:
    import shipyard.pytorch

    log_estimator(shipyard.pytorch.log_model, model, "model", None, options)
