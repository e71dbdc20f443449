"""Which frameworks autologging supports, and which of them are switched on with what options.

Enabling an integration registers an import hook on the framework's module: the framework is
patched when the program imports it (at once if it already has), so enabling autologging never
imports a framework. Disabling undoes the patches and drops hooks still pending.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import ModuleType

from shipyard.autologging import hooks
from shipyard.autologging.patching import Patches


@dataclass(frozen=True)
class AutologOptions:
    """What an integration logs besides params and metrics."""

    log_models: bool = True
    log_input_examples: bool = False
    log_model_signatures: bool = True
    registered_model_name: str | None = None
    extra_tags: Mapping[str, str] = field(default_factory=dict)
    # scikit-learn: child runs for the best N candidates of a parameter search (None: all).
    max_tuning_runs: int | None = 5
    # XGBoost: the feature importance types logged as JSON artifacts.
    importance_types: tuple[str, ...] = ("weight",)
    # Keras, Lightning: also log metrics every N optimizer steps (None: once per epoch only).
    log_every_n_steps: int | None = None


@dataclass(frozen=True)
class Integration:
    """A framework: the modules whose import triggers patching, and our module that patches."""

    name: str
    modules: tuple[str, ...]
    implementation: str


INTEGRATIONS: dict[str, Integration] = {
    integration.name: integration
    for integration in (
        Integration("sklearn", ("sklearn",), "shipyard.autologging.sklearn"),
        Integration("xgboost", ("xgboost",), "shipyard.autologging.xgboost"),
        Integration("lightgbm", ("lightgbm",), "shipyard.autologging.lightgbm"),
        Integration(
            "lightning",
            ("lightning.pytorch", "pytorch_lightning"),
            "shipyard.autologging.lightning",
        ),
        Integration("keras", ("keras",), "shipyard.autologging.keras"),
        Integration("transformers", ("transformers.trainer",), "shipyard.autologging.transformers"),
    )
}


@dataclass
class _Enabled:
    options: AutologOptions
    patches: Patches = field(default_factory=Patches)
    hooks: list[hooks.Hook] = field(default_factory=list)


_lock = threading.RLock()
_enabled: dict[str, _Enabled] = {}


def configure(name: str, options: AutologOptions, *, disable: bool = False) -> None:
    """Switch the integration ``name`` on with ``options`` (replacing earlier ones), or off."""
    integration = INTEGRATIONS[name]
    with _lock:
        _switch_off(name)
        if disable:
            return
        state = _Enabled(options)
        _enabled[name] = state
        for module_name in integration.modules:

            def hook(module: ModuleType, state: _Enabled = state) -> None:
                _patch(integration, state, module)

            state.hooks.append(hook)
            hooks.when_imported(module_name, hook)


def is_enabled(name: str) -> bool:
    """Whether the integration ``name`` is switched on."""
    return name in _enabled


def installed(name: str) -> bool:
    """Whether a module of the integration ``name`` can be imported."""
    return any(hooks.is_installed(module) for module in INTEGRATIONS[name].modules)


def _patch(integration: Integration, state: _Enabled, module: ModuleType) -> None:
    with _lock:
        if _enabled.get(integration.name) is not state:
            return  # switched off or reconfigured since the hook was registered
        implementation = importlib.import_module(integration.implementation)
        implementation.patch(module, state.patches, state.options)


def _switch_off(name: str) -> None:
    state = _enabled.pop(name, None)
    if state is None:
        return
    for hook in state.hooks:
        hooks.cancel(hook)
    state.patches.undo()
