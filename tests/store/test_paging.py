"""Keyset paging across searches: stable pages while rows arrive, and refused forged tokens."""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Callable
from typing import Any

import pytest

from shipyard.domain.entities import Metric
from shipyard.domain.errors import InvalidParameter
from shipyard.store.tracking import TrackingStore

RunFactory = Callable[..., str]


def decode(token: str) -> dict[str, Any]:
    return json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))


def forge(token: str, position: Any) -> str:
    """The same query's token with another position in it."""
    payload = {"q": decode(token)["q"], "p": position}
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


def run_ids(page: Any) -> list[str]:
    return [run.info.run_id for run in page.items]


# -- stability ----------------------------------------------------------------------------------


def test_run_created_before_the_page_position_does_not_shift_later_pages(
    store: TrackingStore, experiment_id: str, make_run: RunFactory
) -> None:
    runs = {t: make_run(start_time=t) for t in range(1, 10)}
    first = store.search_runs(experiment_ids=[experiment_id], max_results=3)
    assert run_ids(first) == [runs[9], runs[8], runs[7]]

    make_run(start_time=100)  # sorts before every run already seen
    second = store.search_runs(
        experiment_ids=[experiment_id], max_results=3, page_token=first.next_page_token
    )

    assert run_ids(second) == [runs[6], runs[5], runs[4]]


def test_run_created_after_the_page_position_shows_up_in_a_later_page(
    store: TrackingStore, experiment_id: str, make_run: RunFactory
) -> None:
    runs = {t: make_run(start_time=t * 10) for t in range(1, 7)}
    first = store.search_runs(experiment_ids=[experiment_id], max_results=3)

    late = make_run(start_time=15)
    rest = store.search_runs(
        experiment_ids=[experiment_id], max_results=10, page_token=first.next_page_token
    )

    assert run_ids(rest) == [runs[3], runs[2], late, runs[1]]


def test_runs_with_equal_start_times_page_without_repeats_or_gaps(
    store: TrackingStore, experiment_id: str, make_run: RunFactory
) -> None:
    created = {make_run(start_time=5) for _ in range(10)}

    seen: list[str] = []
    token = None
    while True:
        page = store.search_runs(experiment_ids=[experiment_id], max_results=3, page_token=token)
        seen += run_ids(page)
        token = page.next_page_token
        if not token:
            break

    assert sorted(seen) == sorted(created)
    assert seen == sorted(seen)  # ties fall back to run_id ascending


def test_runs_ordered_by_a_metric_page_through_nan_and_missing_values(
    store: TrackingStore, experiment_id: str, make_run: RunFactory
) -> None:
    values = [0.3, None, math.nan, 0.1, None, 0.2, math.nan]
    runs = []
    for value in values:
        run_id = make_run()
        if value is not None:
            store.log_metric(run_id, Metric("acc", value, 1000))
        runs.append(run_id)

    seen: list[str] = []
    token = None
    while True:
        page = store.search_runs(
            experiment_ids=[experiment_id],
            order_by=["metrics.acc ASC"],
            max_results=2,
            page_token=token,
        )
        seen += run_ids(page)
        token = page.next_page_token
        if not token:
            break

    assert seen[:3] == [runs[3], runs[5], runs[0]]
    assert sorted(seen[3:5]) == sorted([runs[2], runs[6]])  # NaN after values
    assert sorted(seen[5:]) == sorted([runs[1], runs[4]])  # missing last


def test_runs_ordered_by_a_param_page_with_missing_values_last(
    store: TrackingStore, experiment_id: str, make_run: RunFactory
) -> None:
    runs = [make_run() for _ in range(5)]
    for run_id, value in zip(runs[:3], ["b", "a", "c"], strict=True):
        store.log_param(run_id, "opt", value)

    seen: list[str] = []
    token = None
    while True:
        page = store.search_runs(
            experiment_ids=[experiment_id],
            order_by=["params.opt DESC"],
            max_results=2,
            page_token=token,
        )
        seen += run_ids(page)
        token = page.next_page_token
        if not token:
            break

    assert seen[:3] == [runs[2], runs[0], runs[1]]
    assert sorted(seen[3:]) == sorted(runs[3:])


# -- tokens -------------------------------------------------------------------------------------


@pytest.fixture
def runs_token(store: TrackingStore, experiment_id: str, make_run: RunFactory) -> str:
    """A real token of the default run listing of ``experiment_id`` (start_time, run_id)."""
    for t in range(3):
        make_run(start_time=t)
    token = store.search_runs(experiment_ids=[experiment_id], max_results=1).next_page_token
    assert token
    return token


def search_with(store: TrackingStore, experiment_id: str, token: str) -> None:
    store.search_runs(experiment_ids=[experiment_id], max_results=1, page_token=token)


def test_real_run_token_carries_a_position_that_works_when_forged_unchanged(
    store: TrackingStore, experiment_id: str, runs_token: str
) -> None:
    again = forge(runs_token, decode(runs_token)["p"])

    page = store.search_runs(experiment_ids=[experiment_id], max_results=1, page_token=again)

    assert page.items[0].info.start_time == 1


