"""Web UI benchmark: Shipyard's pages against MLflow's UI, in headless Chromium, in one run.

Run it from the repository root with the project venv (both servers come from that venv; the
browser is Debian's ``/usr/bin/chromium`` driven by Playwright, as in tests/ui)::

    .venv/bin/python bench/ui.py --out bench/results/ui.json     # full run
    .venv/bin/python bench/ui.py --quick                         # smoke run, small data

The data (``uibench/dataset.py``): an experiment of 10,000 runs with 200 columns (100 params,
100 metrics), one of 10 runs with a 100,000-step ``loss``, and one run with a 1,000,000-step
``loss``, written identically into a Shipyard and an MLflow SQLite database before the servers
start (both stores directly; see the dataset module for why and how). The seeded databases are
cached under ``--data-dir`` and reused by later runs of the same sizes (``--fresh`` re-seeds).
Then ``shipyard server`` and ``mlflow server`` (3.17.2, its defaults: 4 uvicorn workers) start
on those databases, and every page is loaded in a fresh browser context (no cache), alternating
which UI goes first, ``--reps`` times:

``runs-table``
    navigation start to the runs table showing its first row (the newest run, by name):
    Shipyard's ``/experiments/<id>``, MLflow's ``/#/experiments/<id>/runs`` (ag-grid row).
    MLflow's table asks for its first 100 runs only; Shipyard's for a first page, then the
    rest in the background, so ``runs-table-all`` (Shipyard: all 10,000 rows loaded, as
    ``#run-count`` says) is reported too, and ``runs-table-scroll``: the slowest of three jumps
    (1/3, 1/2, end of the list) until painted, i.e. whether the table stays responsive.
``chart-10x100k``
    navigation start to the ``loss`` chart of the 10 runs drawn: Shipyard's
    ``/compare?runs=<10 ids>``, MLflow's chart view of the 10-run experiment
    (``compareRunsMode=CHART``, which charts the first 10 runs). Payload rows: the largest
    number of points any run got in the ``get-history-bulk-interval`` responses (target:
    at most the point budget the page asked for with ``max_results``), and their bytes.
``chart-1M`` / ``zoom-1M``
    the same for the one run with 1,000,000 steps; then (Shipyard) the chart is zoomed to
    a 1,000-step range with Plotly and the time until the re-fetched range is drawn.

Times are ms from navigation start (``performance.now()`` when the condition first holds,
checked every animation frame by a script installed before the page loads). Medians over the
repetitions; the JSON has every sample, the requests' ``max_results`` and the load average.
"""

from __future__ import annotations

import argparse
import json
import shlex
import signal
import sys
import time
import traceback
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx

from trackbench.console import elapsed, log
from trackbench.measure import median
from trackbench.report import Goal, console_table, markdown_table
from trackbench.runinfo import git_state, load_average, machine_info, shown_command
from trackbench.servers import Server, ServerSpec
from uibench import browser as ui
from uibench.dataset import (
    CHART_KEY,
    DataSizes,
    SeededIds,
    newest_run_name,
    read_ids,
    seed_mlflow,
    seed_shipyard,
    write_ids,
)
from uibench.rows import UiRow

