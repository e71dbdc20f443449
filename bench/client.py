"""Python client benchmark: Shipyard's client against mlflow's, logging to one Shipyard server.

Run it from the repository root with the project venv (the server comes from that venv)::

    .venv/bin/python bench/client.py --out bench/results/client.json
    .venv/bin/python bench/client.py --quick          # smoke run: 10,000 / 1,000 calls

Each client lives in its own throwaway venv under ``--venv-dir`` (``clientbench/venvs.py``:
``pip install <repo>``, the light client without extras, and ``pip install mlflow==3.17.2``),
made on the first run and reused after (``--fresh-venvs`` remakes them). Measured:

``log-metric loop``
    one ``shipyard server`` (SQLite, its defaults) receives both clients' points. Each client
    runs in its own subprocess (``clientbench/loop.py``): import, ``set_tracking_uri``,
    ``set_experiment``, ``start_run``, then the timed part: ``--calls`` calls of
    ``log_metric("loss", v, step=i)`` and, for Shipyard, ``shipyard.flush()`` (its calls are
    batched in the background; the flush waits until the server has stored them all).
    MLflow's ``log_metric`` is synchronous (one HTTP request per call), so 100,000 calls would
    take minutes: it makes ``--mlflow-calls`` calls (default 5,000) and its time for
    ``--calls`` is extrapolated linearly from its per-call time (shown as such). After each
    loop the run's history is read back from the server: every point must be there. An extra
    row runs mlflow with its own background batching (``log_metric(..., synchronous=False)``,
    then ``mlflow.flush_async_logging()``) for ``--mlflow-async-calls`` calls, extrapolated
    the same way.
``import``
    wall time of a fresh ``python -c "import <client>"`` (median of ``--import-reps``,
    alternating), and the total of ``python -X importtime`` (sum of every module's own time).
``installed size``
    bytes of each venv's site-packages, minus a bare venv's (pip and setuptools).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import subprocess
import sys
import time
import traceback
from pathlib import Path
from typing import Any

import httpx

from clientbench import venvs
from clientbench.venvs import Venv
from trackbench.console import elapsed, log
from trackbench.measure import median
from trackbench.report import Goal, Row, console_table, markdown_table
from trackbench.runinfo import git_state, load_average, machine_info, shown_command
from trackbench.servers import Server, ServerSpec

REPO = Path(__file__).resolve().parents[1]
LOOP_SCRIPT = Path(__file__).resolve().parent / "clientbench" / "loop.py"
SHIPYARD_COMMAND = (
    "{bin}/shipyard server --host 127.0.0.1 --port {port}"
    " --backend-store-uri sqlite:///{tmp}/shipyard.db --artifacts-destination {tmp}/artifacts"
)
LOOP_GOAL = Goal("speedup", 50.0)  # issue 6: the loop at least 50x faster
IMPORT_GOAL = Goal("speedup", 5.0)  # import shipyard at least 5x faster than import mlflow
SIZE_GOAL = Goal("speedup", 5.0)  # the installed client at least 5x smaller
DEFAULT_VENV_DIR = Path("/tmp/clientbench-venvs")
DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "client.json"
NAMES = ("shipyard", "mlflow")
HISTORY_PAGE = 25_000


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Benchmark Shipyard's client against mlflow's.")
    parser.add_argument("--quick", action="store_true", help="10,000 / 1,000 calls, 1 rep")
    parser.add_argument("--calls", type=int, default=0, help="Shipyard's calls (100,000)")
    parser.add_argument("--mlflow-calls", type=int, default=0, help="mlflow's calls (5,000)")
    parser.add_argument(
        "--mlflow-async-calls",
        type=int,
        default=-1,
        help="calls of mlflow with synchronous=False (default: as --mlflow-calls; 0 skips)",
    )
    parser.add_argument("--reps", type=int, default=0, help="loops per client (default 3)")
    parser.add_argument("--import-reps", type=int, default=0, help="imports per client (10)")
    parser.add_argument("--venv-dir", type=Path, default=DEFAULT_VENV_DIR)
    parser.add_argument("--fresh-venvs", action="store_true", help="remake the client venvs")
    parser.add_argument("--only", nargs="+", choices=("size", "import", "loop"))
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON report path")
    args = parser.parse_args(argv)
    args.calls = args.calls or (10_000 if args.quick else 100_000)
    args.mlflow_calls = args.mlflow_calls or (1_000 if args.quick else 5_000)
    if args.mlflow_async_calls < 0:
        args.mlflow_async_calls = args.mlflow_calls
    args.reps = args.reps or (1 if args.quick else 3)
    args.import_reps = args.import_reps or (3 if args.quick else 10)
    return args


# -- size ------------------------------------------------------------------------------------------


def measure_sizes(clients: dict[str, Venv], bare: Venv) -> tuple[Row, dict[str, Any]]:
    baseline = bare.size_bytes()
    gross = {name: venv.size_bytes() for name, venv in clients.items()}
    net = {name: (size - baseline) / 1e6 for name, size in gross.items()}
    details = {
        "bare_venv_site_packages_mb": baseline / 1e6,
        "site_packages_mb": {name: size / 1e6 for name, size in gross.items()},
        "distributions": {name: venv.distributions() for name, venv in clients.items()},
        "venvs": {name: str(venv.path) for name, venv in clients.items()},
    }
    counts = details["distributions"]
    note = (
        f"site-packages minus a bare venv's ({baseline / 1e6:.1f} MB); "
        f"{counts['shipyard']} vs {counts['mlflow']} distributions"
    )
    return Row("installed size", "MB", "lower", net, note, SIZE_GOAL), details


# -- import ----------------------------------------------------------------------------------------


def import_wall(venv: Venv, module: str) -> float:
    started = time.perf_counter()
    subprocess.run([str(venv.python), "-c", f"import {module}"], check=True, cwd="/tmp")
    return time.perf_counter() - started


def import_self_total(venv: Venv, module: str) -> float:
    """Seconds: the sum of every module's own import time in ``-X importtime``."""
    result = subprocess.run(
        [str(venv.python), "-X", "importtime", "-c", f"import {module}"],
        check=True,
        capture_output=True,
        text=True,
        cwd="/tmp",
    )
    total = 0
    for line in result.stderr.splitlines():
        match = re.match(r"import time:\s+(\d+) \|", line)
        if match:
            total += int(match.group(1))
    return total / 1e6


