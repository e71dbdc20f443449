"""PyTorch Lightning autologging: ``Trainer.fit``, and ``ShipyardLogger`` for any trainer.

What a ``fit`` call logs:

- params: ``epochs`` (the trainer's ``max_epochs``), the LightningModule's hyperparameters
  (``save_hyperparameters()``; nested ones as ``outer/inner``), and the first optimizer as
  ``optimizer_name`` and ``optimizer_<default>`` (``optimizer_lr``, ``optimizer_momentum``...);
- metrics: whatever the module logs with ``self.log``, as Lightning hands it to its loggers:
  step-level values at the trainer's global step (every ``log_every_n_steps`` of the Trainer),
  epoch-level values at the global step the epoch ended on, and ``epoch`` alongside;
- the model ``model``: the trained LightningModule (pytorch flavor).

Autologging adds a ``ShipyardLogger`` to the trainer's loggers for the duration of ``fit``. The
logger used on its own logs to the active run, or starts one on its first call and ends it when
Lightning finalizes it. Both ``lightning.pytorch`` and the older ``pytorch_lightning`` package
are patched once imported.
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

FRAMEWORK = "lightning"
DEFAULT_PACKAGE = "lightning.pytorch"


def autolog(
    log_models: bool = True,
    disable: bool = False,
    *,
    registered_model_name: str | None = None,
    extra_tags: Mapping[str, str] | None = None,
) -> None:
    """Autolog Lightning ``Trainer.fit`` calls (see the module's documentation)."""
    options = AutologOptions(
        log_models=log_models,
        registered_model_name=registered_model_name,
        extra_tags=dict(extra_tags or {}),
    )
    configure(FRAMEWORK, options, disable=disable)


def patch(module: ModuleType, patches: Patches, options: AutologOptions) -> None:
    """Wrap ``Trainer.fit`` of ``module`` (``lightning.pytorch`` or ``pytorch_lightning``)."""
    logger = logger_class(module.__name__)
    patches.method(module.Trainer, "fit", functools.partial(_autologged_fit, options, logger))


@functools.cache
def logger_class(package: str = DEFAULT_PACKAGE) -> type:
    """``ShipyardLogger`` for ``package``'s trainers (built when first asked for)."""
    base = importlib.import_module(f"{package}.loggers").Logger

    class ShipyardLogger(base):  # type: ignore[misc,valid-type]
        """A Lightning logger that logs hyperparameters and metrics to the active run
        (starting one on its first call when none is active, and ending it at the end)."""

        def __init__(self) -> None:
            super().__init__()
            self._run_id: str | None = None
            self._started_run = False

        @property
        def name(self) -> str:
            return "shipyard"

        @property
        def version(self) -> str:
            return self._run_id or ""

        @property
        def run_id(self) -> str | None:
            """The run this logger logs to (None before its first call)."""
            return self._run_id

        def _ensure_run(self) -> None:
            from shipyard import fluent

            if self._run_id is None:
                self._started_run = open_run()
                active = fluent.active_run()
                self._run_id = active.info.run_id if active is not None else None

        def log_hyperparams(self, params: Any, *args: Any, **kwargs: Any) -> None:
            self._ensure_run()
            values = vars(params) if hasattr(params, "__dict__") else dict(params or {})
            guarded("log hyperparameters", log_params, flatten(values))

        def log_metrics(self, metrics: Mapping[str, Any], step: int | None = None) -> None:
            from shipyard import fluent

            self._ensure_run()
            values = numeric_metrics(metrics)
            if values:
                guarded("log metrics", fluent.log_metrics, values, step=step)

        def finalize(self, status: str) -> None:
            close_run(self._started_run, status == "success")
            self._started_run = False

    return ShipyardLogger


def flatten(params: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested mappings as ``outer/inner`` keys."""
    flat: dict[str, Any] = {}
    for key, value in params.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten(value, f"{name}/"))
        else:
            flat[name] = value
    return flat


def _autologged_fit(
    options: AutologOptions,
    logger_type: type,
    fit: Callable[..., Any],
    trainer: Any,
    *args: Any,
    **kwargs: Any,
) -> Any:
    with training_call(FRAMEWORK, options.extra_tags) as session:
        if session is None:
            return fit(*args, **kwargs)
        guarded("log the trainer's params", log_params, {"epochs": trainer.max_epochs})
        loggers = list(trainer.loggers)
        if not any(isinstance(logger, logger_type) for logger in loggers):
            trainer.loggers = [*loggers, logger_type()]
        try:
            result = fit(*args, **kwargs)
        finally:
            trainer.loggers = loggers
        guarded("log the optimizer", _log_optimizer, trainer)
        if options.log_models:
            guarded("log the model", _log_model, trainer.lightning_module, options)
        return result


def _log_optimizer(trainer: Any) -> None:
    optimizers = list(getattr(trainer, "optimizers", None) or [])
    if not optimizers:
        return
    optimizer = optimizers[0]
    params: dict[str, Any] = {"optimizer_name": type(optimizer).__name__}
    params.update(
        {f"optimizer_{key}": value for key, value in getattr(optimizer, "defaults", {}).items()}
    )
    log_params(params)


def _log_model(module: Any, options: AutologOptions) -> None:
    import shipyard.pytorch

    log_estimator(shipyard.pytorch.log_model, module, "model", None, options)
