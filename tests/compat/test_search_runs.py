"""``MlflowClient.search_runs``: the filter grammar, order_by, paging and invalid input."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
from mlflow import MlflowClient
from mlflow.entities import Metric, Param, RunTag
from mlflow.exceptions import MlflowException

pytestmark = pytest.mark.compat

T0 = 1_700_000_000_000

# Four runs with deliberately uneven data: some keys are missing, some values differ only in case.
RUNS = {
    "alpha": {
        "metrics": {"acc": 0.9, "loss": 0.3},
        "params": {"model": "rf", "lr": "0.1", "optimizer": "adam"},
        "tags": {"team": "vision", "my key": "spaced", "release.channel": "stable"},
        "status": "FINISHED",
        "start": T0 + 1000,
        "end": T0 + 1500,
    },
    "beta": {
        "metrics": {"acc": 0.7, "loss": 0.5},
        "params": {"model": "RF", "lr": "0.01", "optimizer": "sgd"},
        "tags": {"team": "nlp"},
        "status": "FAILED",
        "start": T0 + 2000,
        "end": T0 + 2500,
    },
    "gamma": {
        "metrics": {"acc": 0.8},
        "params": {"model": "svm", "optimizer": "adam"},
        "tags": {"release.channel": "beta"},
        "status": "RUNNING",
        "start": T0 + 3000,
        "end": None,
    },
    "delta": {
        "metrics": {},
        "params": {},
        "tags": {"team": "Vision"},
        "status": "FINISHED",
        "start": T0 + 4000,
        "end": T0 + 4500,
    },
}


class RunSet:
    """The four runs above in this test's experiment, searchable by run name."""

    def __init__(self, client: MlflowClient, experiment_id: str) -> None:
        self.client = client
        self.experiment_id = experiment_id
        self.ids: dict[str, str] = {}
        for name, spec in RUNS.items():
            run_id = client.create_run(
                experiment_id, run_name=name, start_time=spec["start"]
            ).info.run_id
            client.log_batch(
                run_id,
                metrics=[Metric(k, v, T0, 0) for k, v in spec["metrics"].items()],
                params=[Param(k, v) for k, v in spec["params"].items()],
                tags=[RunTag(k, v) for k, v in spec["tags"].items()],
            )
            if spec["status"] != "RUNNING":
                client.set_terminated(run_id, status=spec["status"], end_time=spec["end"])
            self.ids[name] = run_id
        self.names = {run_id: name for name, run_id in self.ids.items()}

    def search(self, filter_string: str = "", order_by: list[str] | None = None) -> list[str]:
        runs = self.client.search_runs([self.experiment_id], filter_string, order_by=order_by)
        return [self.names[run.info.run_id] for run in runs]

    def placeholders(self) -> dict[str, object]:
        values: dict[str, object] = dict(self.ids)
        values.update({f"{name}_start": spec["start"] for name, spec in RUNS.items()})
        return values


@pytest.fixture
def runs(client: MlflowClient, experiment_id: str) -> RunSet:
    return RunSet(client, experiment_id)