SHIPYARD_COMMAND = (
    "{bin}/shipyard server --host 127.0.0.1 --port {port}"
    " --backend-store-uri sqlite:///{data}/shipyard.db --artifacts-destination {tmp}/artifacts"
)
MLFLOW_COMMAND = (
    "{bin}/mlflow server --host 127.0.0.1 --port {port}"
    " --backend-store-uri sqlite:///{data}/mlflow.db --artifacts-destination {tmp}/artifacts"
)
FULL = DataSizes(
    table_runs=10_000, columns=200, chart_runs=10, chart_steps=100_000, long_steps=1_000_000
)
QUICK = DataSizes(
    table_runs=1_000, columns=200, chart_runs=10, chart_steps=10_000, long_steps=100_000
)
TABLE_GOAL = Goal("speedup", 5.0)  # issue 5: runs table in under 1/5 of MLflow's time
SHIPYARD_BUDGET = 1000  # the compare page's default points per run (chart_data.js)
ZOOM_STEPS = 1000
STARTUP_TIMEOUT_SECONDS = 180.0
DEFAULT_DATA_DIR = Path("/tmp/uibench-data")
DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "ui.json"
NAMES = ("shipyard", "mlflow")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Benchmark Shipyard's UI against MLflow's.")
    parser.add_argument("--quick", action="store_true", help="1,000 runs, shorter metrics")
    parser.add_argument("--reps", type=int, default=0, help="page loads per UI (default 5, 2)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON report path")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="seed cache")
    parser.add_argument("--fresh", action="store_true", help="re-seed even if cached")
    parser.add_argument("--chromium", default=ui.CHROMIUM, help="browser executable")
    return parser.parse_args(argv)


# -- seeding -------------------------------------------------------------------------------------


@dataclass
class Seed:
    folder: Path
    ids: dict[str, SeededIds]
    seconds: dict[str, float] = field(default_factory=dict)
    reused: bool = False


def _timed_seed(which: str, uri: str, sizes: DataSizes) -> tuple[SeededIds, float]:
    started = time.perf_counter()
    ids = (seed_shipyard if which == "shipyard" else seed_mlflow)(uri, sizes)
    return ids, time.perf_counter() - started


def prepare_data(data_dir: Path, sizes: DataSizes, fresh: bool) -> Seed:
    """Seed both databases in parallel (two processes), or reuse a complete earlier seed."""
    folder = data_dir / sizes.key()
    done = folder / "complete"
    if done.exists() and not fresh:
        ids = {name: read_ids(folder / f"{name}-ids.json") for name in NAMES}
        log(f"reusing the seeded databases in {folder}")
        timing = folder / "seed-seconds.json"
        seconds = json.loads(timing.read_text()) if timing.exists() else {}
        return Seed(folder, ids, seconds, reused=True)
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.iterdir():
        stale.unlink()
    log(f"seeding both stores in {folder} (two processes)")
    with ProcessPoolExecutor(max_workers=2) as pool:
        futures = {
            name: pool.submit(_timed_seed, name, f"sqlite:///{folder}/{name}.db", sizes)
            for name in NAMES
        }
        results = {name: future.result() for name, future in futures.items()}
    seed = Seed(folder, {name: ids for name, (ids, _) in results.items()})
    seed.seconds = {name: round(seconds, 1) for name, (_, seconds) in results.items()}
    for name in NAMES:
        write_ids(folder / f"{name}-ids.json", seed.ids[name])
    (folder / "seed-seconds.json").write_text(json.dumps(seed.seconds) + "\n")
    done.write_text("ok\n")
    log(f"seeded: {seed.seconds}")
    return seed


# -- the run -------------------------------------------------------------------------------------


@dataclass
class Side:
    name: str
    server: Server
    ids: SeededIds
    version: str = ""

    @property
    def url(self) -> str:
        return self.server.base_url


