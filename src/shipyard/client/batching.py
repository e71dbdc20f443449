"""Logging that costs the caller next to nothing: calls queue in memory, one thread sends them.

``BatchLogger`` takes metric points, params and tags, keeps them in a bounded queue in call
order, and a background thread packs them into log-batch requests within every limit of the
protocol (1000 metrics, 100 params, 100 tags, 1000 entities, 1 MB per request; one run per
request). What the thread does with a request:

- it succeeds: done;
- the server cannot take it now (unreachable, 429, 502/503/504): sent again with exponential
  backoff and jitter until it succeeds or the retry deadline passes. Sending again is safe:
  a metric point is stored once whatever the number of copies (both Shipyard and MLflow key
  points by run, key, timestamp, step and value), a param may be logged again with the same
  value, and tags are overwritten;
- the server refuses it (4xx, or a 500 that persists): the request is split in halves and
  each half sent, down to the single call at fault, so one bad param cannot lose the metrics
  sent with it. The refused calls are kept and raised by the next ``flush()``.

``flush()`` waits until everything queued before it has been answered and raises what was
refused. A full queue makes logging calls wait for room (nothing is ever dropped). Every live
logger is flushed when the interpreter exits, and a forked child starts with an empty queue
(the parent sends what it queued). In synchronous mode the calling thread sends at once and
gets the server's error straight away.
"""

from __future__ import annotations

import atexit
import logging
import os
import random
import threading
import time
import weakref
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from shipyard.client.backend import TransientError
from shipyard.domain import validation
from shipyard.domain.entities import Metric
from shipyard.domain.errors import InvalidParameter, ShipyardError

log = logging.getLogger(__name__)

METRIC, PARAM, TAG = 0, 1, 2
_KIND_NAMES = {METRIC: "metric point", PARAM: "param", TAG: "tag"}

# A request's JSON around its items, and each item's share beyond its key and value.
_BODY_OVERHEAD = 128
_ITEM_OVERHEAD = 96
# Leave room under MLflow's 1 MB request limit for what the estimate misses (escapes).
_MAX_BATCH_BYTES = int(validation.MAX_BATCH_REQUEST_BYTES * 0.9)

Item = tuple[str, int, "Metric | tuple[str, str]", int]
"""(run id, kind, payload, estimated bytes): a Metric, or a (key, value) pair."""