FILTERS = [
    # metrics: numeric comparisons; a run without the metric never matches, not even `!=`
    ("metrics.acc > 0.75", {"alpha", "gamma"}),
    ("metrics.acc >= 0.8", {"alpha", "gamma"}),
    ("metrics.acc < 0.8", {"beta"}),
    ("metrics.acc <= 0.7", {"beta"}),
    ("metrics.acc = 0.9", {"alpha"}),
    ("metrics.acc != 0.9", {"beta", "gamma"}),
    ("metric.loss > 0.4", {"beta"}),
    # params
    ("params.model = 'rf'", {"alpha"}),
    ('params.model = "svm"', {"gamma"}),
    ("params.model != 'rf'", {"beta", "gamma"}),
    ("param.optimizer = 'adam'", {"alpha", "gamma"}),
    ("parameters.lr = '0.01'", {"beta"}),
    # LIKE is case-sensitive, ILIKE is not; `%` and `_` are wildcards
    ("params.model LIKE 'r%'", {"alpha"}),
    ("params.model LIKE 'R_'", {"beta"}),
    ("params.model LIKE '%'", {"alpha", "beta", "gamma"}),
    ("params.model ILIKE 'r%'", {"alpha", "beta"}),
    ("tags.team LIKE 'V%'", {"delta"}),
    ("tags.team ILIKE 'VISION'", {"alpha", "delta"}),
    # IS NULL / IS NOT NULL on params and tags
    ("params.lr IS NULL", {"gamma", "delta"}),
    ("params.lr IS NOT NULL", {"alpha", "beta"}),
    ("tags.team IS NULL", {"gamma"}),
    ("tags.team IS NOT NULL", {"alpha", "beta", "delta"}),
    # tags, quoted keys and keys containing dots
    ("tags.team = 'vision'", {"alpha"}),
    ("tag.team != 'vision'", {"beta", "delta"}),
    ("tags.`my key` = 'spaced'", {"alpha"}),
    ("tags.\"my key\" = 'spaced'", {"alpha"}),
    ("tags.release.channel = 'stable'", {"alpha"}),
    ("tags.`release.channel` = 'beta'", {"gamma"}),
    ("tags.mlflow.runName = 'gamma'", {"gamma"}),
    # attributes, with and without the prefix
    ("attributes.run_name = 'alpha'", {"alpha"}),
    ("run_name = 'beta'", {"beta"}),
    ("attributes.run_name LIKE 'a%'", {"alpha"}),
    ("attributes.run_name ILIKE 'G%'", {"gamma"}),
    ("attributes.`run name` = 'delta'", {"delta"}),
    ("attributes.status = 'FINISHED'", {"alpha", "delta"}),
    ("status = 'RUNNING'", {"gamma"}),
    ("attributes.status != 'FINISHED'", {"beta", "gamma"}),
    ("attributes.start_time >= {beta_start}", {"beta", "gamma", "delta"}),
    ("attributes.start_time > {beta_start} AND attributes.start_time < {delta_start}", {"gamma"}),
    ("attributes.created >= {delta_start}", {"delta"}),
    ("attributes.end_time <= {beta_start}", {"alpha"}),
    ("attributes.run_id = '{beta}'", {"beta"}),
    ("attributes.run_id IN ('{alpha}', '{delta}')", {"alpha", "delta"}),
    ("attributes.run_id NOT IN ('{alpha}')", {"beta", "gamma", "delta"}),
    # conjunctions, any case of AND
    ("metrics.acc > 0.5 AND params.optimizer = 'adam'", {"alpha", "gamma"}),
    ("metrics.acc > 0.5 and params.optimizer = 'adam' And tags.team = 'vision'", {"alpha"}),
]


@pytest.mark.parametrize(("template", "expected"), FILTERS, ids=[f for f, _ in FILTERS])
def test_filter_selects_matching_runs(runs: RunSet, template: str, expected: set[str]) -> None:
    filter_string = template.format(**runs.placeholders())

    assert set(runs.search(filter_string)) == expected


def test_default_order_is_start_time_descending(runs: RunSet) -> None:
    assert runs.search() == ["delta", "gamma", "beta", "alpha"]


ORDERINGS = [
    # runs without the key come last in both directions; ties fall back to start_time DESC
    (["metrics.acc DESC"], ["alpha", "gamma", "beta", "delta"]),
    (["metrics.acc ASC"], ["beta", "gamma", "alpha", "delta"]),
    (["metrics.acc"], ["beta", "gamma", "alpha", "delta"]),
    (["metrics.loss ASC"], ["alpha", "beta", "delta", "gamma"]),
    (["metrics.`acc` desc"], ["alpha", "gamma", "beta", "delta"]),
    (["tags.`my key` DESC"], ["alpha", "delta", "gamma", "beta"]),
    (["params.optimizer ASC", "metrics.acc DESC"], ["alpha", "gamma", "beta", "delta"]),
    (["params.optimizer DESC", "metrics.acc ASC"], ["beta", "gamma", "alpha", "delta"]),
    (["attributes.status ASC", "attributes.start_time ASC"], ["beta", "alpha", "delta", "gamma"]),
    (["attributes.run_name DESC"], ["gamma", "delta", "beta", "alpha"]),
    (["run_name"], ["alpha", "beta", "delta", "gamma"]),
    (["attributes.start_time ASC"], ["alpha", "beta", "gamma", "delta"]),
    (["attributes.end_time DESC"], ["delta", "beta", "alpha", "gamma"]),
]


