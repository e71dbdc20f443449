"""Single-call latency: ``GET /health`` (kept-alive and new connections), log-metric, get-run.

Each repetition first makes one untimed call, so the kept-alive connection is open and warm
(servers close idle keep-alive connections after a few seconds, and the other server's turn
can take longer than that), then times ``Sizes.latency_calls`` sequential calls.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass

from trackbench.context import BenchContext, Contender, Trial
from trackbench.measure import flatten, percentile, summarize, timed_ms
from trackbench.report import Goal, Row
from trackbench.rest import API, Point, RestClient, create_experiment, create_run, log_batch
from trackbench.rest import field as response_field

SINGLE_CALL_GOAL = Goal("below", 5.0)  # issue 2: single calls under 5 ms p50
GET_RUN_SHAPE = {"params": 30, "metrics": 30, "tags": 10}
STALL_MS = 35.0

Call = Callable[[], object]


def _time_calls(ctx: BenchContext, trial: Trial, calls: dict[str, Call]) -> dict[str, list[float]]:
    """Interleaved repetitions of warm-up + timed calls; all latencies (ms) per contender."""

    def measure(contender: Contender, _rep: int) -> list[float]:
        call = calls[contender.name]
        call()
        return [timed_ms(call) for _ in range(ctx.sizes.latency_calls)]

    def describe(latencies: list[float]) -> str:
        return f"p50 {percentile(latencies, 50):.2f} ms"

    samples = flatten(trial.interleave(ctx.sizes.reps, measure, describe))
    ctx.details[trial.workload] = {name: _spread(values) for name, values in samples.items()}
    return samples


def _latency_rows(trial: Trial, samples: dict[str, list[float]], *, with_p95: bool) -> list[Row]:
    p50 = summarize(samples, lambda values: percentile(values, 50))
    rows = [Row(trial.workload, "p50 ms", "lower", p50, trial.note(), SINGLE_CALL_GOAL)]
    if with_p95:
        p95 = summarize(samples, lambda values: percentile(values, 95))
        rows.append(Row(trial.workload, "p95 ms", "lower", p95))
    return rows


def _spread(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    return {
        "p50_ms": percentile(values, 50),
        "p95_ms": percentile(values, 95),
        "max_ms": max(values),
        # Linux delays an ACK by at least 40 ms; calls that slow hint at a Nagle/delayed-ACK stall.
        "share_over_35ms": sum(v >= STALL_MS for v in values) / len(values),
    }


def _close_all(clients: list[RestClient]) -> None:
    for client in clients:
        client.close()


def _health(ctx: BenchContext, workload: str, *, keepalive: bool) -> list[Row]:
    trial = Trial(ctx, workload)
    clients = trial.each(lambda contender: contender.client(keepalive=keepalive))
    calls: dict[str, Call] = {
        name: functools.partial(client.get_text, "/health") for name, client in clients.items()
    }
    try:
        samples = _time_calls(ctx, trial, calls)
    finally:
        _close_all(list(clients.values()))
    return _latency_rows(trial, samples, with_p95=False)


def health_keepalive(ctx: BenchContext) -> list[Row]:
    """``GET /health`` on one kept-alive connection (a Nagle/delayed-ACK stall shows here)."""
    return _health(ctx, "health-keepalive", keepalive=True)


def health_new_conn(ctx: BenchContext) -> list[Row]:
    """``GET /health`` on a new TCP connection per request."""
    return _health(ctx, "health-new-conn", keepalive=False)


@dataclass
class _MetricRun:
    """A run that receives one ``runs/log-metric`` call per :meth:`log_next`."""

    client: RestClient
    run_id: str
    step: int = 0

    def log_next(self) -> None:
        self.step += 1
        payload = {
            "run_id": self.run_id,
            "run_uuid": self.run_id,
            "key": "latency",
            "value": self.step * 0.5,
            "timestamp": _now_ms(),
            "step": self.step,
        }
        self.client.post(f"{API}/runs/log-metric", payload)


def _create_metric_run(contender: Contender) -> _MetricRun:
    client = contender.client()
    experiment_id = create_experiment(client, "bench-log-metric")
    run_id = create_run(client, experiment_id, run_name="log-metric", start_time=_now_ms())
    return _MetricRun(client, run_id)


def log_metric(ctx: BenchContext) -> list[Row]:
    """Sequential ``runs/log-metric`` calls on one kept-alive connection."""
    trial = Trial(ctx, "log-metric")
    runs = trial.each(_create_metric_run)
    try:
        samples = _time_calls(ctx, trial, {name: run.log_next for name, run in runs.items()})
    finally:
        _close_all([run.client for run in runs.values()])
    return _latency_rows(trial, samples, with_p95=True)


@dataclass
class _WideRun:
    """A run with 30 params, 30 metrics and 10 tags, read back by :meth:`get`."""

    client: RestClient
    run_id: str

    def get(self) -> dict[str, object]:
        params = {"run_uuid": self.run_id, "run_id": self.run_id}
        return self.client.get(f"{API}/runs/get", params)

    def shape(self) -> dict[str, int]:
        data = response_field(self.get(), "run", "data")
        tags = [t for t in data.get("tags", []) if not str(t.get("key")).startswith("mlflow.")]
        return {
            "params": len(data.get("params", [])),
            "metrics": len(data.get("metrics", [])),
            "tags": len(tags),
        }


def _create_wide_run(contender: Contender) -> _WideRun:
    client = contender.client()
    experiment_id = create_experiment(client, "bench-get-run")
    run_id = create_run(client, experiment_id, run_name="get-run", start_time=_now_ms())
    now = _now_ms()
    log_batch(
        client,
        run_id,
        metrics=[Point(f"metric_{i:02d}", i / 7, now, 0) for i in range(GET_RUN_SHAPE["metrics"])],
        params={f"param_{i:02d}": f"value-{i}" for i in range(GET_RUN_SHAPE["params"])},
        tags={f"tag_{i:02d}": f"tag value {i}" for i in range(GET_RUN_SHAPE["tags"])},
    )
    return _WideRun(client, run_id)


def get_run(ctx: BenchContext) -> list[Row]:
    """``runs/get`` of a run with 30 params, 30 metrics and 10 tags."""
    trial = Trial(ctx, "get-run")
    runs = trial.each(_create_wide_run)
    try:
        for contender in trial.active():
            shape = trial.attempt(contender, runs[contender.name].shape)
            if shape is not None and shape != GET_RUN_SHAPE:
                ctx.warn(f"get-run: {contender.name} returned {shape}, expected {GET_RUN_SHAPE}")
        samples = _time_calls(ctx, trial, {name: run.get for name, run in runs.items()})
    finally:
        _close_all([run.client for run in runs.values()])
    return _latency_rows(trial, samples, with_p95=True)


def _now_ms() -> int:
    return int(time.time() * 1000)
