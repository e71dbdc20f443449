"""What the scikit-learn-style integrations share: the training data of a ``fit`` call, and
logging the fitted estimator with its flavor."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

from shipyard.autologging.patching import guarded
from shipyard.autologging.registry import AutologOptions

EXAMPLE_ROWS = 5


def fit_arguments(fit: Callable[..., Any], args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> Any:
    """``X``, ``y`` and ``sample_weight`` of a ``fit(X, y, sample_weight=...)`` call (None if
    absent)."""
    try:
        bound = inspect.signature(fit).bind_partial(*args, **kwargs).arguments
    except (TypeError, ValueError):
        bound = {}
    names = list(bound)
    features = bound.get("X", bound.get(names[0]) if names else None)
    labels = bound.get("y", bound.get(names[1]) if len(names) > 1 else None)
    return features, labels, bound.get("sample_weight")


def head(data: Any, rows: int = EXAMPLE_ROWS) -> Any:
    """The first rows of a DataFrame, an array or a list (None when it cannot be cut)."""
    if data is None:
        return None
    try:
        return data.iloc[:rows].copy() if hasattr(data, "iloc") else data[:rows]
    except Exception:
        return None


def log_estimator(
    log_model: Callable[..., Any],
    estimator: Any,
    name: str,
    example: Any,
    options: AutologOptions,
    *,
    register: bool = True,
    **save_options: Any,
) -> Any:
    """Log ``estimator`` with a flavor's ``log_model``, with the example and signature asked for."""
    input_example = example if options.log_input_examples else None
    signature: Any = None  # with an input example, the flavor infers it
    if not options.log_model_signatures:
        signature = False
    elif input_example is None and example is not None:
        signature = guarded("infer the model signature", _signature, estimator, example)
    return log_model(
        estimator,
        name,
        input_example=input_example,
        signature=signature,
        registered_model_name=options.registered_model_name if register else None,
        **save_options,
    )


def _signature(estimator: Any, example: Any) -> Any:
    from shipyard.models import infer_signature

    if not hasattr(estimator, "predict"):
        return None
    return infer_signature(example, estimator.predict(example))
