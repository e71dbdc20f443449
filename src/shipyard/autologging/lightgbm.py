"""LightGBM autologging: ``lightgbm.train`` and the scikit-learn wrappers' ``fit``.

What a training call logs (MLflow's names):

- params: the booster params, plus ``train``'s own arguments (``num_boost_round``,
  ``keep_training_booster``); for ``LGBMClassifier`` and friends the params their ``fit`` hands
  to ``train``;
- metrics: every validation set's metrics at each iteration, as ``<set>-<metric>``
  (``valid_0-binary_logloss``, ``training-auc``...) with the iteration as step; with early
  stopping also ``stopped_iteration``, ``best_iteration`` and the best iteration's metrics at
  the step after the last;
- artifacts: ``feature_importance_split.json`` and ``feature_importance_gain.json``;
- the model ``model``: the Booster, or the fitted wrapper (lightgbm flavor).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
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

FRAMEWORK = "lightgbm"
IMPORTANCE_TYPES = ("split", "gain")
_UNLOGGED = frozenset(
    {
        "params",
        "train_set",
        "valid_sets",
        "valid_names",
        "fobj",
        "feval",
        "init_model",
        "learning_rates",
        "callbacks",
    }
)


def autolog(
    log_models: bool = True,
    disable: bool = False,
    *,
    log_input_examples: bool = False,
    log_model_signatures: bool = True,
    registered_model_name: str | None = None,
    extra_tags: Mapping[str, str] | None = None,
) -> None:
    """Autolog LightGBM training (see the module's documentation for what is logged)."""
    options = AutologOptions(
        log_models=log_models,
        log_input_examples=log_input_examples,
        log_model_signatures=log_model_signatures,
        registered_model_name=registered_model_name,
        extra_tags=dict(extra_tags or {}),
    )
    configure(FRAMEWORK, options, disable=disable)


def patch(module: ModuleType, patches: Patches, options: AutologOptions) -> None:
    """Wrap ``lightgbm.train`` (where users and the wrappers call it) and the wrappers' ``fit``."""
    import shipyard.lightgbm

    booster = Booster(
        framework=FRAMEWORK,
        unlogged_arguments=_UNLOGGED,
        make_callback=_callback,
        early_stopping=_early_stopping,
        importances=_importances,
        log_model=shipyard.lightgbm.log_model,
    )
    sklearn_api = importlib.import_module("lightgbm.sklearn")
    install(booster, options, patches, (module, sklearn_api), sklearn_api.LGBMModel)


class _MetricsCallback:
    """Logs every validation metric after each iteration (a LightGBM callback)."""

    order = 25  # after LightGBM's own recording (order 20), before early stopping (30)
    before_iteration = False

    def __init__(self, results: list[dict[str, float]]) -> None:
        self.results = results

    def __call__(self, env: Any) -> None:
        values = {
            metric_key(entry[0], entry[1]): entry[2] for entry in env.evaluation_result_list or []
        }
        log_iteration(self.results, values, env.iteration)


def _callback(results: list[dict[str, float]]) -> Any:
    return _MetricsCallback(results)


def _early_stopping(
    arguments: Mapping[str, Any], model: Any, results: list[dict[str, float]]
) -> Any:
    best = int(getattr(model, "best_iteration", 0) or 0)
    if best <= 0 or not results:
        return None
    # LightGBM counts iterations from 1 here, and sets best_iteration only when stopping early.
    summary = {"stopped_iteration": len(results), "best_iteration": best}
    return summary, results[best - 1] if best <= len(results) else {}


def _importances(model: Any, options: AutologOptions) -> dict[str, dict[str, float]]:
    booster = model.booster_ if hasattr(model, "booster_") else model
    names = booster.feature_name()
    return {
        kind: {
            str(name): float(value)
            for name, value in zip(
                names, booster.feature_importance(importance_type=kind), strict=False
            )
        }
        for kind in IMPORTANCE_TYPES
    }
