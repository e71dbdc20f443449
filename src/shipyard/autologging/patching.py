"""Monkeypatching that can be undone, and the guard that makes one training call one logged run.

``Patches`` records what each replacement displaced, so ``undo`` puts back exactly the attribute a
class or module had (or removes the one it did not have). ``method`` wraps a method for
autologging: the wrapper receives the original already bound to the instance.

``training_call`` is the re-entrancy guard. While one autologged training call runs (a
``Pipeline.fit``, a ``GridSearchCV.fit``), training calls made inside it, in any thread, run
untouched, so the outer call is logged once. It also starts a run when none is active and ends
it after the call (FAILED if the call raised).

Autologging must never break training: ``guarded`` turns an exception raised by logging code
into a warning.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import logging
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from shipyard.domain.validation import MAX_KEY_LENGTH, MAX_PARAM_VALUE_LENGTH, MAX_PARAMS_PER_BATCH

logger = logging.getLogger("shipyard.autologging")

T = TypeVar("T")
AUTOLOGGING_TAG = "mlflow.autologging"
_MISSING = object()

# wrapper(bound_original, instance, *args, **kwargs)
MethodWrapper = Callable[..., Any]


class Patches:
    """The replacements one integration made, undone together."""

    def __init__(self) -> None:
        self._displaced: list[tuple[Any, str, Any]] = []

    def __len__(self) -> int:
        return len(self._displaced)

    def replace(self, owner: Any, name: str, value: Any) -> None:
        """Set ``owner.name`` to ``value``, remembering what was there."""
        self._displaced.append((owner, name, vars(owner).get(name, _MISSING)))
        setattr(owner, name, value)

    def method(self, cls: type, name: str, wrapper: MethodWrapper) -> bool:
        """Wrap the method ``name`` defined by ``cls`` itself; False if it defines none."""
        own = vars(cls).get(name, _MISSING)
        if own is _MISSING or getattr(own, "__shipyard_original__", None) is not None:
            return False
        if inspect.isfunction(own):
            function = own

            @functools.wraps(function)
            def patched(self: Any, *args: Any, **kwargs: Any) -> Any:
                return wrapper(functools.partial(function, self), self, *args, **kwargs)

            patched.__shipyard_original__ = function  # type: ignore[attr-defined]
            self.replace(cls, name, patched)
            return True
        if hasattr(own, "__get__") and not isinstance(own, staticmethod | classmethod | property):
            self.replace(cls, name, _WrappedDescriptor(own, wrapper))
            return True
        return False

    def undo(self) -> None:
        """Put every replaced attribute back, newest first."""
        while self._displaced:
            owner, name, previous = self._displaced.pop()
            if previous is _MISSING:
                with contextlib.suppress(AttributeError):
                    delattr(owner, name)
            else:
                setattr(owner, name, previous)


class _WrappedDescriptor:
    """A method descriptor (such as scikit-learn's ``available_if``) whose methods get wrapped."""

    def __init__(self, descriptor: Any, wrapper: MethodWrapper) -> None:
        self.__shipyard_original__ = descriptor
        self._wrapper = wrapper
        functools.update_wrapper(self, descriptor)  # type: ignore[arg-type]

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        method = self.__shipyard_original__.__get__(instance, owner)
        if instance is None:
            return method

        @functools.wraps(method)
        def bound(*args: Any, **kwargs: Any) -> Any:
            return self._wrapper(method, instance, *args, **kwargs)

        return bound


def guarded(what: str, action: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
    """Run logging code; an exception becomes a warning (naming ``what``) and None."""
    try:
        return action(*args, **kwargs)
    except Exception as exc:
        logger.warning("Shipyard autologging could not %s: %s: %s", what, type(exc).__name__, exc)
        return None


def param_values(params: Mapping[str, Any]) -> dict[str, str]:
    """Params as text, keys and values cut to the server's limits (as MLflow's autologging does)."""
    return {
        str(key)[:MAX_KEY_LENGTH]: str(value)[:MAX_PARAM_VALUE_LENGTH]
        for key, value in params.items()
    }


def log_params(params: Mapping[str, Any]) -> None:
    """Log params to the active run in batches the server accepts."""
    from shipyard import fluent

    items = list(param_values(params).items())
    for start in range(0, len(items), MAX_PARAMS_PER_BATCH):
        fluent.log_params(dict(items[start : start + MAX_PARAMS_PER_BATCH]))


def log_text(text: str, artifact_file: str) -> None:
    """Log ``text`` as the file ``artifact_file`` of the active run."""
    from shipyard import fluent

    with tempfile.TemporaryDirectory(prefix="shipyard-autolog-") as scratch:
        path = Path(scratch) / artifact_file
        path.write_text(text)
        fluent.log_artifact(path)


def numeric_metrics(values: Mapping[str, Any]) -> dict[str, float]:
    """The entries that are numbers (Python, numpy or 0-d tensors), as floats."""
    metrics: dict[str, float] = {}
    for key, value in values.items():
        if isinstance(value, bool | str):
            continue
        with contextlib.suppress(TypeError, ValueError, RuntimeError):
            metrics[str(key)] = float(value)
    return metrics


@dataclass
class TrainingSession:
    """One autologged training call: the framework, the run it logs to, and scratch state."""

    framework: str
    thread: int
    run_id: str | None = None
    started_run: bool = False
    state: dict[str, Any] = field(default_factory=dict)


_lock = threading.Lock()
_active: TrainingSession | None = None


def current_session() -> TrainingSession | None:
    """The autologged training call in progress in this thread, if any."""
    session = _active
    return session if session is not None and session.thread == threading.get_ident() else None


@contextlib.contextmanager
def training_call(
    framework: str, extra_tags: Mapping[str, str] | None = None
) -> Iterator[TrainingSession | None]:
    """Guard one training call: yields its session, or None if the call must not be logged
    (another autologged call is in progress, or no run could be started)."""
    global _active
    session = TrainingSession(framework, threading.get_ident())
    with _lock:
        nested = _active is not None
        if not nested:
            _active = session
    if nested:
        yield None
        return
    try:
        guarded("start a run", _start_run, session, extra_tags or {})
        succeeded = False
        try:
            yield session if session.run_id else None
            succeeded = True
        finally:
            if session.started_run:
                guarded("end the run", _end_run, succeeded)
    finally:
        with _lock:
            _active = None


def _start_run(session: TrainingSession, extra_tags: Mapping[str, str]) -> None:
    from shipyard import fluent

    active = fluent.active_run()
    if active is None:
        tags = {**extra_tags, AUTOLOGGING_TAG: session.framework}
        active = fluent.start_run(tags=tags)
        session.started_run = True
    session.run_id = active.info.run_id


def _end_run(succeeded: bool) -> None:
    from shipyard import fluent

    fluent.end_run("FINISHED" if succeeded else "FAILED")


def open_run() -> bool:
    """For a callback or logger used on its own: start a run when none is active (True if it
    did, so that ``close_run`` ends it)."""
    from shipyard import fluent

    if fluent.active_run() is not None:
        return False
    fluent.start_run()
    return True


def close_run(started: bool, succeeded: bool = True) -> None:
    """End the run ``open_run`` started."""
    if started:
        _end_run(succeeded)
