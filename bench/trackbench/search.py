"""Search over many runs of one experiment: seeding, four MLflow queries and one ``OR`` query.

Both servers get identical, deterministic runs (``seed_run``), so the benchmark knows exactly
which run names each query must return, in which order, and warns when a server differs.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable
from dataclasses import dataclass

from trackbench.console import log
from trackbench.context import BenchContext, Contender, Trial
from trackbench.measure import run_parallel, split_round_robin, summarize, timed_ms
from trackbench.report import CANDIDATE, Goal, Row
from trackbench.rest import (
    API,
    Json,
    Point,
    ProtocolError,
    RestClient,
    create_experiment,
    create_run,
    log_batch,
)
from trackbench.rest import field as response_field

SEED_START_TIME = 1_700_000_000_000
CATEGORIES = "abcd"
GROUPS = 50
SEARCH_GOAL = Goal("speedup", 10.0)  # issue 2: search pages at least 10x faster


@dataclass(frozen=True)
class SeedRun:
    """One seeded run: 5 params (``p_cat`` categorical), 5 metrics, 3 tags, its own start time."""

    index: int
    name: str
    start_time: int
    params: dict[str, str]
    metrics: dict[str, float]
    tags: dict[str, str]


def seed_run(index: int) -> SeedRun:
    """The ``index``-th run, the same on every call and for both servers."""
    rng = random.Random(index)
    return SeedRun(
        index=index,
        name=f"seed-{index:05d}",
        start_time=SEED_START_TIME + index * 1000,
        params={
            "p_cat": rng.choice(CATEGORIES),
            "p_lr": rng.choice(["0.1", "0.01", "0.001"]),
            "p_layers": str(rng.randint(1, 8)),
            "p_optimizer": rng.choice(["adam", "sgd", "rmsprop"]),
            "p_seed": str(index),
        },
        metrics={f"m{i}": rng.random() for i in range(5)},
        tags={
            "t_group": f"group-{index % GROUPS:02d}",
            "t_owner": rng.choice(["alice", "bob", "carol"]),
            "t_note": f"note {index}",
        },
    )


def _store_run(client: RestClient, run: SeedRun, *, experiment_id: str) -> None:
    """One ``runs/create`` and one ``runs/log-batch``, as a logging script would do."""
    run_id = create_run(client, experiment_id, run_name=run.name, start_time=run.start_time)
    points = [Point(key, value, run.start_time + 1000, 0) for key, value in run.metrics.items()]
    log_batch(client, run_id, metrics=points, params=run.params, tags=run.tags)


@dataclass(frozen=True)
class Query:
    """One ``runs/search`` workload and the Python twin of its filter and order."""

    workload: str
    filter: str
    order_by: tuple[str, ...]
    max_results: int
    matches: Callable[[SeedRun], bool]
    sort_key: Callable[[SeedRun], tuple[float, ...]]
    all_pages: bool = False
    candidate_only: bool = False

    def payload(self, experiment_id: str, page_token: str | None) -> Json:
        """The ``runs/search`` body the mlflow client would send."""
        payload: Json = {
            "experiment_ids": [experiment_id],
            "run_view_type": "ACTIVE_ONLY",
            "max_results": self.max_results,
        }
        if self.filter:
            payload["filter"] = self.filter
        if self.order_by:
            payload["order_by"] = list(self.order_by)
        if page_token:
            payload["page_token"] = page_token
        return payload

    def expected(self, runs: list[SeedRun]) -> list[str]:
        """Run names a correct server returns, in order (one page, or all pages)."""
        ordered = sorted((run for run in runs if self.matches(run)), key=self.sort_key)
        names = [run.name for run in ordered]
        return names if self.all_pages else names[: self.max_results]

    def unit(self) -> str:
        return "ms, all pages" if self.all_pages else "ms"


def _newest_first(run: SeedRun) -> tuple[float, ...]:
    return (-run.start_time,)


def _by_m2_desc(run: SeedRun) -> tuple[float, ...]:
    return (-run.metrics["m2"], -run.start_time)


def queries(page_size: int) -> tuple[Query, ...]:
    """The search workloads; ``page_size`` is ``max_results`` when paging through all runs."""
    return (
        Query(
            "search-filter",
            "metrics.m1 > 0.5 and params.p_cat = 'b'",
            (),
            1000,
            lambda run: run.metrics["m1"] > 0.5 and run.params["p_cat"] == "b",
            _newest_first,
        ),
        Query("search-order", "", ("metrics.m2 DESC",), 100, lambda run: True, _by_m2_desc),
        Query(
            "search-page-all", "", (), page_size, lambda run: True, _newest_first, all_pages=True
        ),
        Query(
            "search-like",
            "tags.t_group LIKE 'group-1%'",
            (),
            1000,
            lambda run: run.tags["t_group"].startswith("group-1"),
            _newest_first,
        ),
        Query(
            "search-or",
            "params.p_cat = 'a' OR metrics.m1 > 0.9",
            (),
            1000,
            lambda run: run.params["p_cat"] == "a" or run.metrics["m1"] > 0.9,
            _newest_first,
            candidate_only=True,
        ),
    )


def run_query(client: RestClient, experiment_id: str, query: Query, max_pages: int) -> list[str]:
    """The run names a query returns, following ``next_page_token`` when ``all_pages``."""
    names: list[str] = []
    token: str | None = None
    for _ in range(max_pages):
        page = client.post(f"{API}/runs/search", query.payload(experiment_id, token))
        names += [str(response_field(run, "info", "run_name")) for run in page.get("runs", [])]
        token = page.get("next_page_token") or None
        if not query.all_pages or token is None:
            return names
    raise ProtocolError(f"{query.workload}: still a next_page_token after {max_pages} pages")


@dataclass
class _Seeded:
    """A contender's search experiment and the clients that seeded it."""

    experiment_id: str
    clients: list[RestClient]

    def close(self) -> None:
        for client in self.clients:
            client.close()


