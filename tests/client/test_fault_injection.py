"""Logging through a tracking server that crashes and comes back in the middle of a run."""

from __future__ import annotations

import time
from pathlib import Path

import shipyard
from client.servers import ServerProcess
from shipyard.client.batching import LoggingSettings

POINTS = 3000
CRASH_AT = 1000
RESTART_AT = 2000


def test_a_server_killed_and_restarted_mid_loop_ends_with_every_point_stored_once(
    tmp_path: Path,
) -> None:
    server = ServerProcess.of("shipyard", tmp_path).start()
    settings = LoggingSettings(retry_timeout=180.0, max_retry_delay=0.5)
    pending_during_outage = 0
    try:
        with shipyard.Client(server.url, logging=settings) as client:
            experiment_id = client.create_experiment("restart-mid-loop")
            run_id = client.create_run(experiment_id).info.run_id
            for step in range(POINTS):
                client.log_metric(run_id, "loss", step * 0.5, timestamp=1_000 + step, step=step)
                if step % 100 == 0:
                    client.log_param(run_id, f"p{step}", step)
                    client.set_tag(run_id, "progress", step)
                if step % 20 == 0:
                    time.sleep(0.005)  # let the sender send while the loop goes on
                if step == CRASH_AT:
                    server.kill()
                if step == RESTART_AT:
                    pending_during_outage = client.logger.pending
                    server.start()
            client.flush(timeout=180)

        with shipyard.Client(server.url) as reader:
            history = reader.get_metric_history(run_id, "loss")
            run = reader.get_run(run_id)
    finally:
        server.stop()

    assert pending_during_outage > 0
    assert len(history) == POINTS
    assert [(p.step, p.value, p.timestamp) for p in history] == [
        (step, step * 0.5, 1_000 + step) for step in range(POINTS)
    ]
    assert run.params == {f"p{step}": str(step) for step in range(0, POINTS, 100)}
    assert run.tags["progress"] == str(POINTS - 100)
