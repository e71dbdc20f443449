"""Autologging: params, metrics and the model of a training call, logged with no logging code.

``shipyard.autolog()`` switches it on for every supported framework that is installed:
scikit-learn, XGBoost, LightGBM, PyTorch Lightning, Keras and Hugging Face's Trainer. Each
framework is patched only once the program imports it, so this module imports none of them.
``shipyard.<framework>.autolog()`` does the same for one framework, with its own options;
``disable=True`` puts the original methods back.

A training call starts a run when none is active (tagged ``mlflow.autologging=<framework>``) and
ends it afterwards; inside an active run it logs to that run. Training calls made inside one
being logged (a Pipeline's steps, a search's candidates) are not logged again. Any error while
logging becomes a warning: training itself always goes on. See docs/autologging.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from shipyard.autologging.registry import INTEGRATIONS, AutologOptions, configure, installed

__all__ = ["FRAMEWORKS", "AutologOptions", "autolog"]

FRAMEWORKS = tuple(INTEGRATIONS)


def autolog(
    disable: bool = False,
    log_models: bool = True,
    *,
    log_input_examples: bool = False,
    log_model_signatures: bool = True,
    extra_tags: Mapping[str, str] | None = None,
    exclude_flavors: Iterable[str] = (),
) -> None:
    """Autolog every supported framework that is installed.

    ``log_models=False`` logs params and metrics only; ``disable=True`` switches autologging
    off and restores the frameworks' original methods; frameworks in ``exclude_flavors`` are
    left as they are.
    """
    excluded = set(exclude_flavors)
    unknown = excluded - set(FRAMEWORKS)
    if unknown:
        raise ValueError(
            f"Unknown frameworks in exclude_flavors: {sorted(unknown)}; "
            f"choose from {list(FRAMEWORKS)}."
        )
    options = AutologOptions(
        log_models=log_models,
        log_input_examples=log_input_examples,
        log_model_signatures=log_model_signatures,
        extra_tags=dict(extra_tags or {}),
    )
    for name in FRAMEWORKS:
        if name in excluded:
            continue
        if disable:
            configure(name, options, disable=True)
        elif installed(name):
            configure(name, options)
