"""Measuring one transfer: wall time, the server tree's RSS and CPU, and this client's CPU.

RSS comes from ``trackbench.memory.RssSampler`` (the whole process tree, parent and children,
sampled in a background thread). It reports MiB; this module converts to MB (10^6 bytes) so
that every figure of the artifact benchmark uses one unit.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import psutil

from trackbench.memory import RssSampler

MB = 1_000_000
MIB = 1024 * 1024
SAMPLE_INTERVAL_SECONDS = 0.05
SETTLE_WINDOW_SECONDS = 2.0
SETTLE_TIMEOUT_SECONDS = 30.0


def _mb(rss_mib: float) -> float:
    return rss_mib * MIB / MB


def tree_cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds used so far by ``pid`` and its live descendants."""
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0.0
    for proc in procs:
        try:
            times = proc.cpu_times()
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
        total += times.user + times.system
    return total


@dataclass(frozen=True)
class Transfer:
    """One timed transfer and what it cost on both ends."""

    seconds: float
    payload_bytes: int
    files: int
    rss_before_mb: float  # server tree, last sample before the transfer
    rss_peak_mb: float  # server tree, largest sample during the transfer
    server_cpu_seconds: float
    client_cpu_seconds: float  # this benchmark process, all threads

    @property
    def mb_per_second(self) -> float:
        """Payload MB (10^6 bytes) per second."""
        return self.payload_bytes / MB / self.seconds

    @property
    def files_per_second(self) -> float:
        """Files per second."""
        return self.files / self.seconds

    def as_json(self) -> dict[str, Any]:
        """The fields, rounded, for the JSON report."""
        return {key: round(value, 4) for key, value in asdict(self).items()}


class Probe:
    """Watches one server's process tree for the whole run."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.sampler = RssSampler(pid, interval=SAMPLE_INTERVAL_SECONDS).start()

    def stop(self) -> None:
        """Stop sampling."""
        self.sampler.stop()

    def rss_now_mb(self) -> float:
        """The latest RSS sample of the tree."""
        latest = self.sampler.latest()
        return _mb(latest.rss_mb) if latest else 0.0

    def processes(self) -> int:
        """How many processes the tree had at the latest sample."""
        latest = self.sampler.latest()
        return latest.processes if latest else 0

    def peak_mb(self) -> float:
        """The largest RSS seen so far."""
        return _mb(self.sampler.peak_mb())

    def settled_rss_mb(self) -> tuple[float, bool]:
        """The mean RSS once it stops changing, and whether it really settled."""
        rss_mib, settled = self.sampler.wait_settled(
            window=SETTLE_WINDOW_SECONDS, timeout=SETTLE_TIMEOUT_SECONDS
        )
        return _mb(rss_mib), settled

    def measure(self, action: Callable[[], object], *, payload_bytes: int, files: int) -> Transfer:
        """Run ``action`` and time it; RSS and CPU are read around it, outside the clock."""
        rss_before = self.rss_now_mb()
        server_cpu, client_cpu = tree_cpu_seconds(self.pid), time.process_time()
        window_start = time.monotonic()
        started = time.perf_counter()
        action()
        seconds = time.perf_counter() - started
        window_end = time.monotonic()
        server_cpu = tree_cpu_seconds(self.pid) - server_cpu
        client_cpu = time.process_time() - client_cpu
        peak = self._window_peak_mb(window_start, window_end, default=rss_before)
        return Transfer(
            seconds, payload_bytes, files, rss_before, peak, server_cpu, client_cpu
        )

    def _window_peak_mb(self, start: float, end: float, *, default: float) -> float:
        """The largest sample in ``[start, end]`` plus the first sample after ``end``."""
        deadline = time.monotonic() + 10 * SAMPLE_INTERVAL_SECONDS
        while time.monotonic() < deadline:
            latest = self.sampler.latest()
            if latest is not None and latest.at > end:
                break
            time.sleep(SAMPLE_INTERVAL_SECONDS / 2)
        samples = self.sampler.snapshot()
        inside = [s.rss_mb for s in samples if start <= s.at <= end]
        after = [s.rss_mb for s in samples if s.at > end][:1]
        values = inside + after
        return _mb(max(values)) if values else default


def flush_disk() -> None:
    """Write dirty pages out, so one transfer does not pay for the previous one's writeback."""
    os.sync()
