"""scikit-learn autologging: ``fit``, ``fit_transform`` and ``fit_predict`` of every estimator.

What a training call logs (MLflow's names):

- params: ``estimator.get_params(deep=True)`` (``deep=False`` for parameter searches, whose seed
  estimator's untuned values would mislead); tags ``estimator_name`` and ``estimator_class``;
- metrics on the training data, when ``y`` was given: classifiers ``training_accuracy_score``,
  ``training_precision_score``, ``training_recall_score``, ``training_f1_score`` (weighted),
  with ``predict_proba`` also ``training_log_loss`` and ``training_roc_auc``; regressors
  ``training_mean_squared_error``, ``training_root_mean_squared_error``,
  ``training_mean_absolute_error``, ``training_r2_score``; any estimator with ``score``:
  ``training_score``;
- parameter searches: ``best_cv_score``, params ``best_<name>``, a child run for each of the
  best ``max_tuning_runs`` candidates (its params and ``cv_results_`` means, stds and ranks),
  ``cv_results.csv``, and the best estimator as the logged model ``best_estimator``;
- the fitted estimator as the logged model ``model`` (sklearn flavor).

Every scikit-learn estimator class is patched, including those defined by modules imported
later (through ``BaseEstimator.__init_subclass__``); XGBoost's and LightGBM's scikit-learn
wrappers are left to their own integrations.
"""

from __future__ import annotations

import csv
import functools
import importlib
import math
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

from shipyard.autologging.estimators import fit_arguments, head, log_estimator
from shipyard.autologging.patching import (
    AUTOLOGGING_TAG,
    Patches,
    guarded,
    log_params,
    numeric_metrics,
    training_call,
)
from shipyard.autologging.registry import AutologOptions, configure

FRAMEWORK = "sklearn"
TRAINING_METHODS = ("fit", "fit_transform", "fit_predict")
TRAINING_PREFIX = "training_"


def autolog(
    log_models: bool = True,
    disable: bool = False,
    *,
    log_input_examples: bool = False,
    log_model_signatures: bool = True,
    max_tuning_runs: int | None = 5,
    registered_model_name: str | None = None,
    extra_tags: Mapping[str, str] | None = None,
) -> None:
    """Autolog scikit-learn training calls (see the module's documentation for what is logged)."""
    if max_tuning_runs is not None and max_tuning_runs < 0:
        raise ValueError(f"max_tuning_runs must be None or >= 0, got {max_tuning_runs}.")
    options = AutologOptions(
        log_models=log_models,
        log_input_examples=log_input_examples,
        log_model_signatures=log_model_signatures,
        registered_model_name=registered_model_name,
        extra_tags=dict(extra_tags or {}),
        max_tuning_runs=max_tuning_runs,
    )
    configure(FRAMEWORK, options, disable=disable)


def patch(module: ModuleType, patches: Patches, options: AutologOptions) -> None:
    """Wrap the training methods of scikit-learn's estimators, present and future."""
    base = importlib.import_module("sklearn.base").BaseEstimator
    wrapper = functools.partial(_autologged_fit, options)

    def patch_class(cls: type) -> None:
        if cls.__module__.startswith("sklearn."):
            for name in TRAINING_METHODS:
                patches.method(cls, name, wrapper)

    for cls in _subclasses(base):
        patch_class(cls)

    inherited = vars(base).get("__init_subclass__")

    def init_subclass(cls: type, /, **kwargs: Any) -> None:
        if inherited is not None:
            inherited.__get__(None, cls)(**kwargs)
        else:
            super(base, cls).__init_subclass__(**kwargs)
        guarded(f"patch {cls.__qualname__}", patch_class, cls)

    patches.replace(base, "__init_subclass__", classmethod(init_subclass))


def _subclasses(cls: type) -> Iterator[type]:
    seen: set[type] = set()
    stack = [cls]
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        yield current
        stack.extend(current.__subclasses__())


def _autologged_fit(
    options: AutologOptions, fit: Callable[..., Any], estimator: Any, *args: Any, **kwargs: Any
) -> Any:
    with training_call(FRAMEWORK, options.extra_tags) as session:
        if session is None:
            return fit(*args, **kwargs)
        features, labels, weights = fit_arguments(fit, args, kwargs)
        example = head(features)
        guarded("log the estimator's params", _log_params, estimator)
        result = fit(*args, **kwargs)
        if labels is not None:
            guarded(
                "log training metrics", _log_training_metrics, estimator, features, labels, weights
            )
        if is_search(estimator):
            guarded("log the parameter search", _log_search, estimator, options)
        if options.log_models:
            guarded("log the model", _log_model, estimator, example, options)
        return result


def is_search(estimator: Any) -> bool:
    """Whether ``estimator`` is a parameter search (GridSearchCV, RandomizedSearchCV...)."""
    return hasattr(estimator, "param_grid") or hasattr(estimator, "param_distributions")


def _log_params(estimator: Any) -> None:
    from shipyard import fluent

    log_params(estimator.get_params(deep=not is_search(estimator)))
    fluent.set_tags(
        {
            "estimator_name": type(estimator).__name__,
            "estimator_class": f"{type(estimator).__module__}.{type(estimator).__name__}",
        }
    )


