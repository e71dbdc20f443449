"""Tracking-server benchmark: ``shipyard server`` against ``mlflow server``, side by side.

Run it from the repository root with the project venv (both servers come from that venv)::

    .venv/bin/python bench/tracking.py                  # full run (see below for how long)
    .venv/bin/python bench/tracking.py --quick          # smoke test, about 2 minutes
    .venv/bin/python bench/tracking.py --only search big-metric
    .venv/bin/python bench/tracking.py --quick --shipyard-cmd mlflow   # MLflow on both sides

Both servers run on 127.0.0.1, on free ports, each in a fresh temp directory with a SQLite
database; the command lines are ``SHIPYARD_COMMAND`` and ``MLFLOW_COMMAND`` below (MLflow keeps
all its defaults, including 4 uvicorn workers). Every workload runs against both servers,
interleaved (shipyard, mlflow, shipyard, mlflow, ...), and the table shows the medians.
The same table is written as JSON (``--out``) and as Markdown next to it, ready for
``docs/benchmarks.md``.

What the numbers mean (``speedup`` is always how many times better Shipyard is; the "target"
column checks the goals of issue 2):

``health-keepalive`` / ``health-new-conn``
    p50 ms of ``GET /health`` on one kept-alive connection / on a new TCP connection each
    time. Kept-alive much slower than new connections means a Nagle/delayed-ACK stall; the
    JSON's ``details`` give, per latency workload, the share of calls that took 35 ms or more.
``log-metric``
    p50 and p95 ms of single ``runs/log-metric`` calls, sequential, one kept-alive connection.
``get-run``
    p50 and p95 ms of ``runs/get`` for a run with 30 params, 30 metrics and 10 tags.
``ingest-1`` / ``ingest-8``
    metric points per second written with ``runs/log-batch`` (1000 points per call, 4 keys,
    increasing steps) by 1 client / by 8 concurrent clients, each with its own connection
    and its own run. Bodies are encoded before the clock starts.
``seed N runs``
    seconds to create the search data set: per run one ``runs/create`` and one
    ``runs/log-batch`` (5 params, 5 metrics, 3 tags), 8 concurrent clients.
``search-filter`` / ``search-order`` / ``search-page-all`` / ``search-like`` / ``search-or``
    ms per ``runs/search`` over the seeded runs: a filtered page of 1000
    (``metrics.m1 > 0.5 and params.p_cat = 'b'``), the top 100 by ``metrics.m2 DESC``, all runs
    in pages of 1000 (250 with ``--quick``; total ms), a ``LIKE`` on a tag, and an ``OR``
    filter that only Shipyard accepts (no ratio). Every answer is checked against the expected
    run names, in order.
``big-ingest`` / ``big-history`` / ``big-interval``
    a 1,000,000-point metric on one run: points/s ingested in 1000-point log-batch calls by 8
    clients; seconds to read it all through ``metrics/get-history`` pages of 25000 (the note
    says whether the server honoured ``max_results``, and how long the first and the last
    page took: a growing page time means offset paging); ms for one chart-sized
    ``get-history-bulk-interval`` read of 1000 points (the note says which route answered).
``startup``
    seconds from spawning the command to the first 200 from ``GET /health`` (fresh temp
    directory and database each time), median of 3 starts.
``memory idle`` / ``memory peak``
    MB of resident memory summed over the server's whole process tree (parent and every
    child), sampled every 100 ms: idle is the mean once it has stopped growing after start,
    peak is the maximum over the whole run (the note names the workload it happened in).
    Summed RSS counts shared pages once per process, so an idle PSS row (shared pages split
    between the processes that map them) is added too.

The machine may be shared: the report records the load average, and repetitions are
interleaved so that background load hits both servers alike. On an otherwise idle 2-core
machine ``--quick`` takes about 2 minutes and the full run 15-20 (MLflow dominates: seeding
10,000 runs and reading a million points back); under heavy load (load average 10+) the full
run took 37 minutes. The servers (whole process
groups) are stopped on exit, on Ctrl-C and on SIGTERM; if one dies, the run stops with the
tail of its log.
"""

from __future__ import annotations

import argparse
import shlex
import signal
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from types import FrameType

import httpx

