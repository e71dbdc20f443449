"""Retries of log-batch requests a server answers with 429 or 5xx.

The server here is a real HTTP server on loopback that answers a scripted list of statuses
before succeeding, and records every request body it received.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

import shipyard
from shipyard.client.batching import LoggingSettings
from shipyard.client.http import ServerBusy
from shipyard.domain.entities import Metric

RUN_ID = "b" * 32
FAST = LoggingSettings(retry_timeout=30.0, max_retry_delay=0.05)


class ScriptedServer(ThreadingHTTPServer):
    """Answers log-batch with the statuses of ``script`` in turn, then 200."""

    def __init__(self, script: list[int]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.script = list(script)
        self.refusals = len(script)
        self.bodies: list[dict[str, Any]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: ScriptedServer

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.bodies.append(body)
        status = self.server.script.pop(0) if self.server.script else 200
        payload = b"{}" if status == 200 else b'{"error_code": "TEMPORARILY_UNAVAILABLE"}'
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def scripted(request: pytest.FixtureRequest) -> Iterator[ScriptedServer]:
    server = ScriptedServer(request.param)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("scripted", [[429, 503], [502, 504], [500]], indirect=True)
def test_a_batch_the_server_cannot_take_yet_is_sent_again_until_it_is_taken(
    scripted: ScriptedServer,
) -> None:
    with shipyard.Client(scripted.url, logging=FAST) as client:
        points = [Metric("loss", step / 2, 10 + step, step) for step in range(3)]
        client.log_batch(RUN_ID, metrics=points)  # one call: one request
        client.flush()

    sent = [(m["step"], m["value"]) for m in scripted.bodies[-1]["metrics"]]
    assert len(scripted.bodies) == scripted.refusals + 1
    assert all(body == scripted.bodies[0] for body in scripted.bodies)
    assert sent == [(0, 0.0), (1, 0.5), (2, 1.0)]


@pytest.mark.parametrize("scripted", [[500] * 20], indirect=True)
def test_a_batch_failing_with_500_every_time_is_given_up_after_five_tries_and_raised(
    scripted: ScriptedServer,
) -> None:
    with shipyard.Client(scripted.url, logging=FAST) as client:
        client.log_metric(RUN_ID, "loss", 1.0)
        with pytest.raises(ServerBusy, match="500"):
            client.flush()

    assert len(scripted.bodies) == 5
