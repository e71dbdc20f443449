"""Shipyard: a self-hosted ML lifecycle platform that speaks MLflow's tracking protocol.

``import shipyard`` loads nothing but this file: the fluent API (``shipyard.start_run``,
``shipyard.log_metric``...), ``shipyard.Client``, ``shipyard.autolog`` and the framework
modules (``shipyard.sklearn``...) are imported on first use, so a script pays only for what it
touches.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:  # the lazy names, for type checkers and editors
    from shipyard.autologging import autolog
    from shipyard.client.tracking import Client
    from shipyard.fluent import (
        ActiveRun,
        active_run,
        create_experiment,
        delete_run,
        delete_tag,
        end_run,
        flush,
        get_artifact_uri,
        get_experiment,
        get_experiment_by_name,
        get_run,
        get_tracking_uri,
        last_active_run,
        log_artifact,
        log_artifacts,
        log_dict,
        log_figure,
        log_image,
        log_input,
        log_metric,
        log_metrics,
        log_param,
        log_params,
        log_table,
        log_text,
        search_runs,
        set_experiment,
        set_experiment_tag,
        set_tag,
        set_tags,
        set_tracking_uri,
        start_run,
    )
    from shipyard.system_metrics import (
        disable_system_metrics_logging,
        enable_system_metrics_logging,
        set_system_metrics_sampling_interval,
    )

__all__ = [
    "ActiveRun",
    "Client",
    "__version__",
    "active_run",
    "autolog",
    "create_experiment",
    "delete_run",
    "delete_tag",
    "disable_system_metrics_logging",
    "enable_system_metrics_logging",
    "end_run",
    "flush",
    "get_artifact_uri",
    "get_experiment",
    "get_experiment_by_name",
    "get_run",
    "get_tracking_uri",
    "last_active_run",
    "log_artifact",
    "log_artifacts",
    "log_dict",
    "log_figure",
    "log_image",
    "log_input",
    "log_metric",
    "log_metrics",
    "log_param",
    "log_params",
    "log_table",
    "log_text",
    "search_runs",
    "set_experiment",
    "set_experiment_tag",
    "set_system_metrics_sampling_interval",
    "set_tag",
    "set_tags",
    "set_tracking_uri",
    "start_run",
]
_SYSTEM_METRICS = (
    "disable_system_metrics_logging",
    "enable_system_metrics_logging",
    "set_system_metrics_sampling_interval",
)
_FLUENT = [
    name for name in __all__ if name not in ("Client", "__version__", "autolog", *_SYSTEM_METRICS)
]

# name -> (module, attribute); attribute None: the module itself
_LAZY: dict[str, tuple[str, str | None]] = {
    **{name: ("shipyard.fluent", name) for name in _FLUENT},
    "Client": ("shipyard.client.tracking", "Client"),
    "autolog": ("shipyard.autologging", "autolog"),
    **{name: ("shipyard.system_metrics", name) for name in _SYSTEM_METRICS},
}
_SUBMODULES = (
    "client",
    "fluent",
    "pyfunc",
    "sklearn",
    "xgboost",
    "lightgbm",
    "pytorch",
    "keras",
    "transformers",
    "lightning",
    "system_metrics",
)


def __getattr__(name: str) -> Any:
    found = _LAZY.get(name)
    if found is not None:
        module_name, attribute = found
        value = getattr(importlib.import_module(module_name), attribute or name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        return importlib.import_module(f"shipyard.{name}")
    raise AttributeError(f"module 'shipyard' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY, *_SUBMODULES})
