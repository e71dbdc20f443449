"""What the XGBoost and LightGBM integrations share: a patched ``train`` that logs the booster's
params and every iteration's evaluation metrics, and the scikit-learn wrappers' ``fit``.

A wrapper's ``fit`` (``XGBClassifier.fit``, ``LGBMClassifier.fit``) calls the library's ``train``:
that inner call logs the params and metrics into the wrapper's run, and the wrapper's ``fit``
then logs the wrapper itself as the model (not the bare booster).
"""

from __future__ import annotations

import functools
import inspect
import json
import tempfile
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from shipyard.autologging.estimators import fit_arguments, head, log_estimator
from shipyard.autologging.patching import (
    Patches,
    current_session,
    guarded,
    log_params,
    numeric_metrics,
    param_values,
    training_call,
)
from shipyard.autologging.registry import AutologOptions

INNER_TRAIN = "inner_train"


@dataclass(frozen=True)
class Booster:
    """How one library's ``train`` is called and what its model offers."""

    framework: str
    unlogged_arguments: Collection[str]
    # (a list to fill with each iteration's metrics) -> an object to append to ``callbacks``
    make_callback: Callable[[list[dict[str, float]]], Any]
    # (train's arguments, the model, metrics per iteration) -> None without early stopping, else
    # (stopped_iteration and best_iteration, the best iteration's metrics)
    early_stopping: Callable[[Mapping[str, Any], Any, list[dict[str, float]]], Any]
    # (booster, options) -> {importance type: {feature: value}}
    importances: Callable[[Any, AutologOptions], dict[str, dict[str, float]]]
    log_model: Callable[..., Any]


def metric_key(data_name: str, metric_name: str) -> str:
    """``<dataset>-<metric>`` as MLflow names them (``@`` is not allowed in a metric name)."""
    return f"{data_name}-{metric_name}".replace("@", "_at_")


def log_iteration(results: list[dict[str, float]], values: Mapping[str, Any], step: int) -> None:
    """Record one iteration's metrics and log them at ``step``."""
    from shipyard import fluent

    metrics = numeric_metrics(values)
    results.append(metrics)
    if metrics:
        guarded("log evaluation metrics", fluent.log_metrics, metrics, step=step)


def autologged_train(
    booster: Booster, options: AutologOptions, train: Callable[..., Any], *args: Any, **kwargs: Any
) -> Any:
    """The patched ``train``: a run of its own, or the params and metrics of an enclosing
    ``fit``."""
    outer = current_session()
    if outer is not None:
        if outer.framework == booster.framework and outer.state.pop(INNER_TRAIN, False):
            return _train_and_log(booster, options, train, args, kwargs, log_model=False)
        return train(*args, **kwargs)
    with training_call(booster.framework, options.extra_tags) as session:
        if session is None:
            return train(*args, **kwargs)
        return _train_and_log(booster, options, train, args, kwargs, log_model=options.log_models)


def autologged_fit(
    booster: Booster,
    options: AutologOptions,
    fit: Callable[..., Any],
    estimator: Any,
    *args: Any,
    **kwargs: Any,
) -> Any:
    """The patched scikit-learn wrapper ``fit``: its ``train`` call logs, then the model is
    logged."""
    with training_call(booster.framework, options.extra_tags) as session:
        if session is None:
            return fit(*args, **kwargs)
        example = head(fit_arguments(fit, args, kwargs)[0])
        session.state[INNER_TRAIN] = True
        result = fit(*args, **kwargs)
        if options.log_models:
            guarded(
                "log the model",
                log_estimator,
                booster.log_model,
                estimator,
                "model",
                example,
                options,
            )
        return result


def _train_and_log(
    booster: Booster,
    options: AutologOptions,
    train: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    *,
    log_model: bool,
) -> Any:
    try:
        call = inspect.signature(train).bind(*args, **kwargs)
    except TypeError:
        return train(*args, **kwargs)  # let the library report the bad call
    guarded("log the booster's params", _log_params, booster, call)
    results: list[dict[str, float]] = []
    callback = guarded("set up metric logging", booster.make_callback, results)
    if callback is not None:
        call.arguments["callbacks"] = [*(call.arguments.get("callbacks") or []), callback]
    model = train(*call.args, **call.kwargs)
    guarded("log early stopping", _log_early_stopping, booster, call.arguments, model, results)
    guarded("log feature importances", _log_importances, booster, model, options)
    if log_model:
        guarded("log the model", log_estimator, booster.log_model, model, "model", None, options)
    return model


def _log_params(booster: Booster, call: inspect.BoundArguments) -> None:
    arguments = dict(call.arguments)
    call_with_defaults = inspect.BoundArguments(call.signature, call.arguments.copy())
    call_with_defaults.apply_defaults()
    params = dict(arguments.get("params") or {})
    params.update(
        {
            name: value
            for name, value in call_with_defaults.arguments.items()
            if name not in booster.unlogged_arguments and name != "params"
        }
    )
    log_params(param_values(params))


def _log_early_stopping(
    booster: Booster, arguments: Mapping[str, Any], model: Any, results: list[dict[str, float]]
) -> None:
    from shipyard import fluent

    found = booster.early_stopping(arguments, model, results)
    if found is None:
        return
    summary, best_values = found
    fluent.log_metrics(summary)
    if best_values:
        fluent.log_metrics(best_values, step=len(results))


def _log_importances(booster: Booster, model: Any, options: AutologOptions) -> None:
    from shipyard import fluent

    with tempfile.TemporaryDirectory(prefix="shipyard-autolog-") as scratch:
        for kind, values in booster.importances(model, options).items():
            path = Path(scratch) / f"feature_importance_{kind}.json"
            path.write_text(json.dumps(values, indent=2))
            fluent.log_artifact(path)


def install(
    booster: Booster,
    options: AutologOptions,
    patches: Patches,
    modules: tuple[ModuleType, ...],
    base_class: type,
) -> None:
    """Wrap ``train`` in each of ``modules`` (where users and the wrappers call it) and ``fit``
    of ``base_class`` and of every subclass of it."""
    for owner in modules:
        original = owner.train
        patches.replace(
            owner,
            "train",
            functools.wraps(original)(
                functools.partial(autologged_train, booster, options, original)
            ),
        )
    fit = functools.partial(autologged_fit, booster, options)
    stack = [base_class]
    while stack:
        cls = stack.pop()
        patches.method(cls, "fit", fit)
        stack.extend(cls.__subclasses__())
