"""The UI benchmark's data, written identically into a Shipyard and an MLflow SQLite store.

Three experiments (names below), each tagged ``mlflow.experimentKind=custom_model_development``
so that MLflow's UI opens them on its Runs tab rather than its GenAI overview:

``ui-bench-table``
    ``Sizes.table_runs`` finished runs ``trial-00000`` ... (the newest, shown first, is the last
    one), each with ``Sizes.columns // 2`` params ``p000``... and as many metrics ``m000``...
    (one point each): the runs table.
``ui-bench-chart``
    ``Sizes.chart_runs`` runs, each with a ``loss`` metric of ``Sizes.chart_steps`` steps.
``ui-bench-long``
    one run with a ``loss`` metric of ``Sizes.long_steps`` steps (a spike at ``SPIKE_STEP``).

Writing 10,000 runs of 200 columns and 2,000,000 metric points through either server's REST
API takes many minutes for MLflow (43 runs/s with 10 columns in bench/tracking.py), so both
stores are written directly, before the servers start, from the same generated values:
Shipyard's through its own store functions (as tests/ui/seed.py does), MLflow's by creating
the schema and the experiments with MLflow's own ``SqlAlchemyStore`` and inserting the rows
(runs, tags, params, metrics, latest_metrics) with plain SQL, exactly the rows its
``log_batch`` writes. ``bench/ui.py`` then checks one run on each server through the REST API.
"""

from __future__ import annotations

import json
import math
import sqlite3
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

T0 = 1_790_000_000_000  # start time of the first run, ms
TABLE_EXPERIMENT = "ui-bench-table"
CHART_EXPERIMENT = "ui-bench-chart"
LONG_EXPERIMENT = "ui-bench-long"
EXPERIMENT_TAGS = {"mlflow.experimentKind": "custom_model_development"}
CHART_KEY = "loss"
USER = "bench"
SHIPYARD_ROOT = "mlflow-artifacts:"
MLFLOW_ROOT = "mlflow-artifacts:/"
SPIKE_STEP_FRACTION = 0.61234


@dataclass(frozen=True)
class DataSizes:
    """How much data the benchmark seeds."""

    table_runs: int
    columns: int  # half params, half metrics
    chart_runs: int
    chart_steps: int
    long_steps: int

    def key(self) -> str:
        """A directory name for a cached seed of these sizes."""
        return (
            f"t{self.table_runs}-c{self.columns}-r{self.chart_runs}"
            f"-s{self.chart_steps}-l{self.long_steps}"
        )


@dataclass
class SeededIds:
    """What one store holds: experiment ids, and the run ids of the chart experiments."""

    table_experiment: str = ""
    chart_experiment: str = ""
    long_experiment: str = ""
    chart_runs: list[str] = field(default_factory=list)
    long_run: str = ""
    sample_run: str = ""  # a table run, checked through the REST API after start


def run_name(number: int) -> str:
    return f"trial-{number:05d}"


def newest_run_name(sizes: DataSizes) -> str:
    """The run both runs tables show first (newest start time)."""
    return run_name(sizes.table_runs - 1)