def measure_imports(clients: dict[str, Venv], reps: int) -> tuple[list[Row], dict[str, Any]]:
    for name, venv in clients.items():  # warm the page cache and the .pyc files first
        import_wall(venv, name)
    wall: dict[str, list[float]] = {name: [] for name in clients}
    own: dict[str, list[float]] = {name: [] for name in clients}
    for rep in range(reps):
        order = list(clients) if rep % 2 == 0 else list(clients)[::-1]
        for name in order:
            wall[name].append(import_wall(clients[name], name))
            own[name].append(import_self_total(clients[name], name))
        log(
            f"  import {rep + 1}/{reps}: "
            + ", ".join(f"{n} {wall[n][-1] * 1000:,.0f} ms" for n in order)
        )
    empty = [import_wall(clients["shipyard"], "sys") for _ in range(3)]
    rows = [
        Row(
            "import",
            "ms, wall",
            "lower",
            {n: median(v) * 1000 for n, v in wall.items()},
            f"fresh `python -c 'import X'`, median of {reps}; an empty interpreter: "
            f"{median(empty) * 1000:,.0f} ms",
            IMPORT_GOAL,
        ),
        Row(
            "import",
            "ms, -X importtime",
            "lower",
            {n: median(v) * 1000 for n, v in own.items()},
            "sum of every module's own import time",
        ),
    ]
    return rows, {"import_wall_s": wall, "importtime_s": own, "empty_interpreter_s": empty}


# -- the loop -------------------------------------------------------------------------------------


