"""Artifact benchmark: ``shipyard server`` against ``mlflow server`` through MLflow's proxied API.

Run it from the repository root with the project venv (both servers come from that venv)::

    .venv/bin/python bench/artifacts.py            # full run: 1 GiB file, 1,000 small files
    .venv/bin/python bench/artifacts.py --quick    # smoke test: 100 MiB, 200 files, 1 rep
    .venv/bin/python bench/artifacts.py --out bench/results/artifacts.json --keep-tmp

Both servers run on 127.0.0.1, on free ports, each in a fresh temp directory with a SQLite
database and a local artifact folder (``SHIPYARD_COMMAND`` and ``MLFLOW_COMMAND`` below; MLflow
keeps all its defaults). The benchmark creates one run on each and moves files to and from the
run's artifact folder exactly as the ``mlflow`` client does (``artbench/transfer.py``):
``PUT`` and streaming ``GET`` of ``/api/2.0/mlflow-artifacts/artifacts/<exp>/<run>/artifacts/
<file>``. The payload is generated once, on disk, from random bytes; uploads stream from disk
and downloads stream to disk, so this process never holds a large file in memory. Every
download is compared with what was uploaded (size and SHA-256) after the clock stops.
Repetitions alternate which server goes first; the table shows medians.

What the numbers mean (MB = 10^6 bytes; ``ratio`` is how many times better Shipyard is; the
"target met?" column checks the goals of issue 3):

``large-upload`` / ``large-download``
    MB/s moving one 1 GiB file (100 MiB with ``--quick``) in a single request, median of 3.
    Target: at least MLflow's throughput.
``RSS growth, large-upload`` / ``RSS growth, large-download``
    MB the server's resident memory grew while moving the large file: the peak during the
    transfer minus the idle RSS, worst repetition. RSS is summed over the server's whole
    process tree (parent and children) and sampled every 50 ms. Target: under 64 MB for
    Shipyard (flat memory whatever the file size). No ratio: one side can be close to zero.
    The note gives the growth within the transfer (peak minus the RSS just before it), which
    leaves out what a server keeps after its first requests (lazy imports, caches).
``small-upload`` / ``small-download``
    files/s moving 1,000 files of 4-64 KiB (200 with ``--quick``), 8 client threads sharing one
    pooled session, one request per file. Target: at least 5x MLflow's files/s. (The ``mlflow``
    client uploads a folder one file at a time and downloads it with a thread pool; the same
    8 threads are used here both ways, for both servers.)
``small-list``
    ms for one ``GET /api/2.0/mlflow-artifacts/artifacts?path=<folder>`` of that folder.
``archive-download``
    Shipyard only: the small-file folder as one streamed zip
    (``GET /api/2.0/shipyard/artifacts/archive/<folder>``), in files/s and in MB/s of zip.
``archive-upload``
    Shipyard only: the same small files sent as one tar streamed from disk
    (``PUT /api/2.0/shipyard/artifacts/archive/<folder>``, unpacked by the server), in files/s
    and in MB/s of file content; building the tar is inside the timing. Compare with MLflow's
    ``small-upload``.
``RSS idle`` / ``RSS peak, whole run``
    MB of the server tree once it has settled after start (before the large transfers, and
    the baseline of the growth rows), and the largest sample over the whole run.

The JSON report (``--out``) also holds every repetition: seconds, the server tree's CPU
seconds, this client's CPU seconds and RSS before and at the peak. A Markdown table ready for
``docs/benchmarks.md`` is written next to it. The machine may be shared: the report records the
load average at start and end. The servers (whole process groups) are stopped on exit, on Ctrl-C
and on SIGTERM; if one dies, the run stops with the tail of its log.
"""

from __future__ import annotations

import argparse
import shlex
import shutil
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict
from importlib import metadata
from pathlib import Path
from types import FrameType

import requests

from artbench import workloads
from artbench.context import BenchContext, Contender, Sizes
from artbench.payload import MIB, Payload, create_payload
from artbench.probe import MB, Probe
from artbench.report import Metric, Report, console_table, count_of
from artbench.transfer import ArtifactClient, create_run_root
from trackbench.console import elapsed, log
from trackbench.runinfo import load_average, machine_info, shown_command
from trackbench.servers import Server, ServerDied, ServerSpec