class LogSink(Protocol):
    """Where batches go: a tracking backend's ``log_batch``."""

    def log_batch(
        self,
        run_id: str,
        *,
        metrics: Sequence[Metric] = (),
        params: Mapping[str, str] | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> None:
        """Log metrics, params and tags to a run in one request."""


def _flag(value: str) -> bool:
    return value.strip().lower() not in ("0", "false", "no", "off")


def _number(variable: str, default: float, minimum: float) -> float:
    text = os.environ.get(variable, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = minimum - 1
    if value < minimum:
        raise InvalidParameter(
            f"${variable} is {text!r}: set it to a number of at least {minimum:g}, or unset it."
        )
    return value


@dataclass(frozen=True, slots=True)
class LoggingSettings:
    """How logging calls travel; ``from_environment`` reads the documented variables."""

    asynchronous: bool = True
    """Queue calls and send them from a background thread (False: send in the caller)."""
    queue_size: int = 100_000
    """Logging calls held at most; a full queue makes callers wait."""
    retry_timeout: float = 300.0
    """Seconds a request is retried while the server cannot take it."""
    max_retry_delay: float = 4.0
    """Longest pause between two tries."""

    @classmethod
    def from_environment(cls) -> LoggingSettings:
        """Settings from ``SHIPYARD_ASYNC_LOGGING``, ``SHIPYARD_LOGGING_QUEUE_SIZE`` and
        ``SHIPYARD_LOGGING_RETRY_TIMEOUT`` (defaults for the ones not set)."""
        default = cls()
        return cls(
            asynchronous=_flag(os.environ.get("SHIPYARD_ASYNC_LOGGING", "true")),
            queue_size=int(_number("SHIPYARD_LOGGING_QUEUE_SIZE", default.queue_size, 1)),
            retry_timeout=_number("SHIPYARD_LOGGING_RETRY_TIMEOUT", default.retry_timeout, 0),
        )


@dataclass(slots=True)
class _Batch:
    """One log-batch request: the calls it carries, merged by key for params and tags."""

    run_id: str
    items: list[Item] = field(default_factory=list)
    metrics: list[Metric] = field(default_factory=list)
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    size: int = _BODY_OVERHEAD

    def offer(self, item: Item) -> bool:
        """Take the item if the request stays within every limit."""
        _, kind, payload, size = item
        if self.items and self.size + size > _MAX_BATCH_BYTES:
            return False
        entities = len(self.metrics) + len(self.params) + len(self.tags)
        full = entities >= validation.MAX_ENTITIES_PER_BATCH
        if kind == METRIC:
            if full or len(self.metrics) >= validation.MAX_METRICS_PER_BATCH:
                return False
            assert isinstance(payload, Metric)
            self.metrics.append(payload)
        else:
            assert not isinstance(payload, Metric)
            key, value = payload
            table = self.params if kind == PARAM else self.tags
            if key in table:
                # a param keeps its first value: a different one must reach the server alone,
                # which refuses it; a tag's newer value replaces the older one
                if kind == PARAM and table[key] != value:
                    return False
            elif full or len(table) >= (
                validation.MAX_PARAMS_PER_BATCH if kind == PARAM else validation.MAX_TAGS_PER_BATCH
            ):
                return False
            table[key] = value
        self.items.append(item)
        self.size += size
        return True

    def halves(self) -> tuple[_Batch, _Batch]:
        """The same calls as two requests."""
        middle = len(self.items) // 2
        return _rebuild(self.run_id, self.items[:middle]), _rebuild(
            self.run_id, self.items[middle:]
        )

    def describe(self) -> str:
        """What the request carries, for an error message."""
        if len(self.items) == 1:
            _, kind, payload, _ = self.items[0]
            if isinstance(payload, Metric):
                return f"metric {payload.key}={payload.value} (step {payload.step})"
            key, value = payload
            return f"{_KIND_NAMES[kind]} {key}={value!r}"
        counts = {kind: 0 for kind in _KIND_NAMES}
        for _, kind, _, _ in self.items:
            counts[kind] += 1
        parts = [f"{n} {_KIND_NAMES[kind]}s" for kind, n in counts.items() if n]
        return ", ".join(parts)


def _rebuild(run_id: str, items: Iterable[Item]) -> _Batch:
    batch = _Batch(run_id)
    for item in items:
        batch.offer(item)
    return batch


def _take(queue: deque[Item]) -> _Batch:
    """Pop the calls of one request off the front of a non-empty queue, in order."""
    batch = _Batch(queue[0][0])
    while queue and queue[0][0] == batch.run_id and batch.offer(queue[0]):
        queue.popleft()
    return batch


@dataclass(frozen=True, slots=True)
class _Failure:
    run_id: str
    what: str
    error: ShipyardError


def _raise(failures: list[_Failure]) -> None:
    """Raise refused calls as one error of the first one's kind."""
    if not failures:
        return
    lines = [f"{f.what} to run {f.run_id}: {f.error.message}" for f in failures[:5]]
    if len(failures) > 5:
        lines.append(f"... and {len(failures) - 5} more")
    first = failures[0].error
    if len(failures) == 1:
        message = f"Shipyard could not log {lines[0]}"
    else:
        message = f"Shipyard could not log {len(failures)} batches of calls:\n  " + "\n  ".join(
            lines
        )
    try:
        error = type(first)(message)
    except TypeError:  # an error class that needs more than a message
        error = ShipyardError(message)
    raise error from first


class BatchLogger:
    """Metric points, params and tags on their way to a backend (see the module docstring)."""

    def __init__(self, sink: LogSink, settings: LoggingSettings | None = None) -> None:
        self.sink = sink
        self.settings = settings or LoggingSettings.from_environment()
        self.asynchronous = self.settings.asynchronous
        self._key_sizes: dict[str, int] = {}
        self._reset()
        _LIVE.add(self)

    def _reset(self) -> None:
        self._cond = threading.Condition()
        self._queue: deque[Item] = deque()
        self._queued = 0
        self._done = 0
        self._failures: list[_Failure] = []
        self._sender: threading.Thread | None = None
        self._stopping = False
        self._warned_full = False

    @property
    def pending(self) -> int:
        """Calls queued or on their way, not yet answered."""
        return self._queued - self._done

    # -- taking calls -----------------------------------------------------------------------

    def log(
        self,
        run_id: str,
        *,
        metrics: Sequence[Metric] = (),
        params: Mapping[str, str] | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> None:
        """Queue calls (or, synchronously, send them now and raise what the server refuses)."""
        items: list[Item] = []
        sizes = self._key_sizes
        for metric in metrics:
            size = sizes.get(metric.key)
            if size is None:
                size = sizes[metric.key] = len(metric.key.encode()) + _ITEM_OVERHEAD
            items.append((run_id, METRIC, metric, size))
        for kind, pairs in ((PARAM, params), (TAG, tags)):
            for key, value in (pairs or {}).items():
                size = len(key.encode()) + len(value.encode()) + _ITEM_OVERHEAD
                items.append((run_id, kind, (key, value), size))
        if not items:
            return
        if self.asynchronous:
            self._enqueue(items)
        else:
            self._send_now(items)

    def _enqueue(self, items: list[Item]) -> None:
        limit = self.settings.queue_size
        with self._cond:
            self._start_sender()
            queue = self._queue
            if len(queue) + len(items) <= limit:
                queue.extend(items)
                self._queued += len(items)
            else:
                for item in items:
                    while len(queue) >= limit:
                        self._wait_for_room()
                    queue.append(item)
                    self._queued += 1
            self._cond.notify_all()

    def _wait_for_room(self) -> None:
        if not self._warned_full:
            self._warned_full = True
            log.warning(
                "Shipyard's logging queue is full (%d calls): logging waits for the tracking "
                "server to catch up.",
                self.settings.queue_size,
            )
        self._cond.notify_all()
        self._cond.wait(1.0)

    def _send_now(self, items: list[Item]) -> None:
        if self.pending:
            self.flush()
        queue = deque(items)
        failures: list[_Failure] = []
        while queue:
            self._deliver(_take(queue), failures)
        _raise(failures)

    # -- sending ----------------------------------------------------------------------------

    def _start_sender(self) -> None:
        if self._sender is None or not self._sender.is_alive():
            self._stopping = False
            self._sender = threading.Thread(
                target=self._run_sender, name="shipyard-logging", daemon=True
            )
            self._sender.start()

    def _run_sender(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._stopping:
                    self._cond.wait()
                if not self._queue:
                    return
                batch = _take(self._queue)
                self._cond.notify_all()
            failures: list[_Failure] = []
            try:
                self._deliver(batch, failures)
            except BaseException as exc:  # a bug must not leave flush() waiting forever
                error = ShipyardError(f"unexpected {type(exc).__name__}: {exc}")
                failures.append(_Failure(batch.run_id, batch.describe(), error))
            with self._cond:
                self._failures.extend(failures)
                self._done += len(batch.items)
                self._cond.notify_all()

    def _deliver(self, batch: _Batch, failures: list[_Failure]) -> None:
        """Send a request; split it down to the calls at fault if the server refuses it."""
        try:
            self._send_with_retries(batch)
        except TransientError as exc:
            if exc.attempts is not None and len(batch.items) > 1:
                for half in batch.halves():
                    self._deliver(half, failures)
                return
            log.error(
                "Shipyard could not log %s to run %s: %s", batch.describe(), batch.run_id, exc
            )
            failures.append(_Failure(batch.run_id, batch.describe(), exc))
        except ShipyardError as exc:
            # Only a refused value is worth splitting for: the other calls in the request are
            # fine. A missing run, a permission or an unknown error applies to all of them.
            if isinstance(exc, InvalidParameter) and len(batch.items) > 1:
                for half in batch.halves():
                    self._deliver(half, failures)
                return
            log.error(
                "Shipyard could not log %s to run %s: %s", batch.describe(), batch.run_id, exc
            )
            failures.append(_Failure(batch.run_id, batch.describe(), exc))

    def _send_with_retries(self, batch: _Batch) -> None:
        deadline = time.monotonic() + self.settings.retry_timeout
        attempt = 0
        while True:
            try:
                self.sink.log_batch(
                    batch.run_id, metrics=batch.metrics, params=batch.params, tags=batch.tags
                )
                if attempt:
                    log.warning("Shipyard's tracking backend answers again: logging resumed.")
                return
            except TransientError as exc:
                attempt += 1
                if exc.attempts is not None and attempt >= exc.attempts:
                    raise
                ceiling = min(self.settings.max_retry_delay, 0.05 * 2 ** (attempt - 1))
                delay = random.uniform(ceiling / 2, ceiling)
                if time.monotonic() + delay > deadline:
                    raise
                if attempt == 1:
                    log.warning("%s; logging will try again (calls are kept meanwhile).", exc)
                time.sleep(delay)

    # -- waiting ----------------------------------------------------------------------------

    def flush(self, timeout: float | None = None) -> None:
        """Wait until every call queued so far is answered; raise the calls the server refused.

        With a ``timeout`` (seconds), give up waiting with a ``TransientError`` (the calls stay
        queued and keep being sent).
        """
        with self._cond:
            target = self._queued
            if self._queue:
                self._start_sender()
            deadline = None if timeout is None else time.monotonic() + timeout
            while self._done < target:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    raise TransientError(
                        f"{target - self._done} logging calls are still on their way to the "
                        f"tracking backend after {timeout:g}s."
                    )
                self._cond.wait(remaining)
            failures, self._failures = self._failures, []
        _raise(failures)

    def close(self, timeout: float | None = None) -> None:
        """Flush, then stop the sending thread."""
        try:
            self.flush(timeout)
        finally:
            with self._cond:
                self._stopping = True
                self._cond.notify_all()
                sender = self._sender
            if sender is not None and sender is not threading.current_thread():
                sender.join(timeout)
            _LIVE.discard(self)


_LIVE: weakref.WeakSet[BatchLogger] = weakref.WeakSet()


def flush_all_at_exit() -> None:
    """Send what every live logger still holds (each waits at most its retry timeout)."""
    for logger in list(_LIVE):
        try:
            logger.flush(logger.settings.retry_timeout)
        except ShipyardError as exc:
            log.error("%s", exc.message)


def _after_fork_in_child() -> None:
    # The sending thread did not survive the fork, and the parent sends what it queued.
    for logger in list(_LIVE):
        logger._reset()


atexit.register(flush_all_at_exit)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