def check_sample_run(side: Side, sizes: DataSizes) -> dict[str, Any]:
    """One seeded table run read back through the REST API: name and column counts."""
    response = httpx.get(
        f"{side.url}/api/2.0/mlflow/runs/get", params={"run_id": side.ids.sample_run}, timeout=60
    )
    response.raise_for_status()
    run = response.json()["run"]
    data = run.get("data", {})
    found = {
        "run_name": run["info"].get("run_name"),
        "params": len(data.get("params", [])),
        "metrics": len(data.get("metrics", [])),
    }
    expected = {"params": sizes.columns // 2, "metrics": sizes.columns - sizes.columns // 2}
    for key, value in expected.items():
        if found[key] != value:
            raise RuntimeError(f"{side.name}: sample run has {found[key]} {key}, not {value}")
    return found


def table_url(side: Side) -> str:
    if side.name == "shipyard":
        return f"{side.url}/experiments/{side.ids.table_experiment}"
    return (
        f"{side.url}/#/experiments/{side.ids.table_experiment}/runs?workflowType=machine_learning"
    )


def chart_url(side: Side, runs: list[str], experiment: str) -> str:
    if side.name == "shipyard":
        return f"{side.url}/compare?runs={','.join(runs)}"
    return (
        f"{side.url}/#/experiments/{experiment}/runs"
        "?workflowType=machine_learning&compareRunsMode=CHART"
    )


def requested_budget(load: ui.PageLoad) -> int | None:
    values = [
        int(v)
        for response in load.bulk
        for v in parse_qs(urlparse(response.url).query).get("max_results", [])
    ]
    return max(values) if values else None


class UiBench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.sizes = QUICK if args.quick else FULL
        self.reps = args.reps or (2 if args.quick else 5)
        self.machine = machine_info()
        self.command = shown_command()
        self.sides: list[Side] = []
        self.browser: ui.Browser | None = None
        self.samples: dict[str, dict[str, list[Any]]] = {}
        self.details: dict[str, Any] = {}
        self.warnings: list[str] = []
        self.seed: Seed | None = None

    # setup

    def start(self) -> None:
        self.seed = prepare_data(self.args.data_dir, self.sizes, self.args.fresh)
        data = str(self.seed.folder)
        for name, template in (("shipyard", SHIPYARD_COMMAND), ("mlflow", MLFLOW_COMMAND)):
            command = template.replace("{data}", data)
            server = Server(ServerSpec(name, command, ""), startup_timeout=STARTUP_TIMEOUT_SECONDS)
            side = Side(name, server, self.seed.ids[name])
            self.sides.append(side)
            log(f"starting {name}: {shlex.join(server.argv)}")
            seconds = server.start()
            side.version = httpx.get(f"{side.url}/version", timeout=10).text.strip().strip('"')
            log(f"{name} {side.version} healthy after {seconds:.1f} s on {side.url}")
        self.details["sample_run"] = {s.name: check_sample_run(s, self.sizes) for s in self.sides}
        log(f"sample run read back: {self.details['sample_run']}")
        self.browser = ui.Browser(self.args.chromium)
        log(f"chromium {self.browser.version}")

    def stop(self) -> None:
        if self.browser is not None:
            self.browser.close()
            self.browser = None
        for side in self.sides:
            side.server.stop()
            side.server.remove_workdir()

    # workloads

    def _ordered(self, rep: int) -> list[Side]:
        return self.sides if rep % 2 == 0 else self.sides[::-1]

    def _record(self, workload: str, name: str, load: ui.PageLoad) -> None:
        self.samples.setdefault(workload, {n: [] for n in NAMES})[name].append(load)

    def run_table(self) -> None:
        assert self.browser is not None
        first = newest_run_name(self.sizes)
        count = f"{self.sizes.table_runs:,} runs"

        def shipyard_after(page: Any) -> dict[str, Any]:
            page.wait_for_function(
                "text => document.getElementById('run-count')?.textContent === text", arg=count
            )
            all_ms = float(page.evaluate("performance.now()"))
            rows = int(page.locator(".rt-window .rt-row").count())
            return {
                "all_ms": all_ms,
                "scroll_ms": ui.scroll_frame_ms(page, ".rt-scroll"),
                "dom_rows": rows,
            }

        def mlflow_after(page: Any) -> dict[str, Any]:
            page.wait_for_timeout(500)
            return {
                "scroll_ms": ui.scroll_frame_ms(page, ".ag-body-viewport"),
                "dom_rows": int(page.locator(".ag-center-cols-container .ag-row").count()),
            }

        for rep in range(self.reps):
            shown = []
            for side in self._ordered(rep):
                if side.name == "shipyard":
                    condition, after = ui.shipyard_table_ready(first), shipyard_after
                else:
                    condition, after = ui.mlflow_table_ready(first), mlflow_after
                load = self.browser.load(table_url(side), condition, after)
                self._record("runs-table", side.name, load)
                shown.append(f"{side.name} {load.ms:,.0f} ms")
            log(f"  runs-table {rep + 1}/{self.reps}: " + ", ".join(shown))

    def run_chart(self, workload: str, reps: int, long: bool) -> None:
        assert self.browser is not None
        for rep in range(reps):
            shown = []
            for side in self._ordered(rep):
                runs = [side.ids.long_run] if long else side.ids.chart_runs
                experiment = side.ids.long_experiment if long else side.ids.chart_experiment
                after = None
                if side.name == "shipyard":
                    condition = ui.shipyard_charts_ready()
                    if long:
                        after = self._zoom
                else:
                    condition = ui.mlflow_charts_ready(len(runs))
                load = self.browser.load(chart_url(side, runs, experiment), condition, after)
                self._record(workload, side.name, load)
                zoom = load.extra.get("zoom_ms")
                shown.append(
                    f"{side.name} {load.ms:,.0f} ms, {load.max_points_per_run():,} points/run, "
                    f"{load.bulk_wire_bytes() / 1000:,.0f} KB"
                    + (f", zoom {zoom:,.0f} ms" if zoom is not None else "")
                )
            log(f"  {workload} {rep + 1}/{reps}: " + "; ".join(shown))

    def _zoom(self, page: Any) -> dict[str, Any]:
        middle = self.sizes.long_steps // 2
        lo, hi = middle, middle + ZOOM_STEPS
        ms = ui.shipyard_zoom_ms(page, CHART_KEY, lo, hi)
        return {"zoom_ms": ms, "zoom_range": [lo, hi]}

    # report

    def rows(self) -> list[UiRow]:
        rows: list[UiRow] = []
        table = self.samples.get("runs-table", {})
        if table:
            rows.append(
                UiRow(
                    "runs-table",
                    "ms to first rows",
                    "lower",
                    _median(table, lambda s: s.ms),
                    f"{self.sizes.table_runs:,} runs x {self.sizes.columns} columns; "
                    "MLflow loads its first 100 runs",
                    TABLE_GOAL,
                )
            )
            rows.append(
                UiRow(
                    "runs-table-all",
                    "ms to all rows",
                    "lower",
                    {"shipyard": _median_of(table["shipyard"], "all_ms"), "mlflow": None},
                    f"Shipyard: all {self.sizes.table_runs:,} runs loaded; "
                    "MLflow shows 100 and a Load more button",
                )
            )
            rows.append(
                UiRow(
                    "runs-table-scroll",
                    "ms, slowest jump",
                    "lower",
                    {name: _median_of(table[name], "scroll_ms") for name in NAMES},
                    "jump to 1/3, 1/2 and end of the list until painted "
                    f"(Shipyard over {self.sizes.table_runs:,} rows, MLflow over its 100)",
                )
            )
        for workload, label in (
            ("chart-10x100k", f"{self.sizes.chart_runs} runs x {self.sizes.chart_steps:,} steps"),
            ("chart-1M", f"1 run x {self.sizes.long_steps:,} steps"),
        ):
            samples = self.samples.get(workload)
            if not samples:
                continue
            budgets = {
                name: requested_budget(loads[0]) if loads else None
                for name, loads in samples.items()
            }
            budget_note = ", ".join(f"{n} asks max_results={b}" for n, b in budgets.items())
            rows.append(
                UiRow(workload, "ms to drawn", "lower", _median(samples, lambda s: s.ms), label)
            )
            rows.append(
                UiRow(
                    f"{workload} payload",
                    "points per run",
                    "lower",
                    {
                        n: max((s.max_points_per_run() for s in v), default=None)
                        for n, v in samples.items()
                    },
                    budget_note + "; the largest count any run got",
                    ceiling=budgets.get("shipyard") or SHIPYARD_BUDGET,
                )
            )
            rows.append(
                UiRow(
                    f"{workload} payload",
                    "KB on the wire",
                    "lower",
                    _median(samples, lambda s: s.bulk_wire_bytes() / 1000),
                    "bulk-interval response bodies; "
                    + ", ".join(
                        f"{n}: {v[0].bulk_body_bytes() / 1000:,.0f} KB JSON"
                        f" in {len(v[0].bulk)} response(s)"
                        for n, v in samples.items()
                        if v
                    ),
                )
            )
            if workload == "chart-1M" and samples.get("shipyard"):
                loads = samples["shipyard"]
                zoom_points = [s.extra.get("later_max_points", 0) for s in loads]
                rows.append(
                    UiRow(
                        "zoom-1M",
                        "ms to drawn",
                        "lower",
                        {"shipyard": _median_of(loads, "zoom_ms"), "mlflow": None},
                        f"Shipyard: {ZOOM_STEPS:,}-step range re-fetched "
                        f"({max(zoom_points, default=0):,} points, "
                        f"{_median_of(loads, 'later_wire_bytes') or 0:,.0f} bytes); "
                        "MLflow's zoom not measured",
                    )
                )
        return rows

    def report(self, rows: list[UiRow], duration: float) -> dict[str, Any]:
        self.machine["load_at_end"] = load_average()
        seed = self.seed
        return {
            "command": self.command,
            "quick": self.args.quick,
            "duration_seconds": round(duration, 1),
            "machine": self.machine,
            "browser": f"chromium {self.browser.version if self.browser else '?'} (headless)",
            "servers": {
                side.name: {"version": side.version, "command": side.server.spec.display()}
                for side in self.sides
            },
            "sizes": asdict(self.sizes),
            "reps": self.reps,
            "seed": {
                "folder": str(seed.folder) if seed else None,
                "reused": seed.reused if seed else None,
                "seconds": seed.seconds if seed else None,
                "how": "shipyard: its store functions; mlflow: SqlAlchemyStore schema and "
                "experiments, rows inserted with SQL (see bench/uibench/dataset.py)",
            },
            "rows": [row.as_json() for row in rows],
            "samples": {
                workload: {
                    name: [
                        {
                            "ms": load.ms,
                            "extra": load.extra,
                            "bulk": [asdict(r) for r in load.bulk],
                        }
                        for load in loads
                    ]
                    for name, loads in by_name.items()
                }
                for workload, by_name in self.samples.items()
            },
            "details": {**self.details, "shipyard_source": git_state()},
            "warnings": self.warnings,
        }


def _median(samples: dict[str, list[Any]], value: Any) -> dict[str, float | None]:
    return {n: median(value(s) for s in v) if v else None for n, v in samples.items()}


def _median_of(loads: list[ui.PageLoad], key: str) -> float | None:
    values = [load.extra[key] for load in loads if load.extra.get(key) is not None]
    return median(values) if values else None


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    bench = UiBench(args)

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_signal)
    started = time.perf_counter()
    log(f"load average at start: {bench.machine['load_at_start']}")
    try:
        bench.start()
        log("runs-table")
        bench.run_table()
        log("chart-10x100k")
        bench.run_chart("chart-10x100k", bench.reps, long=False)
        log("chart-1M")
        bench.run_chart("chart-1M", max(2, bench.reps - 2), long=True)
        rows = bench.rows()
        report = bench.report(rows, time.perf_counter() - started)
    except BaseException:
        traceback.print_exc()
        for side in bench.sides:
            print(side.server.log_tail(), file=sys.stderr)
        bench.stop()
        return 1
    bench.stop()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    markdown = args.out.with_suffix(".md")
    markdown.write_text(markdown_table(rows) + "\n")
    print()
    print(console_table(rows))
    print()
    log(
        f"done in {elapsed() / 60:.1f} min; load average {report['machine']['load_at_start']} "
        f"at start, {report['machine']['load_at_end']} at end; wrote {args.out} and {markdown}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
