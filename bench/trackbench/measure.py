"""Timing, percentiles, and driving several clients at once."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from typing import TypeVar

from trackbench.rest import RestClient

T = TypeVar("T")
J = TypeVar("J")

BARRIER_TIMEOUT_SECONDS = 60.0


def percentile(values: Iterable[float], q: float) -> float:
    """The ``q``-th percentile (0-100), linearly interpolated between the closest ranks."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("percentile of no values")
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def median(values: Iterable[float]) -> float:
    """The 50th percentile."""
    return percentile(values, 50)


def summarize(
    samples: dict[str, list[float]], statistic: Callable[[list[float]], float] = median
) -> dict[str, float | None]:
    """One number per contender; None where a contender has no samples."""
    return {name: statistic(values) if values else None for name, values in samples.items()}


def flatten(samples: dict[str, list[list[float]]]) -> dict[str, list[float]]:
    """Per-repetition lists of latencies merged into one list per contender."""
    return {name: [v for rep in reps for v in rep] for name, reps in samples.items()}


def timed_ms(action: Callable[[], object]) -> float:
    """Milliseconds one call of ``action`` takes."""
    started = time.perf_counter()
    action()
    return (time.perf_counter() - started) * 1000


def run_parallel(
    clients: Sequence[RestClient],
    jobs: Sequence[Sequence[J]],
    work: Callable[[RestClient, J], object],
) -> float:
    """Client ``i`` works through ``jobs[i]`` in its own thread; the wall-clock seconds.

    All threads start together at a barrier, so thread start-up is not timed. If one client
    fails the others stop at their next item and the first error is raised.
    """
    if len(clients) != len(jobs):
        raise ValueError("one job list per client")
    barrier = threading.Barrier(len(clients) + 1, timeout=BARRIER_TIMEOUT_SECONDS)
    failed = threading.Event()

    def worker(client: RestClient, items: Sequence[J]) -> None:
        barrier.wait()
        try:
            for item in items:
                if failed.is_set():
                    return
                work(client, item)
        except BaseException:
            failed.set()
            raise

    with ThreadPoolExecutor(max_workers=len(clients)) as pool:
        futures = [pool.submit(worker, c, items) for c, items in zip(clients, jobs, strict=True)]
        barrier.wait()
        started = time.perf_counter()
        try:
            wait(futures)
        except BaseException:  # Ctrl-C: let the workers stop after their current request
            failed.set()
            raise
        seconds = time.perf_counter() - started
    for future in futures:
        future.result()
    return seconds


def split_round_robin(items: Sequence[T], parts: int) -> list[list[T]]:
    """``items`` dealt to ``parts`` lists like cards, so each gets an even share."""
    return [list(items[i::parts]) for i in range(parts)]
