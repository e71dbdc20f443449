"""A script that forks after it has started logging (multiprocessing's default on Linux).

The child inherits the client: its sending thread (gone after the fork), its database
connections (embedded) or its kept-alive sockets (server). Both processes then log and read at
the same time; each must see its own answers, and every point must arrive. The script runs in a
subprocess of its own, so the fork never copies the test runner.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import shipyard

_SCRIPT = """
import json, os, sys
from shipyard import fluent

fluent.set_tracking_uri(sys.argv[1])
fluent.set_experiment("forked")
seen = []
with fluent.start_run(run_name="parent") as parent:
    fluent.log_metric("before_fork", 1.0, step=0)
    fluent.flush()
    pid = os.fork()
    me = "child" if pid == 0 else "parent"
    for step in range(60):
        fluent.log_metric(me, float(step), step=step)
        if step % 10 == 0:
            fluent.flush()
            seen.append(fluent.get_run(parent.info.run_id).info.run_name)
    fluent.flush()
    if pid == 0:
        os._exit(0 if seen == ["parent"] * 6 else 3)
    _, status = os.waitpid(pid, 0)
print(json.dumps({"run_id": parent.info.run_id, "child_status": status, "seen": seen}))
"""


@pytest.fixture(params=["embedded", "server"])
def tracking_uri(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "embedded":
        return str(tmp_path / "store")
    uri: str = request.getfixturevalue("tracking_server")
    return uri


def test_a_forked_child_logs_and_reads_beside_its_parent(tracking_uri: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT, tracking_uri],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    # Shared sockets show up as garbled responses and retries, even when the retry saves the point.
    assert "Cannot reach" not in done.stderr, done.stderr
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    assert outcome["child_status"] == 0
    assert outcome["seen"] == ["parent"] * 6
    client = shipyard.Client(tracking_uri)
    try:
        for key in ("parent", "child"):
            history = client.get_metric_history(outcome["run_id"], key)
            assert [point.value for point in history] == [float(step) for step in range(60)]
        assert [
            point.value for point in client.get_metric_history(outcome["run_id"], "before_fork")
        ] == [1.0]
    finally:
        client.close()
