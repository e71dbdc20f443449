"""The error contract: every failure is ``application/json`` with exactly ``error_code`` and
``message``, carries MLflow's code and status, and changes nothing that is stored.

Covers what goes wrong before a handler runs (unknown routes, wrong methods, bodies that are not
JSON objects, bodies over the size limits) and inputs no backend can store.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest

from shipyard.server.app import create_app
from shipyard.server.settings import ServerSettings
from shipyard.store.tracking import TrackingStore

from .api import AJAX, API, T0, Api, assert_error, kv, metric, ok, params_of, tags_of

pytestmark = pytest.mark.anyio

JSON = {"content-type": "application/json"}
IPV = "INVALID_PARAMETER_VALUE"
CREATE = f"{API}/experiments/create"
SMALL_LIMIT = 1024

Call = Callable[[Api, str], Awaitable[httpx.Response]]
"""Makes one failing request, given the API and a live run's id."""


def _raw(method: str, path: str, **kwargs: Any) -> Call:
    async def call(api: Api, run_id: str) -> httpx.Response:
        return await api.http.request(method, path.format(run=run_id), **kwargs)

    return call


def _post(path: str, body: Any) -> Call:
    async def call(api: Api, run_id: str) -> httpx.Response:
        filled = {k: (v.format(run=run_id) if isinstance(v, str) else v) for k, v in body.items()}
        return await api.post(path, filled)

    return call


# (id, request, status, error_code): one of each way a request can fail.
ERROR_CASES: list[tuple[str, Call, int, str]] = [
    ("unknown-route", _raw("GET", "/no/such/route"), 404, "ENDPOINT_NOT_FOUND"),
    ("unknown-mlflow-route", _raw("POST", f"{API}/runs/x", json={}), 404, "ENDPOINT_NOT_FOUND"),
    ("wrong-method", _raw("GET", f"{API}/runs/create"), 405, "BAD_REQUEST"),
    ("malformed-json", _raw("POST", CREATE, content=b"{bad", headers=JSON), 400, IPV),
    (
        "text-plain",
        _raw("POST", CREATE, content=b"{}", headers={"content-type": "text/plain"}),
        400,
        IPV,
    ),
    ("no-content-type", _raw("POST", CREATE, content=b'{"name":"x"}'), 400, IPV),
    ("empty-body", _raw("POST", CREATE, content=b"", headers=JSON), 400, IPV),
    ("array-body", _raw("POST", CREATE, json=[{"name": "x"}]), 400, IPV),
    ("missing-field", _post("/experiments/create", {}), 400, IPV),
    ("wrong-type", _post("/experiments/create", {"name": 123}), 400, IPV),
    (
        "bad-query-type",
        _raw("GET", f"{API}/experiments/search", params={"max_results": "x"}),
        400,
        IPV,
    ),
    (
        "not-found",
        _raw("GET", f"{API}/runs/get", params={"run_id": "9" * 32}),
        404,
        "RESOURCE_DOES_NOT_EXIST",
    ),
    (
        "already-exists",
        _post("/experiments/create", {"name": "Default"}),
        400,
        "RESOURCE_ALREADY_EXISTS",
    ),
    (
        "bad-filter",
        _post("/runs/search", {"experiment_ids": ["0"], "filter": "metrics.x >>> 1"}),
        400,
        IPV,
    ),
    (
        "param-change",
        _post("/runs/log-parameter", {"run_id": "{run}", "key": "fixed", "value": "no"}),
        400,
        IPV,
    ),
    (
        "int64-overflow",
        _post("/runs/log-metric", {"run_id": "{run}", "key": "m", "value": 1, "timestamp": 2**63}),
        400,
        IPV,
    ),
    (
        "ajax-not-found",
        _raw("GET", f"{AJAX}/runs/get", params={"run_id": "9" * 32}),
        404,
        "RESOURCE_DOES_NOT_EXIST",
    ),
]


@pytest.mark.parametrize(
    ("call", "status", "error_code"),
    [case[1:] for case in ERROR_CASES],
    ids=[case[0] for case in ERROR_CASES],
)
async def test_error_response_is_exactly_error_code_and_message(
    api: Api, call: Call, status: int, error_code: str
) -> None:
    run_id = await api.create_run_id()
    await api.log_batch(run_id, params=[kv("fixed", "value")])
    assert_error(await call(api, run_id), status, error_code)


# -- routes and methods ------------------------------------------------------------------------


async def test_unknown_route_message_names_the_method_and_path(api: Api) -> None:
    response = await api.http.get("/api/2.0/mlflow/nothing/here")
    assert_error(response, 404, "ENDPOINT_NOT_FOUND", "GET", "/api/2.0/mlflow/nothing/here")