@pytest.mark.parametrize(
    ("order_by", "expected"), ORDERINGS, ids=[", ".join(keys) for keys, _ in ORDERINGS]
)
def test_order_by_sorts_runs(runs: RunSet, order_by: list[str], expected: list[str]) -> None:
    assert runs.search(order_by=order_by) == expected


def test_filter_and_order_by_combine(runs: RunSet) -> None:
    assert runs.search("metrics.acc > 0", ["metrics.acc ASC"]) == ["beta", "gamma", "alpha"]


@pytest.mark.parametrize(
    ("direction", "expected"),
    [
        ("ASC", ["-inf", "one", "two", "+inf", "nan", "missing"]),
        ("DESC", ["+inf", "two", "one", "-inf", "nan", "missing"]),
    ],
)
def test_order_by_metric_puts_nan_after_numbers_and_missing_last(
    client: MlflowClient, experiment_id: str, direction: str, expected: list[str]
) -> None:
    values = {
        "one": 1.0,
        "nan": math.nan,
        "two": 2.0,
        "missing": None,
        "+inf": math.inf,
        "-inf": -math.inf,
    }
    names = {}
    for offset, (name, value) in enumerate(values.items()):
        run_id = client.create_run(experiment_id, start_time=T0 + offset).info.run_id
        names[run_id] = name
        if value is not None:
            client.log_metric(run_id, "x", value)

    found = client.search_runs([experiment_id], order_by=[f"metrics.x {direction}"])

    assert [names[run.info.run_id] for run in found] == expected


def test_max_results_limits_page_and_returns_token(runs: RunSet) -> None:
    page = runs.client.search_runs([runs.experiment_id], max_results=3)

    assert [runs.names[run.info.run_id] for run in page] == ["delta", "gamma", "beta"]
    assert page.token


def test_last_page_has_no_token(runs: RunSet) -> None:
    page = runs.client.search_runs([runs.experiment_id], max_results=4)

    assert len(page) == 4
    assert not page.token


def test_page_token_walks_all_runs_once_in_order(client: MlflowClient, experiment_id: str) -> None:
    created = [
        client.create_run(experiment_id, start_time=T0 + index).info.run_id for index in range(7)
    ]

    pages: list[list[str]] = []
    token = None
    for _ in range(10):
        page = client.search_runs(
            [experiment_id], order_by=["attributes.start_time ASC"], max_results=3, page_token=token
        )
        pages.append([run.info.run_id for run in page])
        token = page.token
        if not token:
            break

    assert [len(page) for page in pages] == [3, 3, 1]
    assert [run_id for page in pages for run_id in page] == created


def test_page_token_keeps_filter_and_metric_order(client: MlflowClient, experiment_id: str) -> None:
    for index in range(6):
        run_id = client.create_run(experiment_id).info.run_id
        client.log_metric(run_id, "score", float(index))
    query = {"filter_string": "metrics.score >= 1", "order_by": ["metrics.score DESC"]}

    first = client.search_runs([experiment_id], max_results=2, **query)
    second = client.search_runs([experiment_id], max_results=2, page_token=first.token, **query)
    third = client.search_runs([experiment_id], max_results=2, page_token=second.token, **query)

    scores = [run.data.metrics["score"] for page in (first, second, third) for run in page]
    assert scores == [5.0, 4.0, 3.0, 2.0, 1.0]
    assert not third.token


@pytest.mark.parametrize(
    "filter_string",
    [
        "metrics.acc >",
        "params.model = rf",
        "foo.bar = 'x'",
        "metrics.acc ~ 1",
        "metrics.acc = 'high'",
        "params.model > 'a'",
        "attributes.no_such_attribute = 'x'",
        "tags.team == 'vision'",
    ],
)
def test_invalid_filter_raises_invalid_parameter_value(runs: RunSet, filter_string: str) -> None:
    with pytest.raises(MlflowException) as raised:
        runs.search(filter_string)

    assert raised.value.error_code == "INVALID_PARAMETER_VALUE"


@pytest.mark.parametrize(
    "order_by", ["metrics.acc UP", "nope.acc ASC", "attributes.no_such_attribute DESC"]
)
def test_invalid_order_by_raises_invalid_parameter_value(
    client: MlflowClient, experiment_id: str, order_by: str
) -> None:
    with pytest.raises(MlflowException) as raised:
        client.search_runs([experiment_id], order_by=[order_by])

    assert raised.value.error_code == "INVALID_PARAMETER_VALUE"