def table_params(number: int, sizes: DataSizes) -> list[tuple[str, str]]:
    return [(f"p{k:03d}", str((number * 7 + k * 3) % 10)) for k in range(sizes.columns // 2)]


def table_metrics(number: int, sizes: DataSizes) -> list[tuple[str, float]]:
    half = sizes.columns - sizes.columns // 2
    return [(f"m{k:03d}", ((number * 31 + k * 17) % 1000) / 1000) for k in range(half)]


def curve(run: int, step: int, steps: int) -> float:
    """A training curve: decaying loss with a ripple, and one spike."""
    spike = 2.5 if step == int(steps * SPIKE_STEP_FRACTION) else 0.0
    return (1.5 + 0.05 * run) * math.exp(-step / (steps / 4)) + 0.02 * math.sin(step / 50) + spike


def spike_step(steps: int) -> int:
    return int(steps * SPIKE_STEP_FRACTION)


def history(run: int, steps: int) -> Iterator[tuple[float, int, int]]:
    """(value, timestamp, step) of a chart metric, 10 ms per step."""
    for step in range(steps):
        yield curve(run, step, steps), T0 + step * 10, step


def start_time(number: int) -> int:
    return T0 + number * 1000


def end_time(number: int) -> int:
    return start_time(number) + 60_000


# -- Shipyard ------------------------------------------------------------------------------------


def seed_shipyard(database_uri: str, sizes: DataSizes) -> SeededIds:
    """Migrate an empty database and write the data set through Shipyard's store functions."""
    from shipyard.domain.entities import Metric, RunStatus
    from shipyard.store import experiments, run_logging, runs
    from shipyard.store.engine import Database
    from shipyard.store.migrate import upgrade

    upgrade(database_uri)
    db = Database(database_uri)
    out = SeededIds()
    try:
        db.write(lambda c: experiments.ensure_default_experiment(c, SHIPYARD_ROOT))

        def new_experiment(name: str) -> int:
            return db.write(
                lambda c: experiments.create_experiment(
                    c, name, SHIPYARD_ROOT, tags=EXPERIMENT_TAGS
                )
            )

        def new_run(conn, experiment: int, number: int):  # type: ignore[no-untyped-def]
            run = runs.create_run(
                conn,
                experiment_id=experiment,
                user_id=USER,
                start_time=start_time(number),
                run_name=run_name(number),
                tags={"mlflow.user": USER},
            )
            return run.info.run_id

        def finish(conn, run_id: str, number: int) -> None:  # type: ignore[no-untyped-def]
            runs.update_run(
                conn, run_id, status=RunStatus.FINISHED, end_time=end_time(number), run_name=None
            )

        table = new_experiment(TABLE_EXPERIMENT)
        out.table_experiment = str(table)
        chunk = 250
        for first in range(0, sizes.table_runs, chunk):

            def write_chunk(conn, first=first):  # type: ignore[no-untyped-def]
                for number in range(first, min(first + chunk, sizes.table_runs)):
                    run_id = new_run(conn, table, number)
                    metrics = [
                        Metric(key, value, start_time(number), 0)
                        for key, value in table_metrics(number, sizes)
                    ]
                    run_logging.write_batch(
                        conn,
                        run_id,
                        run_logging.prepare_batch(metrics, table_params(number, sizes), []),
                    )
                    finish(conn, run_id, number)
                    if number == sizes.table_runs // 2:
                        out.sample_run = run_id

            db.write(write_chunk)

        def long_history(experiment: int, number: int, steps: int) -> str:
            run_id = db.write(lambda c: new_run(c, experiment, number))
            points = [Metric(CHART_KEY, v, t, s) for v, t, s in history(number, steps)]
            for first in range(0, len(points), 50_000):
                db.write(
                    lambda c, first=first: [
                        run_logging.write_batch(
                            c,
                            run_id,
                            run_logging.prepare_batch(points[i : i + 1000], [], []),
                        )
                        for i in range(first, min(first + 50_000, len(points)), 1000)
                    ]
                )
            db.write(lambda c: finish(c, run_id, number))
            return run_id

        chart = new_experiment(CHART_EXPERIMENT)
        out.chart_experiment = str(chart)
        out.chart_runs = [
            long_history(chart, number, sizes.chart_steps) for number in range(sizes.chart_runs)
        ]
        long = new_experiment(LONG_EXPERIMENT)
        out.long_experiment = str(long)
        out.long_run = long_history(long, 0, sizes.long_steps)
    finally:
        db.close()
    return out


# -- MLflow --------------------------------------------------------------------------------------


def seed_mlflow(database_uri: str, sizes: DataSizes) -> SeededIds:
    """Create MLflow's schema and experiments with its store, then insert the runs' rows."""
    from mlflow.entities import ExperimentTag
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    store = SqlAlchemyStore(database_uri, MLFLOW_ROOT)
    tags = [ExperimentTag(k, v) for k, v in EXPERIMENT_TAGS.items()]
    out = SeededIds(
        table_experiment=store.create_experiment(TABLE_EXPERIMENT, tags=tags),
        chart_experiment=store.create_experiment(CHART_EXPERIMENT, tags=tags),
        long_experiment=store.create_experiment(LONG_EXPERIMENT, tags=tags),
    )
    store.engine.dispose()
    conn = sqlite3.connect(database_uri.removeprefix("sqlite:///"))
    try:
        conn.execute("PRAGMA synchronous=OFF")
        with conn:
            numbers = range(sizes.table_runs)
            ids = [_insert_runs(conn, out.table_experiment, numbers)]
            run_ids = ids[0]
            out.sample_run = run_ids[sizes.table_runs // 2]
            conn.executemany(
                "INSERT INTO params (key, value, run_uuid) VALUES (?, ?, ?)",
                (
                    (key, value, run_id)
                    for number, run_id in zip(numbers, run_ids, strict=True)
                    for key, value in table_params(number, sizes)
                ),
            )
            rows = [
                (key, value, start_time(number), run_id, 0, 0)
                for number, run_id in zip(numbers, run_ids, strict=True)
                for key, value in table_metrics(number, sizes)
            ]
            _insert_metrics(conn, rows, latest=rows)
        with conn:
            out.chart_runs = _insert_runs(conn, out.chart_experiment, range(sizes.chart_runs))
            for number, run_id in enumerate(out.chart_runs):
                _insert_history(conn, run_id, number, sizes.chart_steps)
        with conn:
            [out.long_run] = _insert_runs(conn, out.long_experiment, range(1))
            _insert_history(conn, out.long_run, 0, sizes.long_steps)
    finally:
        conn.close()
    return out


def _insert_runs(conn: sqlite3.Connection, experiment_id: str, numbers: range) -> list[str]:
    """Finished runs as ``create_run`` + ``update_run_info`` leave them; their ids."""
    run_ids = [uuid.uuid4().hex for _ in numbers]
    conn.executemany(
        "INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, user_id,"
        " status, start_time, end_time, source_version, lifecycle_stage, artifact_uri,"
        " experiment_id) VALUES (?, ?, 'UNKNOWN', '', '', ?, 'FINISHED', ?, ?, '', 'active', ?, ?)",
        [
            (
                run_id,
                run_name(number),
                USER,
                start_time(number),
                end_time(number),
                f"{MLFLOW_ROOT}{experiment_id}/{run_id}/artifacts",
                int(experiment_id),
            )
            for number, run_id in zip(numbers, run_ids, strict=True)
        ],
    )
    conn.executemany(
        "INSERT INTO tags (key, value, run_uuid) VALUES (?, ?, ?)",
        [
            (key, value, run_id)
            for number, run_id in zip(numbers, run_ids, strict=True)
            for key, value in (("mlflow.user", USER), ("mlflow.runName", run_name(number)))
        ],
    )
    return run_ids


def _insert_metrics(
    conn: sqlite3.Connection,
    rows: list[tuple[str, float, int, str, int, int]],
    latest: list[tuple[str, float, int, str, int, int]],
) -> None:
    """``rows`` and ``latest`` are (key, value, timestamp, run_uuid, step, is_nan)."""
    conn.executemany(
        "INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        rows,
    )
    conn.executemany(
        "INSERT INTO latest_metrics (key, value, timestamp, run_uuid, step, is_nan)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        latest,
    )


def _insert_history(conn: sqlite3.Connection, run_id: str, number: int, steps: int) -> None:
    rows = [(CHART_KEY, v, t, run_id, s, 0) for v, t, s in history(number, steps)]
    _insert_metrics(conn, rows, latest=rows[-1:])


# -- the cache -----------------------------------------------------------------------------------


def read_ids(path: Path) -> SeededIds:
    return SeededIds(**json.loads(path.read_text()))


def write_ids(path: Path, ids: SeededIds) -> None:
    path.write_text(json.dumps(asdict(ids), indent=2) + "\n")
