"""The ceiling of metric ingest on SQLite: bare ``sqlite3`` inserts into Shipyard's schema.

Run it from the repository root with the project venv::

    .venv/bin/python bench/sqlite_ceiling.py

It migrates a new SQLite file with Shipyard's own migrations, then inserts the batches the
tracking benchmark's ``ingest-8`` sends (8 runs, 1000 points per batch: 250 steps of 4 keys)
with ``executemany`` and one commit per batch, the PRAGMAs the server uses, and nothing else:
no HTTP, no JSON, no validation, no latest-metric upkeep. The rows/s it prints is what no
server on this machine and this schema can beat, so it says how far a ratio target against
MLflow can go (``docs/benchmarks.md``).
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from shipyard.store.migrate import upgrade

KEYS = ("loss", "accuracy", "learning_rate", "grad_norm")
PRAGMAS = ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "cache_size=-65536")


def batches(runs: int, per_run: int) -> list[list[tuple[object, ...]]]:
    """Per run, ``per_run`` batches of 1000 rows in the metrics table's column order."""
    out = []
    for run in range(1, runs + 1):
        for batch in range(per_run):
            steps = range(batch * 250, batch * 250 + 250)
            out.append(
                [
                    (run, key, 1_700_000_000_000 + step, step, (step % 997) / 997 + k, False)
                    for step in steps
                    for k, key in enumerate(KEYS)
                ]
            )
    return out


def one_rep(folder: Path, rep: int, work: list[list[tuple[object, ...]]], runs: int) -> float:
    path = folder / f"ceiling-{rep}.db"
    upgrade(f"sqlite:///{path}")
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        for pragma in PRAGMAS:
            conn.execute(f"PRAGMA {pragma}")
        conn.execute(
            "INSERT INTO experiments (name, artifact_location, lifecycle_stage, creation_time, "
            "last_update_time) VALUES ('ceiling', 'x', 'active', 0, 0)"
        )
        for run in range(1, runs + 1):
            conn.execute(
                "INSERT INTO runs (id, run_id, experiment_id, name, user_id, status, start_time, "
                "lifecycle_stage, artifact_uri, deleted_with_experiment) VALUES (?, ?, 1, ?, "
                "'bench', 'RUNNING', 0, 'active', 'x', 0)",
                (run, f"{run:032x}", f"run-{run}"),
            )
        insert = (
            "INSERT OR IGNORE INTO metrics (run, key, timestamp, step, value, is_nan) "
            "VALUES (?, ?, ?, ?, ?, ?)"
        )
        started = time.perf_counter()
        for rows in work:
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(insert, rows)
            conn.execute("COMMIT")
        elapsed = time.perf_counter() - started
    finally:
        conn.close()
    return sum(len(rows) for rows in work) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--batches", type=int, default=40, help="batches per run")
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    work = batches(args.runs, args.batches)
    with tempfile.TemporaryDirectory() as tmp:
        rates = [one_rep(Path(tmp), rep, work, args.runs) for rep in range(args.reps)]
    print(
        f"bare SQLite metric inserts: median {statistics.median(rates):,.0f} rows/s "
        f"(min {min(rates):,.0f}, max {max(rates):,.0f}) over {args.reps} reps of "
        f"{len(work):,} batches of 1000 rows"
    )


if __name__ == "__main__":
    main()