def _seed_all(ctx: BenchContext, runs: list[SeedRun]) -> tuple[dict[str, _Seeded], Row]:
    """Seed both servers chunk by chunk, alternating, with ``Sizes.clients`` clients each."""
    trial = Trial(ctx, "seed")

    def prepare(contender: Contender) -> _Seeded:
        clients = [contender.client() for _ in range(ctx.sizes.clients)]
        return _Seeded(create_experiment(clients[0], "bench-search"), clients)

    seeded = trial.each(prepare)
    chunk_size = -(-len(runs) // ctx.sizes.seed_chunks)
    chunks = [runs[i : i + chunk_size] for i in range(0, len(runs), chunk_size)]

    def measure(contender: Contender, chunk: int) -> float:
        target = seeded[contender.name]
        store = functools.partial(_store_run, experiment_id=target.experiment_id)
        jobs = split_round_robin(chunks[chunk], len(target.clients))
        return run_parallel(target.clients, jobs, store)

    seconds = trial.interleave(
        len(chunks), measure, lambda s: f"{chunk_size / s:,.0f} runs/s", "seed chunk"
    )
    totals = {
        name: sum(values) if len(values) == len(chunks) else None
        for name, values in seconds.items()
    }
    rates = [f"{name} {len(runs) / t:,.0f} runs/s" for name, t in totals.items() if t]
    note = "; ".join(filter(None, [", ".join(rates), trial.note()]))
    row = Row(f"seed {len(runs):,} runs", "s", "lower", totals, note)
    for name in [name for name in seeded if not totals.get(name)]:
        seeded.pop(name).close()
    return seeded, row


def _check(ctx: BenchContext, query: Query, expected: list[str], got: dict[str, list[str]]) -> None:
    """Warn when a server's answer differs from the expected names, or from the other server's."""
    for name, names in got.items():
        if len(names) != len(expected):
            ctx.warn(
                f"{query.workload}: {name} returned {len(names)} runs, expected {len(expected)}"
            )
        elif names != expected:
            first = next(i for i, (a, b) in enumerate(zip(names, expected, strict=True)) if a != b)
            ctx.warn(
                f"{query.workload}: {name} returned {len(names)} runs as expected but a different "
                f"set or order (position {first}: {names[first]} instead of {expected[first]})"
            )
    counts = {name: len(names) for name, names in got.items()}
    if len(set(counts.values())) > 1:
        ctx.warn(f"{query.workload}: the servers return different numbers of runs: {counts}")


def _time_query(
    ctx: BenchContext, query: Query, seeded: dict[str, _Seeded], runs: list[SeedRun]
) -> Row:
    contenders = [
        c
        for c in ctx.contenders
        if c.name in seeded and (not query.candidate_only or c.name == CANDIDATE)
    ]
    trial = Trial(ctx, query.workload, contenders)
    max_pages = len(runs) // query.max_results + 5

    def fetch(contender: Contender) -> list[str]:
        target = seeded[contender.name]
        return run_query(target.clients[0], target.experiment_id, query, max_pages)

    expected = query.expected(runs)
    _check(ctx, query, expected, trial.each(fetch))  # also the untimed warm-up
    samples = trial.interleave(
        ctx.sizes.search_reps,
        lambda contender, _rep: timed_ms(functools.partial(fetch, contender)),
        lambda ms: f"{ms:,.1f} ms",
    )
    page_count = -(-len(expected) // query.max_results)
    pages = f", {page_count} page{'s' if page_count != 1 else ''}" if query.all_pages else ""
    notes = [f"{len(expected):,} runs{pages}", trial.note()]
    if query.candidate_only:
        notes.append("MLflow rejects OR")
    goal = None if query.candidate_only else SEARCH_GOAL
    note = "; ".join(filter(None, notes))
    return Row(query.workload, query.unit(), "lower", summarize(samples), note, goal)


def search(ctx: BenchContext) -> list[Row]:
    """Seed ``Sizes.search_runs`` runs into each server, then time every query."""
    runs = [seed_run(i) for i in range(ctx.sizes.search_runs)]
    log(f"  seeding {len(runs):,} runs into each server ({ctx.sizes.clients} clients)")
    seeded, seed_row = _seed_all(ctx, runs)
    try:
        rows = [seed_row]
        for query in queries(ctx.sizes.search_page_size):
            log(f"  {query.workload}: {query.filter or query.order_by or 'no filter'}")
            rows.append(_time_query(ctx, query, seeded, runs))
    finally:
        for target in seeded.values():
            target.close()
    return rows
