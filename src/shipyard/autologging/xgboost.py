"""XGBoost autologging: ``xgboost.train`` and the scikit-learn wrappers' ``fit``.

What a training call logs (MLflow's names):

- params: the booster params, plus ``train``'s own arguments (``num_boost_round``,
  ``early_stopping_rounds``, ``maximize``, ``verbose_eval``); for ``XGBClassifier`` and friends
  the params their ``fit`` hands to ``train``;
- metrics: every evaluation set's metrics at each iteration, as ``<set>-<metric>``
  (``train-logloss``, ``validation_0-logloss``...) with the iteration as step; with early
  stopping also ``stopped_iteration``, ``best_iteration`` and the best iteration's metrics at
  the step after the last;
- artifacts: ``feature_importance_<type>.json`` for each of ``importance_types``;
- the model ``model``: the Booster, or the fitted wrapper (xgboost flavor).
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Iterable, Mapping
from types import ModuleType
from typing import Any

from shipyard.autologging.boosting import (
    Booster,
    install,
    log_iteration,
    metric_key,
)
from shipyard.autologging.patching import Patches
from shipyard.autologging.registry import AutologOptions, configure

FRAMEWORK = "xgboost"
_UNLOGGED = frozenset(
    {
        "params",
        "dtrain",
        "evals",
        "obj",
        "feval",
        "evals_result",
        "xgb_model",
        "callbacks",
        "learning_rates",
        "custom_metric",
    }
)


def autolog(
    log_models: bool = True,
    disable: bool = False,
    *,
    importance_types: Iterable[str] = ("weight",),
    log_input_examples: bool = False,
    log_model_signatures: bool = True,
    registered_model_name: str | None = None,
    extra_tags: Mapping[str, str] | None = None,
) -> None:
    """Autolog XGBoost training (see the module's documentation for what is logged)."""
    options = AutologOptions(
        log_models=log_models,
        log_input_examples=log_input_examples,
        log_model_signatures=log_model_signatures,
        registered_model_name=registered_model_name,
        extra_tags=dict(extra_tags or {}),
        importance_types=tuple(importance_types),
    )
    configure(FRAMEWORK, options, disable=disable)


def patch(module: ModuleType, patches: Patches, options: AutologOptions) -> None:
    """Wrap ``xgboost.train`` (where users and the wrappers call it) and the wrappers' ``fit``."""
    import shipyard.xgboost

    booster = Booster(
        framework=FRAMEWORK,
        unlogged_arguments=_UNLOGGED,
        make_callback=_callback,
        early_stopping=_early_stopping,
        importances=_importances,
        log_model=shipyard.xgboost.log_model,
    )
    sklearn_api = importlib.import_module("xgboost.sklearn")
    install(booster, options, patches, (module, sklearn_api), sklearn_api.XGBModel)


@functools.cache
def _callback_class() -> type:
    base = importlib.import_module("xgboost.callback").TrainingCallback

    class MetricsCallback(base):  # type: ignore[misc,valid-type]
        """Logs the latest value of every evaluation metric after each iteration."""

        def __init__(self, results: list[dict[str, float]]) -> None:
            super().__init__()
            self.results = results

        def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
            values = {
                metric_key(data, metric): history[-1]
                for data, metrics in evals_log.items()
                for metric, history in metrics.items()
                if len(history)
            }
            log_iteration(self.results, values, epoch)
            return False

    return MetricsCallback


def _callback(results: list[dict[str, float]]) -> Any:
    return _callback_class()(results)


def _early_stopping(
    arguments: Mapping[str, Any], model: Any, results: list[dict[str, float]]
) -> Any:
    if not arguments.get("early_stopping_rounds") or not results:
        return None
    best = int(model.best_iteration)
    summary = {"stopped_iteration": len(results) - 1, "best_iteration": best}
    return summary, results[best] if best < len(results) else {}


def _importances(model: Any, options: AutologOptions) -> dict[str, dict[str, float]]:
    booster = model.get_booster() if hasattr(model, "get_booster") else model
    return {
        kind: {str(k): float(v) for k, v in booster.get_score(importance_type=kind).items()}
        for kind in options.importance_types
    }