@pytest.mark.parametrize(
    "position",
    [
        pytest.param([["late"], ["abc"]], id="string-for-integer"),
        pytest.param([[1.5], ["abc"]], id="float-for-integer"),
        pytest.param([[True], ["abc"]], id="bool-for-integer"),
        pytest.param([[None], ["abc"]], id="null-for-integer"),
        pytest.param([[1], [7]], id="integer-for-string"),
        pytest.param([[1]], id="too-few-keys"),
        pytest.param([[1], ["abc"], [2]], id="too-many-keys"),
        pytest.param([[1, 2], ["abc"]], id="too-wide-key"),
        pytest.param([1, "abc"], id="keys-not-lists"),
        pytest.param({"start_time": 1}, id="not-a-list"),
    ],
)
def test_forged_run_token_with_wrong_types_is_refused(
    store: TrackingStore, experiment_id: str, runs_token: str, position: Any
) -> None:
    with pytest.raises(InvalidParameter, match="page token"):
        search_with(store, experiment_id, forge(runs_token, position))


def test_forged_run_token_with_an_integer_beyond_64_bits_is_refused(
    store: TrackingStore, experiment_id: str, runs_token: str
) -> None:
    with pytest.raises(InvalidParameter, match="page token"):
        search_with(store, experiment_id, forge(runs_token, [[10**30], ["abc"]]))


@pytest.mark.parametrize(
    "position",
    [
        pytest.param([[3, None], [1], ["abc"]], id="unknown-rank"),
        pytest.param([[True, None], [1], ["abc"]], id="bool-rank"),
        pytest.param([[0, "high"], [1], ["abc"]], id="string-value"),
        pytest.param([[0, None], [1], ["abc"]], id="null-value-with-a-value-rank"),
        pytest.param([[0], [1], ["abc"]], id="rank-without-value"),
    ],
)
def test_forged_token_for_a_metric_order_with_a_bad_rank_or_value_is_refused(
    store: TrackingStore,
    experiment_id: str,
    make_run: RunFactory,
    position: Any,
) -> None:
    for value in (0.1, 0.2, 0.3):
        store.log_metric(make_run(), Metric("acc", value, 1000))
    order = ["metrics.acc DESC"]
    token = store.search_runs(
        experiment_ids=[experiment_id], order_by=order, max_results=1
    ).next_page_token
    assert token

    with pytest.raises(InvalidParameter, match="page token"):
        store.search_runs(
            experiment_ids=[experiment_id],
            order_by=order,
            max_results=1,
            page_token=forge(token, position),
        )


@pytest.mark.parametrize(
    "token",
    [
        pytest.param("%%%", id="not-base64"),
        pytest.param(base64.urlsafe_b64encode(b"not json").decode(), id="not-json"),
        pytest.param(base64.urlsafe_b64encode(b'{"p": []}').decode(), id="no-query"),
        pytest.param(base64.urlsafe_b64encode(b"[1, 2]").decode(), id="json-list"),
        pytest.param(base64.urlsafe_b64encode(b'{"offset": 1000}').decode(), id="mlflow-style"),
    ],
)
def test_garbage_run_token_is_refused(store: TrackingStore, experiment_id: str, token: str) -> None:
    with pytest.raises(InvalidParameter, match="page token"):
        search_with(store, experiment_id, token)


def test_run_token_from_another_filter_is_refused(
    store: TrackingStore, experiment_id: str, runs_token: str
) -> None:
    with pytest.raises(InvalidParameter, match="different search"):
        store.search_runs(
            experiment_ids=[experiment_id],
            filter_string="attributes.status = 'RUNNING'",
            max_results=1,
            page_token=runs_token,
        )


def test_run_token_from_other_experiments_is_refused(store: TrackingStore, runs_token: str) -> None:
    other = store.create_experiment("other")

    with pytest.raises(InvalidParameter, match="different search"):
        search_with(store, other, runs_token)


def test_forged_experiment_token_with_a_string_id_is_refused(store: TrackingStore) -> None:
    for name in ("a", "b", "c"):
        store.create_experiment(name)
    token = store.search_experiments(max_results=1).next_page_token
    assert token
    creation_time, _ = decode(token)["p"]

    with pytest.raises(InvalidParameter, match="page token"):
        store.search_experiments(max_results=1, page_token=forge(token, [creation_time, ["1"]]))


@pytest.mark.parametrize(
    "position",
    [
        pytest.param([[1], [0], [0.0], ["no"]], id="string-for-bool"),
        pytest.param([[1], [0], ["x"], [False]], id="string-for-float"),
        pytest.param([[1], [0], [0.0], [0]], id="integer-for-bool"),
    ],
)
def test_forged_history_token_with_wrong_types_is_refused(
    store: TrackingStore, run_id: str, position: Any
) -> None:
    store.log_batch(run_id, metrics=[Metric("loss", 1.0, ts) for ts in range(3)])
    token = store.get_metric_history(run_id, "loss", max_results=1).next_page_token
    assert token

    with pytest.raises(InvalidParameter, match="page token"):
        store.get_metric_history(run_id, "loss", max_results=1, page_token=forge(token, position))
