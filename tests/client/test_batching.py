"""Background batched logging: protocol limits, refused calls, sync mode, a bounded queue, exit."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import shipyard
from shipyard.client.backend import TransientError
from shipyard.client.batching import LoggingSettings
from shipyard.domain.entities import Metric, RunStatus
from shipyard.domain.errors import InvalidParameter


@pytest.fixture(
    params=["shipyard", pytest.param("mlflow", marks=pytest.mark.xdist_group("mlflow"))]
)
def server_uri(request: pytest.FixtureRequest) -> str:
    """A live shipyard server, then a stock mlflow server."""
    name = "tracking_server" if request.param == "shipyard" else "mlflow_server"
    uri: str = request.getfixturevalue(name)
    return uri


@pytest.fixture
def new_run(unique_name: Callable[[str], str]) -> Callable[[shipyard.Client], str]:
    """Start a run in a fresh experiment of a client's backend; its id."""

    def start(client: shipyard.Client) -> str:
        experiment_id = client.create_experiment(unique_name("batching"))
        return client.create_run(experiment_id).info.run_id

    return start


@pytest.fixture
def embedded(tmp_path: Path) -> Iterator[str]:
    """An embedded store's URI."""
    yield str(tmp_path / "store")


def test_a_call_beyond_every_protocol_limit_is_split_into_requests_the_server_takes(
    server_uri: str, new_run: Callable[[shipyard.Client], str]
) -> None:
    metrics = [Metric("m", float(i), 1_000 + i, i) for i in range(2500)]
    params = {f"p{i}": f"{i}" + "x" * 5000 for i in range(250)}  # 1.25 MB of params
    tags = {f"t{i}": str(i) for i in range(250)}

    with shipyard.Client(server_uri) as client:
        run_id = new_run(client)
        client.log_batch(run_id, metrics=metrics, params=params, tags=tags)
        client.flush()
        run = client.get_run(run_id)
        history = client.get_metric_history(run_id, "m")

    assert [(p.step, p.value, p.timestamp) for p in history] == [
        (i, float(i), 1_000 + i) for i in range(2500)
    ]
    assert run.params == params
    assert {key: run.tags[key] for key in tags} == tags


def test_a_call_the_server_refuses_is_raised_by_flush_and_the_rest_of_its_batch_arrives(
    server_uri: str, new_run: Callable[[shipyard.Client], str]
) -> None:
    with shipyard.Client(server_uri) as first, shipyard.Client(server_uri) as second:
        run_id = new_run(first)
        first.log_param(run_id, "lr", "0.1", synchronous=True)
        points = [Metric("loss", i / 10, 1_000 + i, i) for i in range(500)]
        # the second client does not know the param, so only the server can refuse it
        second.log_batch(run_id, metrics=points, params={"lr": "0.2", "depth": "3"})
        with pytest.raises(InvalidParameter, match="lr"):
            second.flush()
        second.flush()  # the refusal is reported once
        run = second.get_run(run_id)
        history = second.get_metric_history(run_id, "loss")

    assert [p.value for p in history] == [i / 10 for i in range(500)]
    assert run.params == {"lr": "0.1", "depth": "3"}


@pytest.mark.parametrize("how", ["environment", "argument"])
def test_in_synchronous_mode_a_refused_call_raises_at_the_call(
    how: str, embedded: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if how == "environment":
        monkeypatch.setenv("SHIPYARD_ASYNC_LOGGING", "false")
    synchronous = True if how == "argument" else None

    with (
        shipyard.Client(embedded) as first,
        shipyard.Client(embedded, synchronous=synchronous) as second,
    ):
        run_id = first.create_run("0").info.run_id
        first.log_param(run_id, "lr", "0.1")
        first.flush()
        with pytest.raises(InvalidParameter, match="lr"):
            second.log_param(run_id, "lr", "0.2")
        second.log_metric(run_id, "loss", 0.5)
        stored_before_any_flush = [m.key for m in first.backend.get_run(run_id).metrics]

    assert second.logger.asynchronous is False
    assert stored_before_any_flush == ["loss"]


def test_a_call_made_synchronous_is_stored_when_it_returns(embedded: str) -> None:
    with shipyard.Client(embedded) as client:
        run_id = client.create_run("0").info.run_id
        client.log_metric(run_id, "loss", 0.25, step=3, synchronous=True)
        stored = client.backend.get_run(run_id).metrics  # the backend: no flush on the way

    assert client.logger.asynchronous is True
    assert [(m.key, m.value, m.step) for m in stored] == [("loss", 0.25, 3)]


def test_a_full_queue_makes_logging_wait_instead_of_growing(unused_port: int) -> None:
    settings = LoggingSettings(queue_size=5, retry_timeout=1.0, max_retry_delay=0.2)
    client = shipyard.Client(f"http://127.0.0.1:{unused_port}", logging=settings)
    run_id = "a" * 32
    logging = threading.Thread(
        target=lambda: [client.log_metric(run_id, "m", float(i), step=i) for i in range(12)]
    )

    logging.start()
    time.sleep(0.5)
    waiting, held = logging.is_alive(), client.logger.pending
    logging.join(timeout=60)

    assert waiting
    assert held <= 10  # the queue's 5 calls and one request of at most 5 on its way
    assert not logging.is_alive()
    with pytest.raises(TransientError, match=str(unused_port)):
        client.flush()
    client.close()


def test_a_script_that_exits_without_ending_its_run_sends_everything_and_ends_it(
    tracking_server: str, tmp_path: Path
) -> None:
    script = tmp_path / "train.py"
    run_id_file = tmp_path / "run_id"
    script.write_text(
        "import sys, shipyard\n"
        "run = shipyard.start_run()\n"
        f"open({str(run_id_file)!r}, 'w').write(run.info.run_id)\n"
        "for step in range(2000):\n"
        "    shipyard.log_metric('loss', step / 2, step=step)\n"
        "shipyard.log_param('steps', 2000)\n"
    )
    env = {**os.environ, "SHIPYARD_TRACKING_URI": tracking_server}

    subprocess.run([sys.executable, str(script)], env=env, check=True, timeout=120)

    run_id = run_id_file.read_text()
    with shipyard.Client(tracking_server) as client:
        run = client.get_run(run_id)
        history = client.get_metric_history(run_id, "loss")
    assert run.info.status is RunStatus.FINISHED
    assert run.params == {"steps": "2000"}
    assert [(p.step, p.value) for p in history] == [(s, s / 2) for s in range(2000)]


def test_a_logging_variable_that_is_not_a_number_is_refused_naming_it(
    embedded: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHIPYARD_LOGGING_QUEUE_SIZE", "lots")

    with pytest.raises(InvalidParameter, match="SHIPYARD_LOGGING_QUEUE_SIZE"):
        shipyard.Client(embedded)


def test_a_metric_value_that_is_not_a_number_is_refused_at_the_call(embedded: str) -> None:
    with shipyard.Client(embedded) as client:
        run_id = client.create_run("0").info.run_id
        with pytest.raises(InvalidParameter, match="must be a number"):
            client.log_metric(run_id, "loss", "low")