from trackbench import bigmetric, ingest, latency, search
from trackbench.console import elapsed, log
from trackbench.context import BenchContext, Contender, Sizes
from trackbench.measure import median
from trackbench.memory import RssSampler, tree_pss
from trackbench.report import Goal, Report, Row, console_table
from trackbench.rest import ApiError, RestClient
from trackbench.runinfo import load_average, machine_info, shown_command
from trackbench.servers import Server, ServerDied, ServerSpec

# The servers under test. Placeholders: {bin} is the directory of the Python running this
# script (the venv's bin), {port} a free port, {tmp} the fresh temp directory of that start.
SHIPYARD_COMMAND = (
    "{bin}/shipyard server --host 127.0.0.1 --port {port}"
    " --backend-store-uri sqlite:///{tmp}/shipyard.db --artifacts-destination {tmp}/artifacts"
)
SHIPYARD_WORKERS = "1 (Shipyard's default per `shipyard server --help`: --workers 1)"
MLFLOW_COMMAND = (
    "{bin}/mlflow server --host 127.0.0.1 --port {port}"
    " --backend-store-uri sqlite:///{tmp}/mlflow.db --artifacts-destination {tmp}/artifacts"
)
MLFLOW_WORKERS = "4 (MLflow's default per `mlflow server --help`: uvicorn, --workers 4)"

FULL = Sizes(
    reps=5,
    latency_calls=100,
    ingest_batches_1=20,
    ingest_batches_8=8,
    clients=8,
    search_runs=10_000,
    seed_chunks=10,
    search_reps=5,
    search_page_size=1000,
    big_points=1_000_000,
    big_chunks=10,
    history_reps=2,
    interval_reps=5,
    startup_samples=3,
)
QUICK = Sizes(
    reps=2,
    latency_calls=30,
    ingest_batches_1=4,
    ingest_batches_8=2,
    clients=8,
    search_runs=1_000,
    seed_chunks=2,
    search_reps=2,
    search_page_size=250,  # so that paging is exercised on 1,000 runs
    big_points=50_000,
    big_chunks=2,
    history_reps=1,
    interval_reps=2,
    startup_samples=1,
)

STARTUP_TIMEOUT_SECONDS = 180.0
MEMORY_GOAL = Goal("speedup", 5.0)  # issue 2: server memory under 1/5 of MLflow's tree

Workload = Callable[[BenchContext], list[Row]]
WORKLOADS: dict[str, Workload] = {
    "health-keepalive": latency.health_keepalive,
    "health-new-conn": latency.health_new_conn,
    "log-metric": latency.log_metric,
    "get-run": latency.get_run,
    "ingest-1": ingest.ingest_1,
    "ingest-8": ingest.ingest_8,
    "search": search.search,
    "big-metric": bigmetric.big_metric,
}
SELECTABLE = ("startup", *WORKLOADS)
DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "tracking.json"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line; see the module docstring."""
    parser = argparse.ArgumentParser(
        description="Benchmark shipyard server against mlflow server (both on SQLite).",
        epilog="Memory (RSS of each process tree) is always measured.",
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, about 2 minutes")
    parser.add_argument(
        "--only", nargs="+", choices=SELECTABLE, metavar="NAME", help=f"any of {SELECTABLE}"
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON report path")
    parser.add_argument(
        "--shipyard-cmd",
        default=SHIPYARD_COMMAND,
        help="command template for the Shipyard side ({bin}, {port}, {tmp}); "
        "'mlflow' runs MLflow on both sides, to test the harness",
    )
    parser.add_argument("--keep-tmp", action="store_true", help="keep the servers' temp dirs")
    return parser.parse_args(argv)


def shipyard_spec(command: str) -> ServerSpec:
    """The Shipyard side, or MLflow standing in for it when ``command`` is ``mlflow``."""
    if command == "mlflow":
        return ServerSpec("shipyard", MLFLOW_COMMAND, MLFLOW_WORKERS)
    return ServerSpec("shipyard", command, SHIPYARD_WORKERS)


def server_version(server: Server) -> str:
    """What ``GET /version`` answers, or ``unknown``."""
    client = RestClient(server.base_url)
    try:
        return client.get_text("/version").strip().strip('"')[:40] or "unknown"
    except (ApiError, httpx.HTTPError):
        return "unknown"
    finally:
        client.close()


@dataclass(frozen=True)
class IdleMemory:
    """A server's footprint once it has settled after start."""

    rss_mb: float
    pss_mb: float | None
    processes: int
    settled: bool