def test_garbage_page_token_raises_invalid_parameter_value(
    client: MlflowClient, experiment_id: str
) -> None:
    with pytest.raises(MlflowException) as raised:
        client.search_runs([experiment_id], page_token="not-a-token")

    assert raised.value.error_code == "INVALID_PARAMETER_VALUE"


def test_max_results_above_50000_raises_invalid_parameter_value(
    client: MlflowClient, experiment_id: str
) -> None:
    with pytest.raises(MlflowException) as raised:
        client.search_runs([experiment_id], max_results=50_001)

    assert raised.value.error_code == "INVALID_PARAMETER_VALUE"


def test_search_spans_several_experiments(
    client: MlflowClient, unique_name: Callable[[str], str]
) -> None:
    first = client.create_experiment(unique_name("span-a"))
    second = client.create_experiment(unique_name("span-b"))
    run_a = client.create_run(first).info.run_id
    run_b = client.create_run(second).info.run_id

    found = client.search_runs([first, second])

    assert {run.info.run_id for run in found} == {run_a, run_b}


# Shipyard extensions, documented in shipyard.domain.search_grammars: OR and parentheses, IN on
# params and tags, IS NULL on metrics. MLflow answers 400 INVALID_PARAMETER_VALUE to all of them.

EXTENDED_FILTERS = [
    ("tags.team = 'vision' OR tags.team = 'nlp'", {"alpha", "beta"}),
    ("tags.team = 'nlp' or status = 'RUNNING'", {"beta", "gamma"}),
    ("tags.team IS NULL OR params.lr IS NULL", {"gamma", "delta"}),
    ("(metrics.acc > 0.85 OR metrics.acc < 0.75) AND params.optimizer = 'adam'", {"alpha"}),
    # AND binds tighter than OR: this is nlp OR (acc > 0.85 AND adam), not (nlp OR acc) AND adam
    ("tags.team = 'nlp' OR metrics.acc > 0.85 AND params.optimizer = 'adam'", {"alpha", "beta"}),
    ("((tags.team = 'nlp'))", {"beta"}),
    (
        "attributes.run_id IN ('{alpha}') OR (params.model ILIKE 'S%' AND status = 'RUNNING')",
        {"alpha", "gamma"},
    ),
    ("params.model IN ('rf', 'svm')", {"alpha", "gamma"}),
    # like `!=`, NOT IN never matches a run that lacks the key
    ("params.model NOT IN ('rf')", {"beta", "gamma"}),
    ("tags.team IN ('nlp', 'Vision')", {"beta", "delta"}),
    ("metrics.loss IS NULL", {"gamma", "delta"}),
    ("metrics.loss IS NOT NULL", {"alpha", "beta"}),
]


@pytest.mark.usefixtures("shipyard_only")
@pytest.mark.parametrize(
    ("template", "expected"), EXTENDED_FILTERS, ids=[f for f, _ in EXTENDED_FILTERS]
)
def test_shipyard_extended_filter_selects_matching_runs(
    runs: RunSet, template: str, expected: set[str]
) -> None:
    assert set(runs.search(template.format(**runs.placeholders()))) == expected


@pytest.mark.usefixtures("shipyard_only")
@pytest.mark.parametrize(
    "filter_string",
    [
        "(tags.team = 'nlp'",
        "tags.team = 'nlp')",
        "tags.team = 'nlp' OR",
        "OR tags.team = 'nlp'",
        "()",
        "tags.team = 'nlp' OR OR status = 'RUNNING'",
    ],
)
def test_shipyard_malformed_or_and_parentheses_raise_invalid_parameter_value(
    runs: RunSet, filter_string: str
) -> None:
    with pytest.raises(MlflowException) as raised:
        runs.search(filter_string)

    assert raised.value.error_code == "INVALID_PARAMETER_VALUE"


@pytest.mark.usefixtures("shipyard_only")
def test_shipyard_duplicate_order_by_key_raises_invalid_parameter_value(
    client: MlflowClient, experiment_id: str
) -> None:
    # MLflow answers 500 INTERNAL_ERROR ("duplicate fields"), a bug not to copy: it is bad input.
    with pytest.raises(MlflowException) as raised:
        client.search_runs([experiment_id], order_by=["metrics.acc DESC", "metrics.acc ASC"])

    assert raised.value.error_code == "INVALID_PARAMETER_VALUE"
