"""Log-batch ingest: 1 or 8 clients, each streaming 1000-point batches into its own run.

A batch holds 250 consecutive steps of four metric keys. Bodies are encoded before the clock
starts, so the timed part is the HTTP round trips only; steps keep increasing across
repetitions, as in a training loop.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from trackbench.context import BenchContext, Contender, Trial
from trackbench.measure import run_parallel, summarize
from trackbench.report import Goal, Row
from trackbench.rest import (
    Point,
    RestClient,
    create_experiment,
    create_run,
    encode_points,
    log_batch_body,
    post_log_batch,
)

BATCH_POINTS = 1000
KEYS = ("loss", "accuracy", "learning_rate", "grad_norm")
STEPS_PER_BATCH = BATCH_POINTS // len(KEYS)
INGEST_8_GOAL = Goal("speedup", 30.0)  # issue 2: ingest with 8 clients at least 30x MLflow


def batch_points(first_step: int, timestamp: int) -> list[Point]:
    """One 1000-point batch: ``STEPS_PER_BATCH`` steps from ``first_step`` for every key."""
    return [
        Point(key, (step % 997) / 997 + k, timestamp + step, step)
        for step in range(first_step, first_step + STEPS_PER_BATCH)
        for k, key in enumerate(KEYS)
    ]


@dataclass
class _Writers:
    """One client and one run per concurrent writer."""

    clients: list[RestClient]
    run_ids: list[str]

    def close(self) -> None:
        for client in self.clients:
            client.close()

    def retries(self) -> int:
        return sum(client.retries for client in self.clients)


def _create_writers(contender: Contender, workload: str, count: int) -> _Writers:
    clients = [contender.client() for _ in range(count)]
    experiment_id = create_experiment(clients[0], f"bench-{workload}")
    now = int(time.time() * 1000)
    run_ids = [
        create_run(clients[0], experiment_id, run_name=f"writer-{i}", start_time=now + i)
        for i in range(count)
    ]
    for client in clients:
        client.get_text("/health")  # open each connection before the clock starts
    return _Writers(clients, run_ids)


def _ingest(ctx: BenchContext, workload: str, writers: int, batches: int) -> list[Row]:
    trial = Trial(ctx, workload)
    setups = trial.each(lambda contender: _create_writers(contender, workload, writers))
    started_ms = int(time.time() * 1000)

    def measure(contender: Contender, rep: int) -> float:
        setup = setups[contender.name]
        first = rep * batches * STEPS_PER_BATCH
        encoded = [
            encode_points(batch_points(first + b * STEPS_PER_BATCH, started_ms))
            for b in range(batches)
        ]
        jobs = [
            [log_batch_body(run_id, metrics) for metrics in encoded] for run_id in setup.run_ids
        ]
        seconds = run_parallel(setup.clients, jobs, post_log_batch)
        return writers * batches * BATCH_POINTS / seconds

    try:
        samples = trial.interleave(ctx.sizes.reps, measure, lambda v: f"{v:,.0f} points/s")
        notes = [trial.note()]
        notes += [f"{name} retried {s.retries()}" for name, s in setups.items() if s.retries()]
    finally:
        for setup in setups.values():
            setup.close()
    goal = INGEST_8_GOAL if writers > 1 else None
    note = "; ".join(n for n in notes if n)
    return [Row(workload, "points/s", "higher", summarize(samples), note, goal)]


def ingest_1(ctx: BenchContext) -> list[Row]:
    """One client, sequential 1000-point log-batch calls."""
    return _ingest(ctx, "ingest-1", 1, ctx.sizes.ingest_batches_1)


def ingest_8(ctx: BenchContext) -> list[Row]:
    """``Sizes.clients`` clients at once, each into its own run."""
    return _ingest(
        ctx, f"ingest-{ctx.sizes.clients}", ctx.sizes.clients, ctx.sizes.ingest_batches_8
    )
