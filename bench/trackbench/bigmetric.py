"""One metric with ``Sizes.big_points`` points on one run: ingest, paged history, chart read.

Ingest alternates between the servers chunk by chunk (each chunk is encoded once, before the
clock starts, and sent by ``Sizes.clients`` clients). History is read as the client reads it:
``metrics/get-history`` with ``max_results`` 25000 and ``page_token`` until no token comes back.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass

from trackbench.console import log
from trackbench.context import BenchContext, Contender, Trial
from trackbench.measure import median, run_parallel, split_round_robin, summarize, timed_ms
from trackbench.report import Row
from trackbench.rest import (
    AJAX_API,
    API,
    ApiError,
    Point,
    ProtocolError,
    RestClient,
    create_experiment,
    create_run,
    encode_points,
    log_batch_body,
    post_log_batch,
)

BIG_KEY = "big"
BATCH_POINTS = 1000
HISTORY_PAGE = 25_000
INTERVAL_POINTS = 1000
INTERVAL_ROUTE = "/metrics/get-history-bulk-interval"


def big_point(step: int, started_ms: int) -> Point:
    """The big metric's point at ``step``: a slow sine wave, one millisecond per step."""
    return Point(BIG_KEY, math.sin(step / 1000), started_ms + step, step)


class _ChunkEncoder:
    """Encodes one chunk's batches once, for both servers (their bodies differ by run id only)."""

    def __init__(self, total_points: int, chunks: int) -> None:
        self.chunk_points = -(-total_points // chunks)
        self.total_points = total_points
        self.started_ms = int(time.time() * 1000)
        self._cached: tuple[int, list[bytes]] | None = None

    def chunks(self) -> int:
        return -(-self.total_points // self.chunk_points)

    def batches(self, chunk: int) -> list[bytes]:
        if self._cached is None or self._cached[0] != chunk:
            first = chunk * self.chunk_points
            last = min(first + self.chunk_points, self.total_points)
            encoded = [
                encode_points(
                    big_point(step, self.started_ms)
                    for step in range(start, min(start + BATCH_POINTS, last))
                )
                for start in range(first, last, BATCH_POINTS)
            ]
            self._cached = (chunk, encoded)
        return self._cached[1]

    def points_in(self, chunk: int) -> int:
        first = chunk * self.chunk_points
        return min(self.chunk_points, self.total_points - first)


@dataclass
class _BigRun:
    clients: list[RestClient]
    run_id: str
    interval_path: str = ""

    def close(self) -> None:
        for client in self.clients:
            client.close()


def _create_big_run(contender: Contender, clients: int) -> _BigRun:
    pool = [contender.client() for _ in range(clients)]
    experiment_id = create_experiment(pool[0], "bench-big-metric")
    run_id = create_run(pool[0], experiment_id, run_name="big", start_time=int(time.time() * 1000))
    return _BigRun(pool, run_id)


def _ingest(ctx: BenchContext, trial: Trial, runs: dict[str, _BigRun]) -> Row:
    encoder = _ChunkEncoder(ctx.sizes.big_points, ctx.sizes.big_chunks)

    def measure(contender: Contender, chunk: int) -> float:
        run = runs[contender.name]
        bodies = [log_batch_body(run.run_id, metrics) for metrics in encoder.batches(chunk)]
        jobs = split_round_robin(bodies, len(run.clients))
        return run_parallel(run.clients, jobs, post_log_batch)

    chunk_rate = encoder.chunk_points
    seconds = trial.interleave(
        encoder.chunks(), measure, lambda s: f"{chunk_rate / s:,.0f} points/s", "big-ingest chunk"
    )
    rates = {
        name: ctx.sizes.big_points / sum(values) if len(values) == encoder.chunks() else None
        for name, values in seconds.items()
    }
    note = f"{ctx.sizes.clients} clients, {ctx.sizes.big_points:,} points"
    return Row(
        "big-ingest", "points/s", "higher", rates, "; ".join(filter(None, [note, trial.note()]))
    )


@dataclass(frozen=True)
class HistoryRead:
    """What one full paged read of the metric's history did; ``page_ms`` times each page."""

    seconds: float
    points: int
    largest_page: int
    page_ms: tuple[float, ...]

    def describe(self) -> str:
        paging = "pages honoured" if self.largest_page <= HISTORY_PAGE else "max_results ignored"
        # First against last page shows whether a page costs more the further in it starts.
        return (
            f"{len(self.page_ms)} pages ({paging}), {self.points:,} points, "
            f"first page {self.page_ms[0]:,.0f} ms, last {self.page_ms[-1]:,.0f} ms"
        )


def read_history(client: RestClient, run_id: str, max_pages: int) -> HistoryRead:
    """Every point of the big metric through ``metrics/get-history`` paging."""
    started = time.perf_counter()
    points = largest = 0
    page_ms: list[float] = []
    token: str | None = None
    for _ in range(max_pages):
        params: dict[str, str | int] = {
            "run_uuid": run_id,
            "run_id": run_id,
            "metric_key": BIG_KEY,
            "max_results": HISTORY_PAGE,
        }
        if token:
            params["page_token"] = token
        page_started = time.perf_counter()
        page = client.get(f"{API}/metrics/get-history", params)
        page_ms.append((time.perf_counter() - page_started) * 1000)
        size = len(page.get("metrics", []))
        points, largest = points + size, max(largest, size)
        token = page.get("next_page_token") or None
        if token is None:
            return HistoryRead(time.perf_counter() - started, points, largest, tuple(page_ms))
    raise ProtocolError(f"get-history: still a next_page_token after {max_pages} pages")


def _history(ctx: BenchContext, trial: Trial, runs: dict[str, _BigRun]) -> Row:
    max_pages = ctx.sizes.big_points // HISTORY_PAGE + 5

    def measure(contender: Contender, _rep: int) -> HistoryRead:
        return read_history(runs[contender.name].clients[0], runs[contender.name].run_id, max_pages)

    reads = trial.interleave(
        ctx.sizes.history_reps, measure, lambda r: f"{r.seconds:.2f} s", "big-history"
    )
    notes = []
    for name, samples in reads.items():
        if samples:
            notes.append(f"{name}: {samples[0].describe()}")
            if samples[0].points != ctx.sizes.big_points:
                ctx.warn(
                    f"big-history: {name} returned {samples[0].points:,} points, "
                    f"expected {ctx.sizes.big_points:,}"
                )
    ctx.details["big-history"] = {name: [asdict(r) for r in rs] for name, rs in reads.items()}
    seconds = {name: median(r.seconds for r in rs) if rs else None for name, rs in reads.items()}
    return Row(
        "big-history",
        "s, all pages",
        "lower",
        seconds,
        "; ".join(filter(None, [*notes, trial.note()])),
    )


def _interval_points(run: _BigRun) -> int:
    params: dict[str, str | int] = {
        "run_ids": run.run_id,
        "metric_key": BIG_KEY,
        "max_results": INTERVAL_POINTS,
    }
    return len(run.clients[0].get(run.interval_path, params).get("metrics", []))


def _find_interval_path(run: _BigRun) -> int:
    """Try the ``/api`` route, fall back to MLflow's ``/ajax-api`` one; the points returned."""
    for prefix in (API, AJAX_API):
        run.interval_path = prefix + INTERVAL_ROUTE
        try:
            return _interval_points(run)
        except ApiError as exc:
            if exc.status not in (404, 405) or prefix == AJAX_API:
                raise
    raise AssertionError("unreachable")


def _interval(ctx: BenchContext, trial: Trial, runs: dict[str, _BigRun]) -> Row:
    counts = trial.each(lambda contender: _find_interval_path(runs[contender.name]))
    samples = trial.interleave(
        ctx.sizes.interval_reps,
        lambda contender, _rep: timed_ms(lambda: _interval_points(runs[contender.name])),
        lambda ms: f"{ms:,.1f} ms",
        "big-interval",
    )
    notes = [
        f"{name}: {count:,} points via {runs[name].interval_path.split('/')[1]}"
        for name, count in counts.items()
    ]
    note = "; ".join(filter(None, [*notes, trial.note()]))
    return Row("big-interval", "ms", "lower", summarize(samples), note)


def big_metric(ctx: BenchContext) -> list[Row]:
    """Ingest the big metric into one run per server, then read it back two ways."""
    trial = Trial(ctx, "big-metric")
    runs = trial.each(lambda contender: _create_big_run(contender, ctx.sizes.clients))
    try:
        log(f"  ingesting {ctx.sizes.big_points:,} points per server")
        rows = [_ingest(ctx, trial, runs)]
        log(f"  paging through the history, {HISTORY_PAGE:,} per page")
        rows.append(_history(ctx, trial, runs))
        log(f"  bulk-interval read of {INTERVAL_POINTS:,} points")
        rows.append(_interval(ctx, trial, runs))
    finally:
        for run in runs.values():
            run.close()
    return rows