def run_loop(venv: Venv, mode: str, url: str, experiment: str, calls: int) -> dict[str, Any]:
    result = subprocess.run(
        [str(venv.python), str(LOOP_SCRIPT), mode, url, experiment, str(calls)],
        capture_output=True,
        text=True,
        cwd="/tmp",
        env={**os.environ, "MLFLOW_TRACKING_URI": url},
        timeout=1800,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{mode} loop failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def stored_points(url: str, run_id: str) -> int:
    """How many ``loss`` points the server holds for the run (paged get-history)."""
    points, token = 0, None
    with httpx.Client(base_url=url, timeout=120) as http:
        while True:
            params: dict[str, Any] = {
                "run_id": run_id,
                "metric_key": "loss",
                "max_results": HISTORY_PAGE,
            }
            if token:
                params["page_token"] = token
            page = http.get("/api/2.0/mlflow/metrics/get-history", params=params)
            page.raise_for_status()
            body = page.json()
            points += len(body.get("metrics", []))
            token = body.get("next_page_token")
            if not token:
                return points


def measure_loops(
    clients: dict[str, Venv], url: str, args: argparse.Namespace
) -> tuple[list[Row], dict[str, Any]]:
    calls = {"shipyard": args.calls, "mlflow": args.mlflow_calls}
    if args.mlflow_async_calls:
        calls["mlflow-async"] = args.mlflow_async_calls
    venv_of = {"shipyard": clients["shipyard"], "mlflow": clients["mlflow"]}
    venv_of["mlflow-async"] = clients["mlflow"]
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in calls}
    for rep in range(args.reps):
        order = list(calls) if rep % 2 == 0 else list(calls)[::-1]
        shown = []
        for name in order:
            result = run_loop(venv_of[name], name, url, f"client-bench-{name}", calls[name])
            result["stored_points"] = stored_points(url, result["run_id"])
            if result["stored_points"] != calls[name]:
                raise RuntimeError(
                    f"{name}: the server holds {result['stored_points']:,} points, "
                    f"{calls[name]:,} were logged"
                )
            results[name].append(result)
            per_call_us = result["loop_seconds"] / calls[name] * 1e6
            shown.append(
                f"{name} {calls[name]:,} calls in {result['loop_seconds']:.2f} s "
                f"({per_call_us:,.1f} us/call, all stored)"
            )
        log(f"  loop {rep + 1}/{args.reps}: " + "; ".join(shown))
    per_call = {n: median(r["loop_seconds"] / calls[n] for r in v) for n, v in results.items()}
    seconds = {n: per_call[n] * args.calls for n in NAMES}
    measured = median(r["loop_seconds"] for r in results["mlflow"])
    rows = [
        Row(
            f"{args.calls:,} log_metric calls",
            "s",
            "lower",
            seconds,
            f"Shipyard measured (flush included); mlflow extrapolated from {args.mlflow_calls:,} "
            f"calls in {measured:.1f} s (x{args.calls / args.mlflow_calls:,.1f})",
            LOOP_GOAL,
        ),
        Row(
            "log_metric",
            "us per call",
            "lower",
            {n: per_call[n] * 1e6 for n in NAMES},
            f"Shipyard over {args.calls:,} calls, mlflow over {args.mlflow_calls:,}",
        ),
    ]
    if "mlflow-async" in calls:
        async_calls = calls["mlflow-async"]
        async_seconds = median(r["loop_seconds"] for r in results["mlflow-async"])
        rows.append(
            Row(
                f"{args.calls:,} log_metric calls, mlflow async",
                "s",
                "lower",
                {"shipyard": seconds["shipyard"], "mlflow": per_call["mlflow-async"] * args.calls},
                "mlflow with synchronous=False and flush_async_logging() (its own background "
                f"batching): {async_calls:,} calls in {async_seconds:.1f} s"
                + (
                    ""
                    if async_calls == args.calls
                    else f", extrapolated x{args.calls / async_calls:,.1f}"
                ),
            )
        )
    return rows, {"loops": results, "calls": calls}


# -- main -----------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    selected = set(args.only or ("size", "import", "loop"))
    machine = machine_info()
    log(f"load average at start: {machine['load_at_start']}")
    rows: list[Row] = []
    details: dict[str, Any] = {"shipyard_source": git_state()}
    server: Server | None = None
    try:
        made = {}
        for name, requirement in (
            ("shipyard", str(REPO)),
            ("mlflow", venvs.MLFLOW_REQUIREMENT),
            ("bare", None),
        ):
            log(f"venv {name}: {requirement or 'nothing installed'}")
            made[name] = venvs.ensure(name, args.venv_dir, requirement, args.fresh_venvs)
            seconds = made[name].install_seconds
            log(f"  made in {seconds:.0f} s" if seconds is not None else "  reused")
        clients = {name: made[name] for name in NAMES}
        details["venv_install_seconds"] = {n: v.install_seconds for n, v in made.items()}
        if "size" in selected:
            row, info = measure_sizes(clients, made["bare"])
            rows.append(row)
            details["size"] = info
            log(f"  installed size: {row.values}")
        if "import" in selected:
            log("import")
            import_rows, info = measure_imports(clients, args.import_reps)
            rows += import_rows
            details["import"] = info
        if "loop" in selected:
            server = Server(ServerSpec("shipyard", SHIPYARD_COMMAND, "1"), startup_timeout=120)
            log(f"starting {shlex.join(server.argv)}")
            server.start()
            log("log_metric loop")
            loop_rows, info = measure_loops(clients, server.base_url, args)
            rows += loop_rows
            details["loop"] = info
            details["server"] = server.spec.display()
    except BaseException:
        traceback.print_exc()
        if server is not None:
            print(server.log_tail(), file=sys.stderr)
        return 1
    finally:
        if server is not None:
            server.stop()
            server.remove_workdir()
    machine["load_at_end"] = load_average()
    report = {
        "command": shown_command(),
        "quick": args.quick,
        "duration_seconds": round(elapsed(), 1),
        "machine": machine,
        "rows": [row.as_json() for row in rows],
        "details": details,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    args.out.with_suffix(".md").write_text(markdown_table(rows) + "\n")
    print()
    print(console_table(rows))
    print()
    log(
        f"done in {elapsed() / 60:.1f} min; load average {machine['load_at_start']} at start, "
        f"{machine['load_at_end']} at end; wrote {args.out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