class BenchRun:
    """One benchmark run: starts the servers, runs the workloads, builds the report."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.sizes = QUICK if args.quick else FULL
        self.specs = [
            shipyard_spec(args.shipyard_cmd),
            ServerSpec("mlflow", MLFLOW_COMMAND, MLFLOW_WORKERS),
        ]
        self.selected = set(args.only or SELECTABLE)
        self.machine = machine_info()
        self.command = shown_command()
        self.servers: list[Server] = []
        self.samplers: dict[str, RssSampler] = {}
        self.startups: dict[str, list[float]] = {spec.name: [] for spec in self.specs}
        self.idle: dict[str, IdleMemory] = {}
        self.ctx = BenchContext([], self.sizes)
        self.rows: list[Row] = []
        self.phases: list[tuple[str, float]] = []  # (workload, monotonic start), in order
        self.aborted = ""
        self.keep_workdirs = args.keep_tmp  # also set on failure, so the logs stay readable

    def execute(self) -> None:
        """Everything up to the report; servers are left for :meth:`shutdown`."""
        if "startup" in self.selected and self.sizes.startup_samples > 1:
            self._time_fresh_starts(self.sizes.startup_samples - 1)
        for spec in self.specs:
            self._launch(spec)
        self._record_idle_memory()
        for name, workload in WORKLOADS.items():
            if name in self.selected:
                self._run_workload(name, workload)

    def _run_workload(self, name: str, workload: Workload) -> None:
        """Run one workload; note how much CPU this client process itself used meanwhile."""
        log(name)
        self.phases.append((name, time.monotonic()))
        wall, cpu = time.perf_counter(), time.process_time()
        self.rows += workload(self.ctx)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        self.ctx.details.setdefault("client_cpu_share", {})[name] = round(cpu / wall, 3)
        log(f"{name} done in {wall:.1f} s; this client used {cpu / wall:.0%} of one core")

    def _time_fresh_starts(self, count: int) -> None:
        for attempt in range(count):
            for spec in self.specs:
                server = Server(spec, startup_timeout=STARTUP_TIMEOUT_SECONDS)
                try:
                    seconds = server.start()
                finally:
                    server.stop()
                    server.remove_workdir()
                self.startups[spec.name].append(seconds)
                log(f"startup {attempt + 1}/{count + 1}: {spec.name} healthy after {seconds:.2f} s")

    def _launch(self, spec: ServerSpec) -> None:
        server = Server(spec, startup_timeout=STARTUP_TIMEOUT_SECONDS)
        self.servers.append(server)
        log(f"starting {spec.name}: {shlex.join(server.argv)}")
        server.spawn()
        self.samplers[spec.name] = RssSampler(server.pid).start()
        seconds = server.wait_healthy()
        self.startups[spec.name].append(seconds)
        contender = Contender(spec.name, server, server_version(server))
        self.ctx.contenders.append(contender)
        log(f"{spec.name} {contender.version} healthy after {seconds:.2f} s on {server.base_url}")

    def _record_idle_memory(self) -> None:
        for name, sampler in self.samplers.items():
            rss_mb, settled = sampler.wait_settled()
            latest = sampler.latest()
            idle = IdleMemory(
                rss_mb, tree_pss(sampler.pid), latest.processes if latest else 0, settled
            )
            self.idle[name] = idle
            pss = f", PSS {idle.pss_mb:,.0f} MB" if idle.pss_mb else ""
            state = "settled" if settled else "still changing"
            log(f"{name} idle: RSS {rss_mb:,.0f} MB{pss} in {idle.processes} processes ({state})")

    def shutdown(self) -> None:
        """Stop the samplers and the servers; remove their temp dirs unless asked to keep them."""
        for sampler in self.samplers.values():
            sampler.stop()
        for server in self.servers:
            server.stop()
            if self.keep_workdirs:
                log(f"kept {server.workdir}")
            else:
                server.remove_workdir()

    def closing_rows(self) -> list[Row]:
        """Start-up time and memory, known only once the workloads are done."""
        rows = []
        if "startup" in self.selected and all(self.startups.values()):
            starts = {name: median(values) for name, values in self.startups.items()}
            count = min(len(values) for values in self.startups.values())
            rows.append(
                Row(
                    "startup",
                    "s",
                    "lower",
                    dict(starts),
                    f"median of {count} start{'s' if count != 1 else ''}",
                )
            )
        if self.idle:
            rows += self._idle_rows()
        if self.samplers:
            rows.append(self._peak_row())
        return rows

    def _idle_rows(self) -> list[Row]:
        rss = {name: idle.rss_mb for name, idle in self.idle.items()}
        pss = {name: idle.pss_mb for name, idle in self.idle.items()}
        procs = ", ".join(f"{name} {idle.processes} processes" for name, idle in self.idle.items())
        unsettled = [name for name, idle in self.idle.items() if not idle.settled]
        note = procs + (f"; still growing after 30 s: {', '.join(unsettled)}" if unsettled else "")
        rows = [Row("memory idle", "RSS MB", "lower", dict(rss), note, MEMORY_GOAL)]
        if any(pss.values()):
            rows.append(Row("memory idle", "PSS MB", "lower", dict(pss), "shared pages split"))
        return rows

    def _peak_row(self) -> Row:
        peaks = {name: sampler.peak() for name, sampler in self.samplers.items()}
        values = {name: peak.rss_mb if peak else None for name, peak in peaks.items()}
        during = [
            f"{name} during {self._phase_at(peak.at)}" for name, peak in peaks.items() if peak
        ]
        note = "whole run; " + ", ".join(during)
        return Row("memory peak", "RSS MB", "lower", values, note, MEMORY_GOAL)

    def _phase_at(self, moment: float) -> str:
        """The workload that was running at ``moment`` (monotonic seconds)."""
        running = [name for name, started in self.phases if started <= moment]
        return running[-1] if running else "start-up"

    def report(self) -> Report:
        """The report of everything measured so far."""
        servers = {
            server.spec.name: {
                "command": server.spec.display(),
                "version": self._version_of(server.spec.name),
                "workers": server.spec.workers,
                "processes": idle.processes if (idle := self.idle.get(server.spec.name)) else 0,
                "startup_seconds": self.startups.get(server.spec.name, []),
            }
            for server in self.servers
        }
        warnings = list(self.ctx.warnings)
        if self.aborted:
            warnings.insert(0, f"run aborted: {self.aborted}")
        machine = {**self.machine, "load_at_end": load_average()}
        return Report(
            command=self.command,
            quick=self.args.quick,
            duration_seconds=round(elapsed(), 1),
            machine=machine,
            servers=servers,
            sizes=asdict(self.sizes),
            rows=self.rows + self.closing_rows(),
            warnings=warnings,
            details=self.ctx.details,
        )

    def _version_of(self, name: str) -> str:
        return next((c.version for c in self.ctx.contenders if c.name == name), "unknown")


def _raise_system_exit(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def print_header(run: BenchRun) -> None:
    """What is being run, where, before anything starts."""
    machine = run.machine
    log(f"tracking benchmark ({'quick' if run.args.quick else 'full'}): {run.command}")
    log(
        f"machine: {machine['cpu_count']} CPUs ({machine['cpu_model']}), "
        f"{machine['memory_gb']} GB, Python {machine['python']}, load {machine['load_at_start']}"
    )


def print_report(report: Report, out: Path) -> None:
    """The table, the warnings and where the files went."""
    print()
    print(console_table(report.rows))
    for warning in report.warnings:
        print(f"WARNING {warning}")
    markdown = report.write(out)
    print()
    print(f"command: {report.command}")
    for name, server in report.servers.items():
        print(f"{name} {server['version']}: {server['command']}  (workers: {server['workers']})")
    print(f"wrote {out} and {markdown} in {report.duration_seconds / 60:.1f} min")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; the exit status is 0 unless it was aborted."""
    args = parse_args(argv)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _raise_system_exit)
    run = BenchRun(args)
    print_header(run)
    status = 0
    try:
        run.execute()
    except ServerDied as exc:
        run.aborted, run.keep_workdirs, status = str(exc).splitlines()[0], True, 1
        log(f"FATAL {exc}")
    except (KeyboardInterrupt, SystemExit) as exc:
        run.aborted, status = f"interrupted ({type(exc).__name__})", 130
        log("interrupted; stopping the servers")
    except Exception as exc:
        run.aborted, run.keep_workdirs, status = f"{type(exc).__name__}: {exc}", True, 1
        traceback.print_exc()
        for server in run.servers:
            print(server.log_tail(), file=sys.stderr)
    finally:
        run.shutdown()
    print_report(run.report(), args.out)
    return status


if __name__ == "__main__":
    sys.exit(main())
