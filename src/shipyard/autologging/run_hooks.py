"""What happens when the fluent API starts or ends a run: system metrics monitoring.

``shipyard.fluent`` calls ``run_started`` and ``run_ended`` once this module is imported
(``enable_system_metrics_logging`` imports it), so programs that never ask for system metrics
never load it. ``request_for_next_run`` carries ``start_run(log_system_metrics=...)`` to the
next ``run_started`` in the same thread: True or False decides for that run, None leaves it
to the global switch (``shipyard.system_metrics.is_enabled``).
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shipyard.system_metrics import SystemMetricsMonitor

logger = logging.getLogger("shipyard.autologging")

_lock = threading.Lock()
_monitors: dict[str, SystemMetricsMonitor] = {}


class _Request(threading.local):
    def __init__(self) -> None:
        self.enabled: bool | None = None


_request = _Request()


def request_for_next_run(enabled: bool | None) -> None:
    """Monitor (True) or not (False) the next run this thread starts; None: the default."""
    _request.enabled = enabled


def run_started(run_id: str) -> None:
    """Start monitoring ``run_id`` if it was asked for, or if monitoring is on for all runs."""
    from shipyard import system_metrics

    requested, _request.enabled = _request.enabled, None
    if not (system_metrics.is_enabled() if requested is None else requested):
        return
    try:
        from shipyard import fluent

        monitor = system_metrics.SystemMetricsMonitor(run_id, fluent.client())
        monitor.start()
    except Exception as exc:
        logger.warning("Could not start system metrics for run %s: %s", run_id, exc)
        return
    with _lock:
        previous = _monitors.pop(run_id, None)
        _monitors[run_id] = monitor
    if previous is not None:
        previous.stop()


def run_ended(run_id: str) -> None:
    """Stop monitoring ``run_id`` (no-op if it is not monitored)."""
    with _lock:
        monitor = _monitors.pop(run_id, None)
    if monitor is not None:
        monitor.stop()


def monitored_runs() -> list[str]:
    """The runs being monitored now."""
    with _lock:
        return list(_monitors)
