"""Resident memory of a server's whole process tree, sampled in a background thread."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import psutil

MB = 1024 * 1024


@dataclass(frozen=True)
class Sample:
    """One reading: when (monotonic seconds), summed RSS in MB, and how many processes."""

    at: float
    rss_mb: float
    processes: int


def tree_rss(pid: int) -> tuple[float, int]:
    """Summed RSS in MB of ``pid`` and all its descendants, and the number of processes."""
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0, 0
    total = 0
    counted = 0
    for proc in procs:
        try:
            total += proc.memory_info().rss
            counted += 1
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return total / MB, counted


def tree_pss(pid: int) -> float | None:
    """Summed PSS in MB of ``pid`` and its descendants; None where the OS does not report it.

    PSS splits each shared page among the processes that map it, so unlike summed RSS it does
    not count shared libraries and copy-on-write pages once per worker.
    """
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return None
    total = 0
    for proc in procs:
        try:
            total += getattr(proc.memory_full_info(), "pss", 0)
        except (psutil.NoSuchProcess, psutil.ZombieProcess):
            continue
        except psutil.AccessDenied:
            return None
    return total / MB if total else None


class RssSampler:
    """Samples :func:`tree_rss` every ``interval`` seconds until stopped."""

    def __init__(self, pid: int, *, interval: float = 0.1) -> None:
        self.pid = pid
        self.interval = interval
        self.samples: list[Sample] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"rss-{pid}", daemon=True)

    def start(self) -> RssSampler:
        """Start sampling in a daemon thread; returns self for chaining."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop sampling and wait for the thread."""
        self._stop.set()
        self._thread.join(timeout=5.0)

    def _run(self) -> None:
        while True:
            rss_mb, processes = tree_rss(self.pid)
            if processes:
                with self._lock:
                    self.samples.append(Sample(time.monotonic(), rss_mb, processes))
            if self._stop.wait(self.interval):
                return

    def snapshot(self) -> list[Sample]:
        """A copy of the samples taken so far."""
        with self._lock:
            return list(self.samples)

    def peak(self) -> Sample | None:
        """The sample with the largest summed RSS so far."""
        return max(self.snapshot(), key=lambda sample: sample.rss_mb, default=None)

    def latest(self) -> Sample | None:
        """The most recent sample, if any."""
        samples = self.snapshot()
        return samples[-1] if samples else None

    def wait_settled(
        self, *, window: float = 2.0, tolerance: float = 0.02, timeout: float = 30.0
    ) -> tuple[float, bool]:
        """Wait until RSS varies less than ``tolerance`` over ``window`` seconds.

        Returns the mean RSS over that window and whether it really settled (False means the
        timeout hit and the value is the last window's mean anyway). Servers that start their
        workers in stages (MLflow's uvicorn workers, its job runner) keep growing for a while
        after the first ``/health`` answers; this is what "idle after start" waits out.
        """
        deadline = time.monotonic() + timeout
        started = time.monotonic()
        while True:
            now = time.monotonic()
            recent = [s.rss_mb for s in self.snapshot() if s.at >= now - window]
            if recent and now - started >= window:
                low, high = min(recent), max(recent)
                mean = sum(recent) / len(recent)
                if high - low <= tolerance * high:
                    return mean, True
                if now >= deadline:
                    return mean, False
            time.sleep(self.interval)
