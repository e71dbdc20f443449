"""The timed loop, run in a fresh interpreter of one client's venv (no project code imported).

    python loop.py shipyard|mlflow|mlflow-async TRACKING_URI EXPERIMENT CALLS

Imports the client, starts a run, then times ``CALLS`` calls of ``log_metric("loss", v, step=i)``
followed, for Shipyard, by ``shipyard.flush()`` (so the clock stops only once every point is
stored on the server); MLflow's fluent ``log_metric`` is synchronous by default, so its loop
ends with every point stored. ``mlflow-async`` passes ``synchronous=False`` (MLflow's own
background batching) and ends with ``mlflow.flush_async_logging()``. Prints one JSON line: the
run id, the seconds, the import time.
"""

from __future__ import annotations

import json
import sys
import time


def main() -> None:
    which, uri, experiment, calls = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    started = time.perf_counter()
    if which == "shipyard":
        import shipyard as client
    else:
        import mlflow as client
    extra = {"synchronous": False} if which == "mlflow-async" else {}
    imported = time.perf_counter() - started
    client.set_tracking_uri(uri)
    client.set_experiment(experiment)
    with client.start_run() as run:
        run_id = run.info.run_id
        log_metric = client.log_metric
        started = time.perf_counter()
        for step in range(calls):
            log_metric("loss", 1.0 / (step + 1), step=step, **extra)
        if which == "shipyard":
            client.flush()
        elif which == "mlflow-async":
            client.flush_async_logging()
        loop = time.perf_counter() - started
    ended = time.perf_counter() - started
    print(
        json.dumps(
            {
                "client": which,
                "run_id": run_id,
                "calls": calls,
                "loop_seconds": loop,
                "loop_and_end_run_seconds": ended,
                "import_seconds": imported,
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
