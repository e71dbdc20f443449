"""MLflow's tracking REST API, called the way the ``mlflow`` 3.x Python client calls it.

GET parameters go in the query string (lists as repeated keys); every other body is JSON with
``Content-Type: application/json`` and snake_case field names, int64 as JSON numbers
(``mlflow/utils/rest_utils.py::call_endpoint``). Like the client, :class:`RestClient` retries
429/500/502/503/504 with exponential back-off, and counts the retries so the report can show them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

import httpx

API = "/api/2.0/mlflow"
AJAX_API = "/ajax-api/2.0/mlflow"
USER_AGENT = "mlflow-python-client/3.17.2"
JSON_HEADERS = {"Content-Type": "application/json"}
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_STATUS_RETRIES = 5
MAX_TRANSPORT_RETRIES = 1
REQUEST_TIMEOUT_SECONDS = 120.0  # the mlflow client's default (MLFLOW_HTTP_REQUEST_TIMEOUT)
CONNECT_TIMEOUT_SECONDS = 5.0

Json = dict[str, Any]
Params = Mapping[str, str | int | Sequence[str]]


class ApiError(RuntimeError):
    """A request answered with an error status (after retries)."""

    def __init__(self, method: str, path: str, status: int, body: str) -> None:
        self.status = status
        self.error_code = _error_code(body)
        super().__init__(f"{method} {path} -> HTTP {status}: {body.strip()[:300]}")


class ProtocolError(RuntimeError):
    """A 200 response whose body is not the JSON shape MLflow's protocol defines."""


def _error_code(body: str) -> str:
    try:
        parsed = json.loads(body)
    except ValueError:
        return ""
    return str(parsed.get("error_code", "")) if isinstance(parsed, dict) else ""


class RestClient:
    """One HTTP connection (kept alive or not) to one server."""

    def __init__(self, base_url: str, *, keepalive: bool = True) -> None:
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1 if keepalive else 0)
        timeout = httpx.Timeout(REQUEST_TIMEOUT_SECONDS, connect=CONNECT_TIMEOUT_SECONDS)
        self._http = httpx.Client(
            base_url=base_url, limits=limits, timeout=timeout, headers={"User-Agent": USER_AGENT}
        )
        self.retries = 0

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def send(
        self, method: str, path: str, *, params: Params | None = None, body: bytes | None = None
    ) -> httpx.Response:
        """One request with the client's retry policy; raises :class:`ApiError` on failure."""
        headers = JSON_HEADERS if body is not None else None
        status_retries = transport_retries = 0
        while True:
            try:
                response = self._http.request(
                    method, path, params=params, content=body, headers=headers
                )
            except httpx.TransportError:
                # A kept-alive connection the server closed while idle fails once; retry it.
                if transport_retries >= MAX_TRANSPORT_RETRIES:
                    raise
                transport_retries += 1
                self.retries += 1
                continue
            if response.status_code in RETRY_STATUSES and status_retries < MAX_STATUS_RETRIES:
                time.sleep(min(0.1 * 2**status_retries, 2.0))
                status_retries += 1
                self.retries += 1
                continue
            if response.status_code >= 400:
                raise ApiError(method, path, response.status_code, response.text)
            return response

    def get(self, path: str, params: Params | None = None) -> Json:
        """GET with query parameters; the parsed JSON object."""
        return _json_object(self.send("GET", path, params=params), path)

    def post(self, path: str, payload: Json) -> Json:
        """POST a JSON body built from ``payload``; the parsed JSON object."""
        return self.post_bytes(path, json.dumps(payload).encode())

    def post_bytes(self, path: str, body: bytes) -> Json:
        """POST an already encoded JSON body; the parsed JSON object."""
        return _json_object(self.send("POST", path, body=body), path)

    def get_text(self, path: str) -> str:
        """GET a plain-text endpoint such as ``/health`` or ``/version``."""
        return self.send("GET", path).text


def _json_object(response: httpx.Response, path: str) -> Json:
    if not response.content:
        return {}  # the mlflow client treats an empty 200 as {}
    try:
        parsed = response.json()
    except ValueError as exc:
        raise ProtocolError(f"{path}: 200 with a non-JSON body: {response.text[:200]!r}") from exc
    if not isinstance(parsed, dict):
        raise ProtocolError(f"{path}: expected a JSON object, got {type(parsed).__name__}")
    return parsed


def field(payload: Json, *keys: str) -> Any:
    """``payload[k1][k2]...``, raising :class:`ProtocolError` naming the missing key."""
    current: Any = payload
    for depth, key in enumerate(keys):
        if not isinstance(current, dict) or key not in current:
            where = ".".join(keys[: depth + 1])
            raise ProtocolError(f"response lacks {where}: {json.dumps(payload)[:300]}")
        current = current[key]
    return current


class Point(NamedTuple):
    """One metric value as the client sends it."""

    key: str
    value: float
    timestamp: int
    step: int


def point_objects(points: Iterable[Point]) -> list[Json]:
    """Metrics as the JSON objects of a ``runs/log-batch`` body."""
    return [
        {"key": p.key, "value": p.value, "timestamp": p.timestamp, "step": p.step} for p in points
    ]


def encode_points(points: Iterable[Point]) -> bytes:
    """The JSON array of metrics for a ``runs/log-batch`` body, encoded once up front."""
    return json.dumps(point_objects(points)).encode()


def log_batch_body(run_id: str, metrics: bytes) -> bytes:
    """A metrics-only ``runs/log-batch`` body around pre-encoded metrics (see encode_points)."""
    return b'{"run_id": ' + json.dumps(run_id).encode() + b', "metrics": ' + metrics + b"}"


def post_log_batch(client: RestClient, body: bytes) -> None:
    """``runs/log-batch`` with a body from :func:`log_batch_body`."""
    client.post_bytes(f"{API}/runs/log-batch", body)


def key_values(items: Mapping[str, str]) -> list[dict[str, str]]:
    """Params or tags as the ``[{"key": ..., "value": ...}]`` list the protocol uses."""
    return [{"key": key, "value": value} for key, value in items.items()]


def create_experiment(client: RestClient, name: str) -> str:
    """``experiments/create``; the new experiment id."""
    return str(field(client.post(f"{API}/experiments/create", {"name": name}), "experiment_id"))


def create_run(client: RestClient, experiment_id: str, *, run_name: str, start_time: int) -> str:
    """``runs/create`` as the client sends it; the new run id."""
    payload = {
        "experiment_id": experiment_id,
        "user_id": "bench",
        "start_time": start_time,
        "run_name": run_name,
    }
    return str(field(client.post(f"{API}/runs/create", payload), "run", "info", "run_id"))


def log_batch(
    client: RestClient,
    run_id: str,
    *,
    metrics: Sequence[Point] = (),
    params: Mapping[str, str] | None = None,
    tags: Mapping[str, str] | None = None,
) -> None:
    """``runs/log-batch`` with any of metrics, params and tags."""
    payload: Json = {"run_id": run_id}
    if metrics:
        payload["metrics"] = point_objects(metrics)
    if params:
        payload["params"] = key_values(params)
    if tags:
        payload["tags"] = key_values(tags)
    client.post(f"{API}/runs/log-batch", payload)
