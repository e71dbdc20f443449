"""Measuring one transfer: wall time, the server tree's RSS and CPU, and this client's CPU.

RSS is summed over the server's whole process tree (parent and children) and sampled in a
background thread. Finding the children means scanning every process on the machine (about
3 ms of CPU with psutil), so the tree is re-discovered once a second and only the RSS of its
known members is read at every sample (about 0.2 ms): on a 2-core machine a sampler that
rescans 20 times a second would take a tenth of a core from the client it is measuring.
Memory is in MB (10^6 bytes), like every figure of the artifact benchmark.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import psutil

MB = 1_000_000
SAMPLE_INTERVAL_SECONDS = 0.05
RESCAN_SECONDS = 1.0
SETTLE_WINDOW_SECONDS = 2.0
SETTLE_TOLERANCE = 0.02
SETTLE_TIMEOUT_SECONDS = 30.0


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
class Sample:
    """One reading: when (monotonic seconds), summed RSS in MB, and how many processes."""

    at: float
    rss_mb: float
    processes: int


class TreeSampler:
    """Samples the summed RSS of ``pid`` and its descendants every ``interval`` seconds."""

    def __init__(self, pid: int, *, interval: float, rescan: float = RESCAN_SECONDS) -> None:
        self.pid = pid
        self.interval = interval
        self.rescan = rescan
        self._procs: list[psutil.Process] = []
        self._scanned_at = -rescan
        self._samples: list[Sample] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"rss-{pid}", daemon=True)

    def start(self) -> TreeSampler:
        """Start sampling in a daemon thread; returns self."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop sampling and wait for the thread."""
        self._stop.set()
        self._thread.join(timeout=5.0)

    def _members(self) -> list[psutil.Process]:
        now = time.monotonic()
        if now - self._scanned_at >= self.rescan or not self._procs:
            try:
                root = psutil.Process(self.pid)
                self._procs = [root, *root.children(recursive=True)]
            except psutil.NoSuchProcess:
                self._procs = []
            self._scanned_at = now
        return self._procs

    def _read(self) -> Sample | None:
        total, counted = 0, 0
        for proc in self._members():
            try:
                total += proc.memory_info().rss
                counted += 1
            except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                self._scanned_at = -self.rescan  # a member left: rescan next time
        return Sample(time.monotonic(), total / MB, counted) if counted else None

    def _run(self) -> None:
        while True:
            sample = self._read()
            if sample is not None:
                with self._lock:
                    self._samples.append(sample)
            if self._stop.wait(self.interval):
                return

    def snapshot(self) -> list[Sample]:
        """A copy of the samples taken so far."""
        with self._lock:
            return list(self._samples)

    def latest(self) -> Sample | None:
        """The most recent sample, if any."""
        with self._lock:
            return self._samples[-1] if self._samples else None


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
        self.sampler = TreeSampler(pid, interval=SAMPLE_INTERVAL_SECONDS).start()

    def stop(self) -> None:
        """Stop sampling."""
        self.sampler.stop()

    def rss_now_mb(self) -> float:
        """The latest RSS sample of the tree."""
        latest = self.sampler.latest()
        return latest.rss_mb if latest else 0.0

    def processes(self) -> int:
        """How many processes the tree had at the latest sample."""
        latest = self.sampler.latest()
        return latest.processes if latest else 0

    def peak_mb(self) -> float:
        """The largest RSS seen so far."""
        return max((sample.rss_mb for sample in self.sampler.snapshot()), default=0.0)

    def settled_rss_mb(self) -> tuple[float, bool]:
        """The mean RSS once it varies less than 2% over 2 s, and whether it really settled.

        Servers that start workers in stages keep growing for a while after the first
        ``/health`` answers; after 30 s the last window's mean is returned anyway.
        """
        started = time.monotonic()
        while True:
            now = time.monotonic()
            window = [
                s.rss_mb for s in self.sampler.snapshot() if s.at >= now - SETTLE_WINDOW_SECONDS
            ]
            if window and now - started >= SETTLE_WINDOW_SECONDS:
                mean = sum(window) / len(window)
                if max(window) - min(window) <= SETTLE_TOLERANCE * max(window):
                    return mean, True
                if now - started >= SETTLE_TIMEOUT_SECONDS:
                    return mean, False
            time.sleep(SAMPLE_INTERVAL_SECONDS)

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
        return Transfer(seconds, payload_bytes, files, rss_before, peak, server_cpu, client_cpu)

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
        return max(values) if values else default


def flush_disk() -> None:
    """Write dirty pages out, so one transfer does not pay for the previous one's writeback."""
    os.sync()