# The servers under test. Placeholders: {bin} is the directory of the Python running this
# script (the venv's bin), {port} a free port, {tmp} the fresh temp directory of that start.
SHIPYARD_COMMAND = (
    "{bin}/shipyard server --host 127.0.0.1 --port {port}"
    " --backend-store-uri sqlite:///{tmp}/db --artifacts-destination {tmp}/artifacts"
)
MLFLOW_COMMAND = (
    "{bin}/mlflow server --host 127.0.0.1 --port {port}"
    " --backend-store-uri sqlite:///{tmp}/db --artifacts-destination {tmp}/artifacts"
)
SPECS = (
    ServerSpec("shipyard", SHIPYARD_COMMAND, "1 (default)"),
    ServerSpec("mlflow", MLFLOW_COMMAND, "4 uvicorn workers (default)"),
)

FULL = Sizes(large_bytes=1024 * MIB, small_count=1000, reps=3, threads=8)
QUICK = Sizes(large_bytes=100 * MIB, small_count=200, reps=1, threads=8)
SMALL_SEED = 20240603
STARTUP_TIMEOUT_SECONDS = 180.0
DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "artifacts.json"

Workload = Callable[[BenchContext], list[Metric]]
WORKLOADS: dict[str, Workload] = {
    "large-file": workloads.large_file,
    "small-files": workloads.small_files,
    "archive": workloads.archive,
    "archive-upload": workloads.archive_upload,
}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line; see the module docstring."""
    parser = argparse.ArgumentParser(
        description="Benchmark artifact transfers: shipyard server against mlflow server.",
        epilog="Memory (RSS of each server's process tree) is always measured.",
    )
    parser.add_argument("--quick", action="store_true", help="100 MiB, 200 files, 1 repetition")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON report path")
    parser.add_argument("--keep-tmp", action="store_true", help="keep the servers' temp dirs")
    return parser.parse_args(argv)


def _package_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def server_version(base_url: str) -> str:
    """What ``GET /version`` answers, or ``unknown``."""
    try:
        response = requests.get(f"{base_url}/version", timeout=5)
        response.raise_for_status()
    except requests.RequestException:
        return "unknown"
    return response.text.strip().strip('"')[:40] or "unknown"


class ArtifactBench:
    """One benchmark run: payload, servers, workloads, report."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.sizes = QUICK if args.quick else FULL
        self.machine = {
            **machine_info(),
            "shipyard_package": _package_version("shipyard"),
            "mlflow_package": _package_version("mlflow"),
        }
        self.command = shown_command()
        self.scratch = Path(tempfile.mkdtemp(prefix="bench-artifacts-payload-"))
        self.servers: list[Server] = []
        self.probes: list[Probe] = []
        self.ctx: BenchContext | None = None
        self.metrics: list[Metric] = []
        self.aborted = ""
        self.keep_workdirs: bool = args.keep_tmp

    def execute(self) -> None:
        """Everything up to the report; servers are left for :meth:`shutdown`."""
        payload = self._generate_payload()
        contenders = [self._launch(spec) for spec in SPECS]
        self.ctx = BenchContext(contenders, self.sizes, payload)
        self._record_idle_memory(contenders)
        for name, workload in WORKLOADS.items():
            self._run_workload(self.ctx, name, workload)

    def _generate_payload(self) -> Payload:
        started = time.perf_counter()
        payload = create_payload(
            self.scratch,
            large_bytes=self.sizes.large_bytes,
            small_count=self.sizes.small_count,
            seed=SMALL_SEED,
        )
        log(
            f"payload: {payload.large.size / MB:,.0f} MB file and {len(payload.small):,} small "
            f"files ({payload.small_bytes / MB:.1f} MB) in {payload.folder}, "
            f"{time.perf_counter() - started:.1f} s"
        )
        return payload

    def _launch(self, spec: ServerSpec) -> Contender:
        server = Server(spec, startup_timeout=STARTUP_TIMEOUT_SECONDS)
        self.servers.append(server)
        log(f"starting {spec.name}: {shlex.join(server.argv)}")
        server.spawn()
        probe = Probe(server.pid)
        self.probes.append(probe)
        seconds = server.wait_healthy()
        try:
            root = create_run_root(server.base_url, f"artifact-bench-{int(time.time())}")
        except Exception as exc:
            server.ensure_alive()
            raise ServerDied(
                f"{spec.name}: could not create a run: {exc}\n{server.log_tail()}"
            ) from exc
        version = server_version(server.base_url)
        log(f"{spec.name} {version} healthy after {seconds:.1f} s; run artifacts at {root}")
        return Contender(spec.name, server, probe, ArtifactClient(server.base_url), root, version)

    def _record_idle_memory(self, contenders: list[Contender]) -> None:
        for contender in contenders:
            contender.idle_rss_mb, contender.idle_settled = contender.probe.settled_rss_mb()
            state = "settled" if contender.idle_settled else "still changing after 30 s"
            log(
                f"{contender.name} idle: RSS {contender.idle_rss_mb:,.0f} MB in "
                f"{count_of(contender.probe.processes(), 'process', 'processes')} ({state})"
            )

    def _run_workload(self, ctx: BenchContext, name: str, workload: Workload) -> None:
        """Run one workload; note how much CPU this client process used meanwhile."""
        log(name)
        wall, cpu = time.perf_counter(), time.process_time()
        self.metrics += workload(ctx)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        ctx.details.setdefault("client_cpu_share", {})[name] = round(cpu / wall, 3)
        log(f"{name} done in {wall:.1f} s; this client used {cpu / wall:.0%} of one core")

    def shutdown(self) -> None:
        """Stop probes, clients and servers; remove temp dirs unless kept or a server failed."""
        for probe in self.probes:
            probe.stop()
        for contender in self.ctx.contenders if self.ctx else []:
            contender.client.close()
        for server in self.servers:
            server.stop()
            if self.keep_workdirs:
                log(f"kept {server.workdir}")
            else:
                server.remove_workdir()
        shutil.rmtree(self.scratch, ignore_errors=True)

    def memory_metrics(self) -> list[Metric]:
        """Idle and whole-run peak RSS of each server tree."""
        contenders = self.ctx.contenders if self.ctx else []
        if not contenders:
            return []
        idle = {c.name: c.idle_rss_mb for c in contenders}
        peak = {c.name: c.probe.peak_mb() for c in contenders}
        processes = ", ".join(
            f"{c.name} {count_of(c.probe.processes(), 'process', 'processes')}" for c in contenders
        )
        unsettled = [c.name for c in contenders if not c.idle_settled]
        note = processes + (f"; still changing: {', '.join(unsettled)}" if unsettled else "")
        return [
            Metric("RSS idle", "MB", "lower", dict(idle), note),
            Metric("RSS peak, whole run", "MB", "lower", dict(peak), "largest 50 ms sample"),
        ]

    def report(self) -> Report:
        """The report of everything measured so far."""
        ctx = self.ctx
        contenders = {c.name: c for c in ctx.contenders} if ctx else {}
        servers = {
            server.spec.name: {
                "command": server.spec.display(),
                "version": c.version if (c := contenders.get(server.spec.name)) else "unknown",
                "workers": server.spec.workers,
                "processes": c.probe.processes() if c else 0,
            }
            for server in self.servers
        }
        warnings = list(ctx.warnings) if ctx else []
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
            metrics=self.metrics + self.memory_metrics(),
            warnings=warnings,
            details=ctx.details if ctx else {},
        )


