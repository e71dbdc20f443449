"""Run a function once a module has been imported: now if it already is, else right after.

Autologging patches a framework only once the user's program imports it, so enabling it costs
nothing for frameworks that are never used. A finder on ``sys.meta_path`` watches the names
that have pending hooks; for those it hands the import to the normal finders and wraps the
loader so the hooks run once the module has executed.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import logging
import sys
import threading
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

logger = logging.getLogger("shipyard.autologging")

Hook = Callable[[ModuleType], None]

_lock = threading.RLock()
_pending: dict[str, list[Hook]] = {}


def when_imported(name: str, hook: Hook) -> None:
    """Call ``hook(module)`` once ``name`` is imported (at once if it already is)."""
    with _lock:
        module = sys.modules.get(name)
        if module is None:
            _pending.setdefault(name, []).append(hook)
            if not any(isinstance(finder, _HookFinder) for finder in sys.meta_path):
                sys.meta_path.insert(0, _HookFinder())
            return
    _call(hook, module)


def cancel(hook: Hook) -> None:
    """Forget ``hook`` wherever it is pending."""
    with _lock:
        for name in list(_pending):
            _pending[name] = [pending for pending in _pending[name] if pending is not hook]
            if not _pending[name]:
                del _pending[name]


def is_installed(name: str) -> bool:
    """Whether the top-level package of ``name`` can be imported (without importing it)."""
    top = name.partition(".")[0]
    if top in sys.modules:
        return True
    try:
        return importlib.util.find_spec(top) is not None
    except (ImportError, ValueError):
        return False


def _call(hook: Hook, module: ModuleType) -> None:
    try:
        hook(module)
    except Exception:
        logger.warning(
            "Shipyard autologging could not set up for %s", module.__name__, exc_info=True
        )


def _fire(module: ModuleType) -> None:
    with _lock:
        hooks = _pending.pop(module.__name__, [])
    # A package may put another object in sys.modules while it executes (a lazy module).
    loaded = sys.modules.get(module.__name__, module)
    for hook in hooks:
        _call(hook, loaded)


class _HookFinder(importlib.abc.MetaPathFinder):
    """Finds watched modules through the other finders and wraps their loader."""

    def __init__(self) -> None:
        self._searching = threading.local()

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in _pending:
            return None
        searching: set[str] = self._searching.__dict__.setdefault("names", set())
        if fullname in searching:
            return None
        searching.add(fullname)
        try:
            spec = importlib.util.find_spec(fullname)
        finally:
            searching.discard(fullname)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        spec.loader = _HookLoader(spec.loader)
        return spec


class _HookLoader(importlib.abc.Loader):
    """Delegates to the real loader, then runs the module's hooks."""

    def __init__(self, loader: Any) -> None:
        self._loader = loader

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        module: ModuleType | None = self._loader.create_module(spec)
        return module

    def exec_module(self, module: ModuleType) -> None:
        # The module keeps the real loader, so nothing downstream sees this wrapper.
        module.__loader__ = self._loader
        if module.__spec__ is not None:
            module.__spec__.loader = self._loader
        self._loader.exec_module(module)
        _fire(module)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loader, name)