async def test_wrong_method_lists_the_allowed_methods(api: Api) -> None:
    response = await api.http.get(f"{API}/runs/create")
    assert response.status_code == 405
    assert response.headers.get("allow") == "POST"


# -- bodies that are not JSON objects ----------------------------------------------------------

MALFORMED_BODIES = {
    "syntax": b"{bad",
    "truncated": b'{"name": "x"',
    "trailing-garbage": b'{"name": "x"} tail',
    "invalid-utf8": b'{"name": "\xff\xfe"}',
    "deeply-nested": b'{"name": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    "huge-integer": b'{"name": "x", "artifact_location": 1' + b"0" * 5000 + b"}",
}


@pytest.mark.parametrize("body", MALFORMED_BODIES.values(), ids=list(MALFORMED_BODIES))
async def test_malformed_json_is_invalid_parameter_value(api: Api, body: bytes) -> None:
    response = await api.http.post(f"{API}/experiments/create", content=body, headers=JSON)
    assert_error(response, 400, "INVALID_PARAMETER_VALUE")


async def test_malformed_json_on_log_batch_is_a_400(api: Api) -> None:
    # MLflow answers this one with an HTML 500.
    run_id = await api.create_run_id()
    body = b'{"run_id": "' + run_id.encode() + b'", "metrics": [}'
    response = await api.http.post(f"{API}/runs/log-batch", content=body, headers=JSON)
    assert_error(response, 400, "INVALID_PARAMETER_VALUE")


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]
)
async def test_non_json_content_type_is_refused(api: Api, content_type: str) -> None:
    response = await api.http.post(
        f"{API}/experiments/create",
        content=b'{"name": "sneaky"}',
        headers={"content-type": content_type},
    )
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "application/json")


async def test_json_content_type_with_a_charset_is_accepted(api: Api) -> None:
    response = await api.http.post(
        f"{API}/experiments/create",
        content=b'{"name": "charset"}',
        headers={"content-type": "application/json; charset=utf-8"},
    )
    assert ok(response)["experiment_id"].isdigit()


@pytest.mark.parametrize("body", [b"", b"null", b'"name"', b"[]", b"42"])
async def test_body_that_is_not_an_object_is_refused(api: Api, body: bytes) -> None:
    response = await api.http.post(f"{API}/experiments/create", content=body, headers=JSON)
    assert_error(response, 400, "INVALID_PARAMETER_VALUE")


async def test_wrong_type_message_quotes_the_value_and_names_the_field(api: Api) -> None:
    response = await api.post("/experiments/create", {"name": 123})
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "123", "'name'")


async def test_string_where_a_list_belongs_is_refused(api: Api) -> None:
    response = await api.post("/runs/search", {"experiment_ids": "0"})
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "experiment_ids")


async def test_boolean_where_a_number_belongs_is_refused(api: Api) -> None:
    response = await api.post("/runs/search", {"experiment_ids": ["0"], "max_results": True})
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "max_results")


async def test_missing_field_message_names_it(api: Api) -> None:
    response = await api.post("/experiments/update", {"experiment_id": "0"})
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "Missing value", "'new_name'")


# -- body size limits --------------------------------------------------------------------------


@pytest.fixture
async def small_limit_api(settings: ServerSettings, store: TrackingStore) -> AsyncIterator[Api]:
    """An app whose bodies are limited to SMALL_LIMIT bytes, on the test's database."""
    app = create_app(dataclasses.replace(settings, max_body_bytes=SMALL_LIMIT), store=store)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://shipyard.test") as http:
        yield Api(http)


async def test_body_over_the_limit_is_413(small_limit_api: Api) -> None:
    response = await small_limit_api.post("/experiments/create", {"name": "x" * SMALL_LIMIT})
    assert_error(response, 413, "INVALID_PARAMETER_VALUE", str(SMALL_LIMIT))


async def test_chunked_body_over_the_limit_is_413(small_limit_api: Api) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"name": "'
        for _ in range(8):
            yield b"x" * 256
        yield b'"}'

    response = await small_limit_api.http.post(
        f"{API}/experiments/create", content=chunks(), headers=JSON
    )
    assert_error(response, 413, "INVALID_PARAMETER_VALUE", str(SMALL_LIMIT))


async def test_body_under_the_limit_is_accepted(small_limit_api: Api) -> None:
    assert ok(await small_limit_api.post("/experiments/create", {"name": "small"}))


async def test_body_over_the_limit_creates_nothing(small_limit_api: Api) -> None:
    await small_limit_api.post("/experiments/create", {"name": "big" + "x" * SMALL_LIMIT})
    payload = ok(await small_limit_api.post("/experiments/search", {"view_type": "ALL"}))
    assert [experiment["name"] for experiment in payload["experiments"]] == ["Default"]