def _raise_system_exit(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def print_header(bench: ArtifactBench) -> None:
    """What is being run, where, before anything starts."""
    machine = bench.machine
    log(f"artifact benchmark ({'quick' if bench.args.quick else 'full'}): {bench.command}")
    log(
        f"machine: {machine['cpu_count']} CPUs ({machine['cpu_model']}), "
        f"{machine['memory_gb']} GB, Python {machine['python']}, "
        f"shipyard {machine['shipyard_package']}, mlflow {machine['mlflow_package']}, "
        f"load {machine['load_at_start']}"
    )


def print_report(report: Report, out: Path) -> None:
    """The table, the warnings and where the files went."""
    print()
    print(console_table(report.metrics))
    for warning in report.warnings:
        print(f"WARNING {warning}")
    markdown = report.write(out)
    print()
    print(f"command: {report.command}")
    for name, server in report.servers.items():
        print(f"{name} {server['version']}: {server['command']}  (workers: {server['workers']})")
    print(f"load average: {report.machine['load_at_start']} -> {report.machine['load_at_end']}")
    print(f"wrote {out} and {markdown} in {report.duration_seconds / 60:.1f} min")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; the exit status is 0 unless it was aborted."""
    args = parse_args(argv)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _raise_system_exit)
    bench = ArtifactBench(args)
    print_header(bench)
    status = 0
    try:
        bench.execute()
    except ServerDied as exc:
        bench.aborted, status = str(exc).splitlines()[0], 1
        bench.keep_workdirs = True  # the server's log and database, for a post-mortem
        log(f"FATAL {exc}")
    except (KeyboardInterrupt, SystemExit) as exc:
        bench.aborted, status = f"interrupted ({type(exc).__name__})", 130
        log("interrupted; stopping the servers")
    except Exception as exc:
        bench.aborted, status = f"{type(exc).__name__}: {exc}", 1
        bench.keep_workdirs = True
        traceback.print_exc()
        for server in bench.servers:
            print(server.log_tail(), file=sys.stderr)
    finally:
        bench.shutdown()
    print_report(bench.report(), args.out)
    return status


if __name__ == "__main__":
    sys.exit(main())