def training_metrics(estimator: Any, features: Any, labels: Any, weights: Any) -> dict[str, float]:
    """MLflow's training metrics of a fitted estimator, each skipped if it cannot be computed."""
    base = importlib.import_module("sklearn.base")
    metrics = importlib.import_module("sklearn.metrics")
    values: dict[str, Any] = {}

    def add(name: str, compute: Callable[[], Any]) -> None:
        value = guarded(f"compute {TRAINING_PREFIX}{name}", compute)
        if value is not None:
            values[TRAINING_PREFIX + name] = value

    if base.is_classifier(estimator) or base.is_regressor(estimator):
        predicted = estimator.predict(features)
        weighted = {"sample_weight": weights}
        if base.is_classifier(estimator):
            averaged = {"average": "weighted", **weighted}
            add("precision_score", lambda: metrics.precision_score(labels, predicted, **averaged))
            add("recall_score", lambda: metrics.recall_score(labels, predicted, **averaged))
            add("f1_score", lambda: metrics.f1_score(labels, predicted, **averaged))
            add("accuracy_score", lambda: metrics.accuracy_score(labels, predicted, **weighted))
            if hasattr(estimator, "predict_proba"):
                probabilities = estimator.predict_proba(features)
                scores = probabilities[:, 1] if probabilities.shape[1] == 2 else probabilities
                add("log_loss", lambda: metrics.log_loss(labels, probabilities, **weighted))
                add(
                    "roc_auc",
                    lambda: metrics.roc_auc_score(
                        labels, scores, average="weighted", multi_class="ovo", **weighted
                    ),
                )
        else:
            add(
                "mean_squared_error",
                lambda: metrics.mean_squared_error(labels, predicted, **weighted),
            )
            add(
                "mean_absolute_error",
                lambda: metrics.mean_absolute_error(labels, predicted, **weighted),
            )
            add("r2_score", lambda: metrics.r2_score(labels, predicted, **weighted))
            if "training_mean_squared_error" in values:
                values["training_root_mean_squared_error"] = math.sqrt(
                    values["training_mean_squared_error"]
                )
    if hasattr(estimator, "score"):
        add("score", lambda: _score(estimator, features, labels, weights))
    return numeric_metrics(values)


def _score(estimator: Any, features: Any, labels: Any, weights: Any) -> Any:
    if weights is not None:
        return estimator.score(features, labels, sample_weight=weights)
    return estimator.score(features, labels)


def _log_training_metrics(estimator: Any, features: Any, labels: Any, weights: Any) -> None:
    from shipyard import fluent

    values = training_metrics(estimator, features, labels, weights)
    if values:
        fluent.log_metrics(values)


def _log_search(estimator: Any, options: AutologOptions) -> None:
    from shipyard import fluent

    if hasattr(estimator, "best_score_"):
        fluent.log_metrics(numeric_metrics({"best_cv_score": estimator.best_score_}))
    best = getattr(estimator, "best_params_", None) or {}
    if best:
        log_params({f"best_{name}": value for name, value in best.items()})
    results = getattr(estimator, "cv_results_", None)
    if results is None:
        return
    guarded("log cv_results.csv", _log_results_table, results)
    guarded("log the search's child runs", _log_candidates, estimator, results, options)
    if options.log_models and hasattr(estimator, "best_estimator_"):
        guarded(
            "log the best estimator",
            _log_model,
            estimator.best_estimator_,
            None,
            options,
            name="best_estimator",
        )


def _log_results_table(results: Mapping[str, Any]) -> None:
    from shipyard import fluent

    columns = list(results)
    rows = len(results[columns[0]]) if columns else 0
    with tempfile.TemporaryDirectory(prefix="shipyard-autolog-") as scratch:
        path = Path(scratch) / "cv_results.csv"
        with path.open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(columns)
            for row in range(rows):
                writer.writerow([results[column][row] for column in columns])
        fluent.log_artifact(path)


def _log_candidates(estimator: Any, results: Mapping[str, Any], options: AutologOptions) -> None:
    from shipyard import fluent

    candidates = len(results["params"])
    rank_column = "rank_test_score"
    if rank_column not in results:
        rank_column = next((c for c in results if c.startswith("rank_test_")), "")
    order = list(range(candidates))
    if rank_column:
        order.sort(key=lambda row: results[rank_column][row])
    if options.max_tuning_runs is not None:
        order = order[: options.max_tuning_runs]
    seed = estimator.estimator
    base_params = seed.get_params(deep=not is_search(seed))
    tags = {**options.extra_tags, AUTOLOGGING_TAG: FRAMEWORK}
    for row in order:
        with fluent.start_run(nested=True, tags=tags):
            log_params({**base_params, **results["params"][row]})
            values = {
                key: column[row]
                for key, column in results.items()
                if not key.startswith(("param", "split"))
            }
            fluent.log_metrics(numeric_metrics(values))


def _log_model(
    estimator: Any, example: Any, options: AutologOptions, *, name: str = "model"
) -> None:
    import shipyard.sklearn

    log_estimator(
        shipyard.sklearn.log_model, estimator, name, example, options, register=name == "model"
    )