def _big_batch(run_id: str, param_chars: int, tag_chars: int) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "params": [kv(f"p{i}", "v" * param_chars) for i in range(100)],
        "tags": [kv(f"t{i}", "v" * tag_chars) for i in range(100)],
    }


async def test_log_batch_over_one_megabyte_is_413(api: Api) -> None:
    # Within every count and length limit: only the size is wrong (about 1.4 MB).
    run_id = await api.create_run_id()
    response = await api.post("/runs/log-batch", _big_batch(run_id, 6000, 8000))
    assert_error(response, 413, "INVALID_PARAMETER_VALUE")


async def test_log_batch_over_one_megabyte_stores_nothing(api: Api) -> None:
    run_id = await api.create_run_id()
    await api.post("/runs/log-batch", _big_batch(run_id, 6000, 8000))
    run = await api.get_run(run_id)
    assert params_of(run) == {}
    assert not any(key.startswith("t") for key in tags_of(run))


async def test_log_batch_just_under_one_megabyte_is_accepted(api: Api) -> None:
    run_id = await api.create_run_id()
    ok(await api.post("/runs/log-batch", _big_batch(run_id, 5000, 4000)))
    assert len(params_of(await api.get_run(run_id))) == 100


async def test_other_routes_accept_bodies_over_one_megabyte(api: Api) -> None:
    # Only log-batch is held to MLflow's 1 MB; the server default is larger.
    run_id = await api.create_run_id()
    body = {"run_id": run_id, "key": "big", "value": "v" * 1_100_000}
    ok(await api.post("/runs/set-tag", body))


# -- strings no backend can store --------------------------------------------------------------

NUL_REQUESTS: list[tuple[str, Call]] = [
    ("experiment-name", _post("/experiments/create", {"name": "a\x00b"})),
    ("tag-value", _post("/runs/set-tag", {"run_id": "{run}", "key": "k", "value": "a\x00b"})),
    (
        "param-value",
        _post("/runs/log-parameter", {"run_id": "{run}", "key": "k", "value": "a\x00"}),
    ),
    ("run-name", _post("/runs/update", {"run_id": "{run}", "run_name": "a\x00b"})),
    ("filter", _post("/runs/search", {"experiment_ids": ["0"], "filter": "params.k = 'a\x00'"})),
    (
        "get-by-name",
        _raw("GET", f"{API}/experiments/get-by-name", params={"experiment_name": "a\x00"}),
    ),
    ("logged-model-name", _post("/logged-models", {"experiment_id": "0", "name": "a\x00b"})),
]


@pytest.mark.parametrize("call", [c for _, c in NUL_REQUESTS], ids=[i for i, _ in NUL_REQUESTS])
async def test_nul_character_is_invalid_parameter_value(api: Api, call: Call) -> None:
    # PostgreSQL cannot store NUL in text; both backends must answer the same, and never 500.
    run_id = await api.create_run_id()
    assert_error(await call(api, run_id), 400, "INVALID_PARAMETER_VALUE")


async def test_refused_nul_tag_is_not_stored(api: Api) -> None:
    run_id = await api.create_run_id()
    await api.post("/runs/set-tag", {"run_id": run_id, "key": "k", "value": "a\x00b"})
    assert "k" not in tags_of(await api.get_run(run_id))


SURROGATE_BODIES = {
    "experiment-name": ("/experiments/create", b'{"name": "\\ud800"}'),
    "filter": ("/runs/search", b'{"experiment_ids": ["0"], "filter": "params.k = \'\\udc00\'"}'),
}


@pytest.mark.parametrize(("path", "body"), SURROGATE_BODIES.values(), ids=list(SURROGATE_BODIES))
async def test_lone_surrogate_in_a_string_is_invalid_parameter_value(
    api: Api, path: str, body: bytes
) -> None:
    response = await api.http.post(API + path, content=body, headers=JSON)
    assert_error(response, 400, "INVALID_PARAMETER_VALUE")


# -- what a refused request leaves behind ------------------------------------------------------


async def test_refused_create_run_leaves_no_run(api: Api) -> None:
    body = {"experiment_id": "0", "start_time": T0, "tags": [kv("ok", "1"), kv("a//b", "2")]}
    assert_error(await api.post("/runs/create", body), 400, "INVALID_PARAMETER_VALUE")
    assert (await api.search_runs(experiment_ids=["0"], run_view_type="ALL")).get("runs", []) == []


async def test_refused_log_metric_leaves_no_point(api: Api) -> None:
    run_id = await api.create_run_id()
    body = {"run_id": run_id, **metric("m", "not-a-number")}
    assert_error(await api.post("/runs/log-metric", body), 400, "INVALID_PARAMETER_VALUE")
    response = await api.get("/metrics/get-history", {"run_id": run_id, "metric_key": "m"})
    assert ok(response).get("metrics", []) == []
