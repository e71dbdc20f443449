"""The MLflow REST calls the server tests make, and the checks every error response must pass.

``Api`` wraps the in-process ``httpx.AsyncClient``: the raw verbs return the response so a test
can look at a failure, and the named calls (``create_run``, ``log_batch``, ...) assert success
and return the decoded payload, for the set-up steps of a test.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import httpx

API = "/api/2.0/mlflow"
AJAX = "/ajax-api/2.0/mlflow"
T0 = 1_700_000_000_000
"""A millisecond timestamp to log with, where the exact time does not matter."""


def ok(response: httpx.Response) -> dict[str, Any]:
    """The JSON payload of a successful response (fails the test with the body otherwise)."""
    assert response.status_code == 200, f"{response.status_code}: {response.text}"
    payload: dict[str, Any] = response.json()
    return payload


def assert_error(response: httpx.Response, status: int, error_code: str, *fragments: str) -> str:
    """Check an MLflow error response exactly; return its message.

    The body is a JSON object with exactly ``error_code`` and ``message``, served as
    ``application/json``, and the message contains every fragment given.
    """
    assert response.status_code == status, f"{response.status_code}: {response.text}"
    assert response.headers["content-type"].split(";")[0].strip() == "application/json"
    body = response.json()
    assert isinstance(body, dict)
    assert set(body) == {"error_code", "message"}, body
    assert body["error_code"] == error_code, body
    message = body["message"]
    assert isinstance(message, str) and message
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    return message


def key_values(items: Iterable[Mapping[str, str]] | None) -> dict[str, str]:
    """``[{"key": k, "value": v}, ...]`` as a dict."""
    return {item["key"]: item["value"] for item in items or ()}


def params_of(run: Mapping[str, Any]) -> dict[str, str]:
    """A Run message's params as a dict."""
    return key_values(run.get("data", {}).get("params"))


def tags_of(run: Mapping[str, Any]) -> dict[str, str]:
    """A Run message's tags as a dict."""
    return key_values(run.get("data", {}).get("tags"))


def metrics_of(run: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """A Run message's latest metrics, by key."""
    return {item["key"]: item for item in run.get("data", {}).get("metrics", [])}


def metric(key: str, value: Any, *, step: int = 0, timestamp: int = T0) -> dict[str, Any]:
    """A Metric message for log-batch."""
    return {"key": key, "value": value, "timestamp": timestamp, "step": step}


def kv(key: str, value: str) -> dict[str, str]:
    """A Param or RunTag message."""
    return {"key": key, "value": value}


class Api:
    """MLflow's tracking REST API on an in-process client, under one prefix."""

    def __init__(self, http: httpx.AsyncClient, prefix: str = API) -> None:
        self.http = http
        self.prefix = prefix

    # -- raw verbs: return the response -----------------------------------------------------

    async def post(self, path: str, body: Any) -> httpx.Response:
        """POST a JSON body."""
        return await self.http.post(self.prefix + path, json=body)

    async def get(self, path: str, params: Any = None) -> httpx.Response:
        """GET with query parameters (lists become repeated keys)."""
        return await self.http.get(self.prefix + path, params=params)

    async def patch(self, path: str, body: Any) -> httpx.Response:
        """PATCH a JSON body."""
        return await self.http.patch(self.prefix + path, json=body)

    async def delete(self, path: str, body: Any = None) -> httpx.Response:
        """DELETE, with a JSON body as MLflow's client sends one."""
        return await self.http.request("DELETE", self.prefix + path, json=body)

    # -- set-up calls: assert success, return the payload -----------------------------------

    async def create_experiment(self, name: str, **fields: Any) -> str:
        """Create an experiment; its id."""
        experiment_id: str = ok(await self.post("/experiments/create", {"name": name, **fields}))[
            "experiment_id"
        ]
        return experiment_id

    async def get_experiment(self, experiment_id: str) -> dict[str, Any]:
        """The Experiment message."""
        response = await self.get("/experiments/get", {"experiment_id": experiment_id})
        experiment: dict[str, Any] = ok(response)["experiment"]
        return experiment

    async def create_run(self, experiment_id: str = "0", **fields: Any) -> dict[str, Any]:
        """Create a run; the Run message."""
        body = {"experiment_id": experiment_id, "start_time": T0, **fields}
        run: dict[str, Any] = ok(await self.post("/runs/create", body))["run"]
        return run

    async def create_run_id(self, experiment_id: str = "0", **fields: Any) -> str:
        """Create a run; its id."""
        run_id: str = (await self.create_run(experiment_id, **fields))["info"]["run_id"]
        return run_id

    async def get_run(self, run_id: str) -> dict[str, Any]:
        """The Run message."""
        run: dict[str, Any] = ok(await self.get("/runs/get", {"run_id": run_id}))["run"]
        return run

    async def log_batch(
        self,
        run_id: str,
        metrics: list[dict[str, Any]] | None = None,
        params: list[dict[str, str]] | None = None,
        tags: list[dict[str, str]] | None = None,
    ) -> None:
        """Log a batch to a run."""
        body = {"run_id": run_id, "metrics": metrics or [], "params": params or []}
        body["tags"] = tags or []
        ok(await self.post("/runs/log-batch", body))

    async def log_metric(
        self, run_id: str, key: str, value: Any, *, timestamp: int = T0, step: int | None = None
    ) -> None:
        """Log one metric point to a run (``step`` left out unless given)."""
        body = {"run_id": run_id, "key": key, "value": value, "timestamp": timestamp}
        if step is not None:
            body["step"] = step
        ok(await self.post("/runs/log-metric", body))

    async def search_runs(self, **body: Any) -> dict[str, Any]:
        """One page of runs/search."""
        return ok(await self.post("/runs/search", body))

    async def create_logged_model(self, experiment_id: str = "0", **fields: Any) -> dict[str, Any]:
        """Create a logged model; the LoggedModel message."""
        body = {"experiment_id": experiment_id, **fields}
        model: dict[str, Any] = ok(await self.post("/logged-models", body))["model"]
        return model
