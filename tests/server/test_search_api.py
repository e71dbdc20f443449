"""runs/search: the filter grammar as a table of filters and the runs each must find, order_by,
paging, and the refusals.

One data set of ten runs is built per backend and module, and only read: each run has chosen
metrics (one NaN, some missing), params, tags (keys with spaces and dots), datasets with
contexts, a status, a user and a start time, so that every row of the tables below has an
answer that differs from its neighbours'.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from shipyard.domain.entities import Dataset, DatasetInput, Metric, RunStatus
from shipyard.server.app import create_app
from shipyard.server.settings import ServerSettings
from shipyard.store.engine import Database
from shipyard.store.tracking import TrackingStore

from .api import Api, assert_error, ok

pytestmark = pytest.mark.anyio

CONTEXT_TAG = "mlflow.data.context"


@dataclass(frozen=True)
class Spec:
    """One run of the data set."""

    status: str
    start: int
    metrics: dict[str, float] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    datasets: tuple[tuple[str, str], ...] = ()  # (name, context)


RUNS: dict[str, Spec] = {
    "r01": Spec(
        "FINISHED",
        1000,
        {"acc": 0.9, "loss": 0.1},
        {"model": "cnn", "opt": "sgd"},
        {"team": "vision", "my key": "a b"},
        (("train-a", "training"),),
    ),
    "r02": Spec(
        "FINISHED",
        2000,
        {"acc": 0.8, "loss": 0.2},
        {"model": "CNN", "opt": "adam"},
        {"team": "Vision"},
        (("train-a", "training"), ("eval-b", "eval")),
    ),
    "r03": Spec(
        "FAILED",
        3000,
        {"acc": 0.5},
        {"model": "rnn", "opt": "adagrad"},
        {"team": "nlp", "dotted.key": "x"},
    ),
    "r04": Spec("RUNNING", 4000, {"acc": math.nan}, {"model": "rnn_v2"}, {"team": "nlp"}),
    "r05": Spec("KILLED", 5000, {"acc": 0.95, "loss": 0.05}, {"opt": "lbfgs"}, {"team": "audio"}),
    "r06": Spec(
        "FINISHED", 6000, {"loss": 0.3}, {"model": "transformer"}, {}, (("eval-b", "eval"),)
    ),
    "r07": Spec(
        "FINISHED", 7000, {"acc": 0.7}, {"model": "cnn%", "opt": "adam"}, {"team": "vision"}
    ),
    "r08": Spec(
        "SCHEDULED", 8000, {"acc": -1.0}, {"model": "mlp", "quote": "it's"}, {"team": "tabular"}
    ),
    "r09": Spec(
        "RUNNING", 9000, {"acc": 0.8}, {"model": "gbm", "opt": "rmsprop"}, {"team": "tabular"}
    ),
    "r10": Spec("FINISHED", 10000),
}
ALL = frozenset(RUNS)
BOB = {"r02", "r04", "r06", "r08", "r10"}  # the other runs belong to alice


@dataclass(frozen=True)
class World:
    """The data set as stored: run ids by name, and the experiments."""

    experiment_id: str
    other_experiment_id: str
    run_ids: dict[str, str]

    def names(self, runs: list[dict[str, Any]]) -> list[str]:
        by_id = {run_id: name for name, run_id in self.run_ids.items()}
        return [by_id.get(run["info"]["run_id"], run["info"]["run_name"]) for run in runs]


def _build(store: TrackingStore) -> World:
    experiment_id = store.create_experiment("search-world")
    other = store.create_experiment("elsewhere")
    # A run in another experiment that matches almost everything: it must never be found.
    decoy = store.create_run(
        experiment_id=other, user_id="alice", start_time=500, run_name="decoy"
    ).info.run_id
    store.log_batch(
        decoy,
        metrics=[Metric("acc", 0.9, 500), Metric("loss", 0.1, 500)],
        params=[("model", "cnn")],
        tags=[("team", "vision")],
    )
    run_ids = {}
    for name, spec in RUNS.items():
        run = store.create_run(
            experiment_id=experiment_id,
            user_id="bob" if name in BOB else "alice",
            start_time=spec.start,
            run_name=name,
            tags=spec.tags,
        )
        run_id = run.info.run_id
        run_ids[name] = run_id
        store.log_batch(
            run_id,
            metrics=[Metric(key, value, spec.start) for key, value in spec.metrics.items()],
            params=list(spec.params.items()),
        )
        store.update_run(run_id, status=RunStatus(spec.status))
        store.log_inputs(
            run_id,
            datasets=[
                DatasetInput(Dataset(dataset, f"d-{dataset}", "local", "{}"), {CONTEXT_TAG: ctx})
                for dataset, ctx in spec.datasets
            ],
        )
    return World(experiment_id, other, run_ids)


@pytest.fixture(scope="module")
def world_app(module_db_uri: str, module_artifacts: Path) -> Iterator[tuple[FastAPI, World]]:
    store = TrackingStore(Database(module_db_uri), "mlflow-artifacts:")
    try:
        store.ensure_default_experiment()
        world = _build(store)
        settings = ServerSettings(
            backend_store_uri=module_db_uri, artifacts_destination=str(module_artifacts)
        )
        yield create_app(settings, store=store), world
    finally:
        store.close()


@pytest.fixture
def world(world_app: tuple[FastAPI, World]) -> World:
    return world_app[1]


@pytest.fixture
async def search_api(world_app: tuple[FastAPI, World]) -> AsyncIterator[Api]:
    transport = httpx.ASGITransport(app=world_app[0])
    async with httpx.AsyncClient(transport=transport, base_url="http://shipyard.test") as http:
        yield Api(http)


async def _search(api: Api, world: World, **body: Any) -> list[str]:
    body.setdefault("experiment_ids", [world.experiment_id])
    return world.names(ok(await api.post("/runs/search", body)).get("runs", []))


def _fill(text: str, world: World) -> str:
    """Put run ids into a filter written with ``{r01}`` placeholders."""
    return text.format(**world.run_ids)


# -- the filter table --------------------------------------------------------------------------

FILTERS: list[tuple[str, set[str]]] = [
    # metrics: comparisons; NaN (r04) only ever matches !=; a missing metric never matches
    ("metrics.acc = 0.8", {"r02", "r09"}),
    ("metrics.acc != 0.8", {"r01", "r03", "r04", "r05", "r07", "r08"}),
    ("metrics.acc < 0.8", {"r03", "r07", "r08"}),
    ("metrics.acc <= 0.8", {"r02", "r03", "r07", "r08", "r09"}),
    ("metrics.acc > 0.8", {"r01", "r05"}),
    ("metrics.acc >= 0.8", {"r01", "r02", "r05", "r09"}),
    ("metrics.acc >= -1000", {"r01", "r02", "r03", "r05", "r07", "r08", "r09"}),
    ("metrics.acc <= 1000", {"r01", "r02", "r03", "r05", "r07", "r08", "r09"}),
    ("metrics.acc = -1", {"r08"}),
    ("metrics.acc = 8e-1", {"r02", "r09"}),
    ("metrics.loss < 0.15", {"r01", "r05"}),
    ("metric.loss > 0.25", {"r06"}),
    ("metrics.acc IS NULL", {"r06", "r10"}),
    ("metrics.acc IS NOT NULL", {"r01", "r02", "r03", "r04", "r05", "r07", "r08", "r09"}),
    ("metrics.nothing > 0", set()),
    # params: string comparisons; LIKE is case-sensitive, ILIKE is not
    ("params.model = 'cnn'", {"r01"}),
    ('params.model = "cnn"', {"r01"}),
    ("params.model != 'cnn'", {"r02", "r03", "r04", "r06", "r07", "r08", "r09"}),
    ("params.model LIKE 'cnn%'", {"r01", "r07"}),
    ("params.model LIKE 'CNN'", {"r02"}),
    ("params.model LIKE '%n'", {"r01", "r03"}),
    ("params.model LIKE 'rnn_%'", {"r04"}),
    ("params.model LIKE 'cnn\\%'", {"r07"}),
    ("params.model ILIKE 'cnn%'", {"r01", "r02", "r07"}),
    ("params.model IN ('cnn', 'rnn')", {"r01", "r03"}),
    ("params.model NOT IN ('cnn', 'rnn')", {"r02", "r04", "r06", "r07", "r08", "r09"}),
    ("params.model IS NULL", {"r05", "r10"}),
    ("params.model IS NOT NULL", ALL - {"r05", "r10"}),
    ("params.model LIKE 'rnn\\_v2'", {"r04"}),
    ("params.model = ''", set()),
    ("params.quote = 'it''s'", {"r08"}),
    ('params.quote = "it\'s"', {"r08"}),
    ("params.quote = 'it\\'s'", {"r08"}),
    ("param.opt = 'adam'", {"r02", "r07"}),
    ("parameters.opt = 'adam'", {"r02", "r07"}),
    # tags, with quoted keys holding spaces and dots
    ("tags.team = 'vision'", {"r01", "r07"}),
    ("tags.team ILIKE 'VISION'", {"r01", "r02", "r07"}),
    ("tags.team != 'nlp'", {"r01", "r02", "r05", "r07", "r08", "r09"}),
    ("tags.team IS NULL", {"r06", "r10"}),
    ("tags.team IN ('audio', 'tabular')", {"r05", "r08", "r09"}),
    ("tags.`my key` = 'a b'", {"r01"}),
    ("tags.\"my key\" = 'a b'", {"r01"}),
    ("tags.`dotted.key` = 'x'", {"r03"}),
    ("tags.dotted.key = 'x'", {"r03"}),
    ("tags.mlflow.runName = 'r05'", {"r05"}),
    ("tags.`mlflow.runName` LIKE 'r1%'", {"r10"}),
    ("tag.team = 'audio'", {"r05"}),
    # OR, parentheses and precedence (AND binds tighter than OR)
    ("params.model = 'cnn' OR params.model = 'rnn'", {"r01", "r03"}),
    ("params.model = 'cnn' or params.model = 'rnn'", {"r01", "r03"}),
    ("metrics.acc > 0.9 OR metrics.loss > 0.25 OR params.model = 'mlp'", {"r05", "r06", "r08"}),
    ("(tags.team = 'nlp' OR tags.team = 'audio') AND metrics.acc > 0.6", {"r05"}),
    ("tags.team = 'nlp' OR tags.team = 'audio' AND metrics.acc < 0.5", {"r03", "r04"}),
    ("(tags.team = 'nlp' OR tags.team = 'audio') AND metrics.acc < 0.5", set()),
    ("tags.team ILIKE 'vision' AND (metrics.acc > 0.85 OR params.opt = 'sgd')", {"r01"}),
    ("((params.model = 'cnn'))", {"r01"}),
    ("run_name = 'r01' OR run_name = 'r02' AND status = 'FAILED'", {"r01"}),
    ("metrics.acc\n>\t0.9", {"r05"}),
    ("metrics.acc > 0.85 and metrics.loss < 0.08", {"r05"}),
    # attributes, bare and prefixed, with aliases
    ("attributes.run_name = 'r03'", {"r03"}),
    ("run_name LIKE 'r0%'", ALL - {"r10"}),
    ("run_name ILIKE 'R1%'", {"r10"}),
    ("`Run Name` = 'r04'", {"r04"}),
    ("attr.run_name = 'r02'", {"r02"}),
    ("status = 'FINISHED'", {"r01", "r02", "r06", "r07", "r10"}),
    ("run.status = 'SCHEDULED'", {"r08"}),
    ("attributes.status != 'FINISHED'", {"r03", "r04", "r05", "r08", "r09"}),
    ("attributes.status IN ('FAILED', 'KILLED')", {"r03", "r05"}),
    ("attributes.start_time >= 5000", {"r05", "r06", "r07", "r08", "r09", "r10"}),
    ("attributes.start_time < 3000", {"r01", "r02"}),
    ("created > 9000", {"r10"}),
    ("attributes.start_time < 9223372036854775807", set(ALL)),
    ("attributes.user_id = 'bob'", BOB),
    ("attributes.run_id = '{r05}'", {"r05"}),
    ("attributes.run_id IN ('{r01}', '{r02}')", {"r01", "r02"}),
    ("run_id NOT IN ('{r01}', '{r02}')", ALL - {"r01", "r02"}),
    ("attributes.run_uuid = '{r07}'", {"r07"}),
    ("attributes.artifact_uri LIKE '%{r03}%'", {"r03"}),
    # datasets: name, digest and the context input tag
    ("datasets.name = 'train-a'", {"r01", "r02"}),
    ("datasets.name IN ('eval-b')", {"r02", "r06"}),
    ("datasets.name LIKE 'train%'", {"r01", "r02"}),
    ("datasets.name != 'train-a'", {"r02", "r06"}),
    ("datasets.name NOT IN ('train-a')", {"r02", "r06"}),
    ("datasets.digest = 'd-eval-b'", {"r02", "r06"}),
    ("datasets.context = 'eval'", {"r02", "r06"}),
    ("dataset.context = 'training'", {"r01", "r02"}),
    # blank filters mean no filter
    ("", set(ALL)),
    ("   ", set(ALL)),
]


@pytest.mark.parametrize(("text", "expected"), FILTERS, ids=[text for text, _ in FILTERS])
async def test_filter_finds_exactly_the_expected_runs(
    search_api: Api, world: World, text: str, expected: set[str]
) -> None:
    names = await _search(search_api, world, filter=_fill(text, world))
    assert sorted(names) == sorted(expected)


# -- invalid filters ---------------------------------------------------------------------------

INVALID_FILTERS: list[tuple[str, str]] = [
    ("metrics.acc >> 1", "'>>'"),
    ("metrics.acc => 1", "'=>'"),
    ("params.model = cnn", "'cnn'"),
    ("metrics.acc = 'high'", "'high'"),
    ("attributes.start_time = 'yesterday'", "'yesterday'"),
    ("attributes.start_time > 1.5", "'1.5'"),
    ("foo.bar = 'x'", "'foo'"),
    ("attributes.color = 'red'", "'color'"),
    ("datasets.size = 'big'", "'size'"),
    ("metrics.acc LIKE '0.%'", "'LIKE'"),
    ("metrics.acc IN ('0.8')", "'IN'"),
    ("params.model > 'a'", "'>'"),
    ("attributes.start_time < 9223372036854775808", "'9223372036854775808'"),
    ("attributes.status IS NULL", "'IS NULL'"),
    ("params.model LIKE", "end of the input"),
    ("(metrics.acc > 1", "'('"),
    ("metrics.acc > 1)", "')'"),
    ("metrics.acc > 1 AND", "'AND'"),
    ("OR metrics.acc > 1", "'OR'"),
    ("metrics.acc > 1 AND AND metrics.loss < 1", "'AND'"),
    ("metrics.acc > 1 XOR metrics.loss < 1", "'XOR'"),
    ("metrics.acc > 1 metrics.loss < 1", "'metrics.loss'"),
    ("params.model IN ()", "'()'"),
    ("params.model IN ('a', 1)", "'1'"),
    ("params.model IN 'a'", "\"'a'\""),
    ("params.model IS 'x'", "\"'x'\""),
    ("params.model IS NOT 'x'", "\"'x'\""),
    ("status NOT LIKE 'x'", "'LIKE'"),
    ("tags.team = 'unterminated", "'unterminated"),
    ("metrics.acc = 1e999", "'1e999'"),
    ("metrics.acc = 12abc", "'12abc'"),
    ("metrics.acc # 1", "'#'"),
    ("metrics. = 1", "'metrics.'"),
    ("= 1", "'='"),
]


@pytest.mark.parametrize(
    ("text", "quoted"), INVALID_FILTERS, ids=[text for text, _ in INVALID_FILTERS]
)
async def test_invalid_filter_is_refused_quoting_the_bad_token(
    search_api: Api, world: World, text: str, quoted: str
) -> None:
    body = {"experiment_ids": [world.experiment_id], "filter": text}
    response = await search_api.post("/runs/search", body)
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", quoted)


async def test_filter_over_the_length_limit_is_refused(search_api: Api, world: World) -> None:
    text = " OR ".join(["metrics.acc > 0"] * 1000)
    body = {"experiment_ids": [world.experiment_id], "filter": text}
    assert_error(await search_api.post("/runs/search", body), 400, "INVALID_PARAMETER_VALUE")


async def test_filter_nested_too_deep_is_refused(search_api: Api, world: World) -> None:
    text = "(" * 60 + "metrics.acc > 0" + ")" * 60
    body = {"experiment_ids": [world.experiment_id], "filter": text}
    assert_error(await search_api.post("/runs/search", body), 400, "INVALID_PARAMETER_VALUE")


# -- order_by ----------------------------------------------------------------------------------

ORDERS: list[tuple[list[str], list[str]]] = [
    ([], ["r10", "r09", "r08", "r07", "r06", "r05", "r04", "r03", "r02", "r01"]),
    (["attributes.start_time ASC"], [f"r{i:02d}" for i in range(1, 11)]),
    (["attributes.run_name DESC"], [f"r{i:02d}" for i in range(10, 0, -1)]),
    (["tags.`mlflow.runName`"], [f"r{i:02d}" for i in range(1, 11)]),
    # NaN after every value, missing after NaN, in both directions; ties by start_time DESC
    (
        ["metrics.acc DESC"],
        ["r05", "r01", "r09", "r02", "r07", "r03", "r08", "r04", "r10", "r06"],
    ),
    (
        ["metrics.acc ASC"],
        ["r08", "r03", "r07", "r09", "r02", "r01", "r05", "r04", "r10", "r06"],
    ),
    (["metrics.acc"], ["r08", "r03", "r07", "r09", "r02", "r01", "r05", "r04", "r10", "r06"]),
    (
        ["metrics.`acc` desc"],
        ["r05", "r01", "r09", "r02", "r07", "r03", "r08", "r04", "r10", "r06"],
    ),
    (
        ["params.opt ASC"],
        ["r03", "r07", "r02", "r05", "r09", "r01", "r10", "r08", "r06", "r04"],
    ),
    (
        ["params.opt DESC"],
        ["r01", "r09", "r05", "r07", "r02", "r03", "r10", "r08", "r06", "r04"],
    ),
    (
        ["attributes.status ASC", "metrics.loss DESC"],
        ["r03", "r06", "r02", "r01", "r10", "r07", "r05", "r09", "r04", "r08"],
    ),
    (
        ["metrics.loss ASC", "attributes.start_time ASC"],
        ["r05", "r01", "r02", "r06", "r03", "r04", "r07", "r08", "r09", "r10"],
    ),
]


def _order_id(order: list[str]) -> str:
    return " , ".join(order) or "default"


@pytest.mark.parametrize(
    ("order_by", "expected"), ORDERS, ids=[_order_id(order) for order, _ in ORDERS]
)
async def test_order_by_sorts_runs(
    search_api: Api, world: World, order_by: list[str], expected: list[str]
) -> None:
    assert await _search(search_api, world, order_by=order_by) == expected


@pytest.mark.parametrize(
    ("order_by", "expected"), ORDERS, ids=[_order_id(order) for order, _ in ORDERS]
)
async def test_paging_returns_every_run_once_in_order(
    search_api: Api, world: World, order_by: list[str], expected: list[str]
) -> None:
    seen: list[str] = []
    token = None
    for _ in range(len(expected) + 2):
        body: dict[str, Any] = {"max_results": 3, "order_by": order_by}
        if token:
            body["page_token"] = token
        body["experiment_ids"] = [world.experiment_id]
        payload = ok(await search_api.post("/runs/search", body))
        page = world.names(payload.get("runs", []))
        assert len(page) <= 3
        seen += page
        token = payload.get("next_page_token")
        if not token:
            break
    assert seen == expected


async def test_paging_a_filtered_search_returns_each_match_once(
    search_api: Api, world: World
) -> None:
    seen: list[str] = []
    token = None
    for _ in range(10):
        body: dict[str, Any] = {
            "experiment_ids": [world.experiment_id],
            "filter": "metrics.acc IS NOT NULL",
            "order_by": ["metrics.acc DESC"],
            "max_results": 2,
        }
        if token:
            body["page_token"] = token
        payload = ok(await search_api.post("/runs/search", body))
        seen += world.names(payload.get("runs", []))
        token = payload.get("next_page_token")
        if not token:
            break
    assert seen == ["r05", "r01", "r09", "r02", "r07", "r03", "r08", "r04"]


async def test_last_page_has_no_token(search_api: Api, world: World) -> None:
    body = {"experiment_ids": [world.experiment_id], "max_results": 10}
    payload = ok(await search_api.post("/runs/search", body))
    assert len(payload["runs"]) == 10
    assert "next_page_token" not in payload


async def _first_token(api: Api, world: World, **body: Any) -> str:
    body = {"experiment_ids": [world.experiment_id], "max_results": 2, **body}
    token: str = ok(await api.post("/runs/search", body))["next_page_token"]
    return token


@pytest.mark.parametrize(
    "change",
    [
        {"filter": "metrics.acc > 0"},
        {"order_by": ["metrics.acc DESC"]},
        {"run_view_type": "ALL"},
        {"experiment_ids": ["0"]},
    ],
    ids=["filter", "order_by", "view_type", "experiments"],
)
async def test_page_token_reused_with_a_different_search_is_refused(
    search_api: Api, world: World, change: dict[str, Any]
) -> None:
    token = await _first_token(search_api, world)
    body = {"experiment_ids": [world.experiment_id], "page_token": token, **change}
    response = await search_api.post("/runs/search", body)
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "page token")


@pytest.mark.parametrize(
    "token",
    ["garbage", "%%%", "e30", "eyJxIjoieCIsInAiOltdfQ", "W10"],
    ids=["word", "symbols", "empty-object", "foreign-query", "json-list"],
)
async def test_garbage_page_token_is_refused(search_api: Api, world: World, token: str) -> None:
    body = {"experiment_ids": [world.experiment_id], "page_token": token}
    response = await search_api.post("/runs/search", body)
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "page token")


async def test_tampered_page_token_position_is_refused(search_api: Api, world: World) -> None:
    token = await _first_token(search_api, world, order_by=["metrics.acc DESC"])
    payload = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    payload["p"] = [["not", "a", "position"]] * len(payload["p"])
    forged = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")
    body = {
        "experiment_ids": [world.experiment_id],
        "order_by": ["metrics.acc DESC"],
        "page_token": forged,
    }
    response = await search_api.post("/runs/search", body)
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "page token")


@pytest.mark.parametrize("max_results", [50001, 0, -1])
async def test_max_results_out_of_range_is_refused(
    search_api: Api, world: World, max_results: int
) -> None:
    body = {"experiment_ids": [world.experiment_id], "max_results": max_results}
    response = await search_api.post("/runs/search", body)
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "max_results")


async def test_max_results_of_50000_is_accepted(search_api: Api, world: World) -> None:
    assert len(await _search(search_api, world, max_results=50000)) == 10


INVALID_ORDERS: list[tuple[list[str], str]] = [
    (["metrics.acc", "metrics.acc DESC"], "duplicate"),
    (["attributes.start_time", "created DESC"], "duplicate"),
    (["metrics.acc UP"], "'UP'"),
    (["metrics.acc DESC please"], "'please'"),
    (["datasets.name"], "datasets"),
    (["colour"], "'colour'"),
    (["foo.bar"], "'foo'"),
    ([""], "empty"),
]


@pytest.mark.parametrize(
    ("order_by", "quoted"), INVALID_ORDERS, ids=[_order_id(o) for o, _ in INVALID_ORDERS]
)
async def test_invalid_order_by_is_refused(
    search_api: Api, world: World, order_by: list[str], quoted: str
) -> None:
    body = {"experiment_ids": [world.experiment_id], "order_by": order_by}
    response = await search_api.post("/runs/search", body)
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", quoted)


# -- experiments -------------------------------------------------------------------------------


async def test_search_only_returns_runs_of_the_experiments_asked(
    search_api: Api, world: World
) -> None:
    assert await _search(search_api, world, experiment_ids=[world.other_experiment_id]) == ["decoy"]


async def test_search_over_two_experiments_returns_the_runs_of_both(
    search_api: Api, world: World
) -> None:
    names = await _search(
        search_api, world, experiment_ids=[world.experiment_id, world.other_experiment_id]
    )
    assert sorted(names) == sorted(ALL | {"decoy"})


async def test_search_of_no_experiments_returns_no_runs(search_api: Api, world: World) -> None:
    assert await _search(search_api, world, experiment_ids=[]) == []


@pytest.mark.parametrize("experiment_id", ["abc", "\u00b9"])
async def test_search_with_a_non_integer_experiment_id_is_refused(
    search_api: Api, experiment_id: str
) -> None:
    response = await search_api.post("/runs/search", {"experiment_ids": [experiment_id]})
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "experiment_ids")


async def test_search_returns_the_runs_with_their_data(search_api: Api, world: World) -> None:
    body = {"experiment_ids": [world.experiment_id], "filter": "attributes.run_name = 'r01'"}
    (run,) = ok(await search_api.post("/runs/search", body))["runs"]
    assert {m["key"]: m["value"] for m in run["data"]["metrics"]} == {"acc": 0.9, "loss": 0.1}
    assert {p["key"]: p["value"] for p in run["data"]["params"]} == {"model": "cnn", "opt": "sgd"}
    assert [d["dataset"]["name"] for d in run["inputs"]["dataset_inputs"]] == ["train-a"]


async def test_search_returns_nan_metrics_as_strings(search_api: Api, world: World) -> None:
    body = {"experiment_ids": [world.experiment_id], "filter": "attributes.run_name = 'r04'"}
    (run,) = ok(await search_api.post("/runs/search", body))["runs"]
    assert run["data"]["metrics"] == [{"key": "acc", "value": "NaN", "timestamp": 4000, "step": 0}]
