"""A metric's history: every point in pages, and chart-sized samples of it."""

from __future__ import annotations

import math
import random
from collections.abc import Callable

import pytest

from shipyard.domain.entities import Metric
from shipyard.domain.errors import InvalidParameter, LimitExceeded, NotFound
from shipyard.store.tracking import TrackingStore

RunFactory = Callable[..., str]
UNKNOWN_RUN = "0123456789abcdef0123456789abcdef"


def log_points(store: TrackingStore, run_id: str, points: list[Metric]) -> None:
    for start in range(0, len(points), 1000):
        store.log_batch(run_id, metrics=points[start : start + 1000])


def all_pages(store: TrackingStore, run_id: str, key: str, size: int) -> list[list[Metric]]:
    pages = []
    token = None
    while True:
        page = store.get_metric_history(run_id, key, max_results=size, page_token=token)
        pages.append(page.items)
        token = page.next_page_token
        if not token:
            return pages


def as_tuples(points: list[Metric]) -> list[tuple[int, int, float]]:
    return [(m.timestamp, m.step, m.value) for m in points]


# -- full history -------------------------------------------------------------------------------


def test_history_pages_return_every_point_once_in_timestamp_step_value_order(
    store: TrackingStore, run_id: str
) -> None:
    rng = random.Random(7)
    points = [
        Metric("loss", float(rng.randint(0, 3)), rng.randint(0, 20), rng.randint(0, 5))
        for _ in range(300)
    ]
    log_points(store, run_id, points)
    expected = sorted(set(as_tuples(points)))

    pages = all_pages(store, run_id, "loss", size=7)

    assert [t for page in pages for t in as_tuples(page)] == expected
    assert all(len(page) == 7 for page in pages[:-1])


def test_history_of_a_key_never_logged_is_empty(store: TrackingStore, run_id: str) -> None:
    page = store.get_metric_history(run_id, "missing")

    assert (page.items, page.next_page_token) == ([], None)


def test_history_only_has_points_of_the_requested_key(store: TrackingStore, run_id: str) -> None:
    store.log_batch(run_id, metrics=[Metric("loss", 1.0, 1), Metric("acc", 2.0, 1)])

    assert [m.key for m in store.get_metric_history(run_id, "loss").items] == ["loss"]


def test_history_only_has_points_of_the_requested_run(
    store: TrackingStore, make_run: RunFactory
) -> None:
    first, second = make_run(), make_run()
    store.log_metric(first, Metric("loss", 1.0, 1))
    store.log_metric(second, Metric("loss", 2.0, 1))

    assert [m.value for m in store.get_metric_history(first, "loss").items] == [1.0]


def test_history_keeps_nan_and_infinities_across_pages(store: TrackingStore, run_id: str) -> None:
    values = [math.nan, math.inf, -math.inf, 0.0]
    store.log_batch(run_id, metrics=[Metric("loss", v, 10, i) for i, v in enumerate(values)])

    pages = all_pages(store, run_id, "loss", size=1)

    got = [m.value for page in pages for m in page]
    assert math.isnan(got[0])
    assert got[1:] == [math.inf, -math.inf, 0.0]


def test_history_pages_through_points_that_differ_only_by_nan(
    store: TrackingStore, run_id: str
) -> None:
    store.log_batch(run_id, metrics=[Metric("loss", 0.0, 5), Metric("loss", math.nan, 5)])

    pages = all_pages(store, run_id, "loss", size=1)

    assert [len(page) for page in pages] == [1, 1]
    assert [math.isnan(page[0].value) for page in pages] == [False, True]


def test_history_of_a_deleted_run_is_still_readable(store: TrackingStore, run_id: str) -> None:
    store.log_metric(run_id, Metric("loss", 1.0, 1))
    store.delete_run(run_id)

    assert len(store.get_metric_history(run_id, "loss").items) == 1


def test_history_token_from_another_metric_is_refused(store: TrackingStore, run_id: str) -> None:
    store.log_batch(
        run_id, metrics=[Metric(key, 1.0, ts) for key in ("loss", "acc") for ts in range(3)]
    )
    token = store.get_metric_history(run_id, "loss", max_results=1).next_page_token
    assert token

    with pytest.raises(InvalidParameter, match="page token"):
        store.get_metric_history(run_id, "acc", max_results=1, page_token=token)


def test_history_token_from_another_run_is_refused(
    store: TrackingStore, make_run: RunFactory
) -> None:
    first, second = make_run(), make_run()
    for run in (first, second):
        store.log_batch(run, metrics=[Metric("loss", 1.0, ts) for ts in range(3)])
    token = store.get_metric_history(first, "loss", max_results=1).next_page_token
    assert token

    with pytest.raises(InvalidParameter, match="page token"):
        store.get_metric_history(second, "loss", max_results=1, page_token=token)


def test_history_refuses_a_garbage_token(store: TrackingStore, run_id: str) -> None:
    with pytest.raises(InvalidParameter, match="page token"):
        store.get_metric_history(run_id, "loss", page_token="not-a-token!")


def test_history_of_an_unknown_run_raises_not_found(store: TrackingStore) -> None:
    with pytest.raises(NotFound):
        store.get_metric_history(UNKNOWN_RUN, "loss")


def test_history_refuses_pages_over_25000_points(store: TrackingStore, run_id: str) -> None:
    with pytest.raises(LimitExceeded):
        store.get_metric_history(run_id, "loss", max_results=25001)


# -- sampled history ----------------------------------------------------------------------------


def sampled(store: TrackingStore, run_ids: list[str], **kwargs: int) -> list[Metric]:
    return store.get_metric_history_sampled(run_ids, "loss", **kwargs)


def test_sampled_history_returns_everything_when_it_fits(store: TrackingStore, run_id: str) -> None:
    log_points(store, run_id, [Metric("loss", float(s), 100 + s, s) for s in range(50)])

    points = sampled(store, [run_id], max_results=50)

    assert [m.step for m in points] == list(range(50))
    assert {m.run_id for m in points} == {run_id}


def test_sampled_history_returns_at_most_max_results_points(
    store: TrackingStore, run_id: str
) -> None:
    log_points(store, run_id, [Metric("loss", math.sin(s), s, s) for s in range(3000)])

    points = sampled(store, [run_id], max_results=101)

    assert 0 < len(points) <= 101


def test_sampled_history_includes_the_first_and_last_points(
    store: TrackingStore, run_id: str
) -> None:
    log_points(store, run_id, [Metric("loss", 0.5, s, s) for s in range(3000)])

    points = sampled(store, [run_id], max_results=20)

    assert (points[0].step, points[-1].step) == (0, 2999)


def test_sampled_history_is_in_step_order(store: TrackingStore, run_id: str) -> None:
    log_points(store, run_id, [Metric("loss", math.cos(s), s, s) for s in range(3000)])

    steps = [m.step for m in sampled(store, [run_id], max_results=64)]

    assert steps == sorted(steps)


def test_sampled_history_keeps_a_single_spike_in_100000_points(
    store: TrackingStore, run_id: str
) -> None:
    points = [Metric("loss", 1.0, s, s) for s in range(100_000)]
    points[54_321] = Metric("loss", 1e6, 54_321, 54_321)
    points[77_777] = Metric("loss", -1e6, 77_777, 77_777)
    log_points(store, run_id, points)

    sample = sampled(store, [run_id], max_results=100)

    assert len(sample) <= 100
    assert {(m.step, m.value) for m in sample} >= {(54_321, 1e6), (77_777, -1e6)}


def test_sampled_history_stays_within_the_step_window(store: TrackingStore, run_id: str) -> None:
    log_points(store, run_id, [Metric("loss", float(s), s, s) for s in range(2000)])

    points = sampled(store, [run_id], max_results=50, start_step=500, end_step=1500)

    steps = [m.step for m in points]
    assert (min(steps), max(steps)) == (500, 1500)
    assert len(steps) <= 50


def test_sampled_history_of_a_window_that_fits_returns_all_of_it(
    store: TrackingStore, run_id: str
) -> None:
    log_points(store, run_id, [Metric("loss", float(s), s, s) for s in range(100)])

    points = sampled(store, [run_id], max_results=50, start_step=10, end_step=19)

    assert [m.step for m in points] == list(range(10, 20))


def test_sampled_history_samples_each_run_separately(
    store: TrackingStore, make_run: RunFactory
) -> None:
    short, long = make_run(), make_run()
    log_points(store, short, [Metric("loss", 1.0, s, s) for s in range(5)])
    log_points(store, long, [Metric("loss", 2.0, s, s) for s in range(2000)])

    points = sampled(store, [short, long], max_results=30)

    by_run = {run: [m for m in points if m.run_id == run] for run in (short, long)}
    assert len(by_run[short]) == 5
    assert 0 < len(by_run[long]) <= 30
    assert (by_run[long][0].step, by_run[long][-1].step) == (0, 1999)


def test_sampled_history_of_a_run_without_the_metric_is_empty(
    store: TrackingStore, run_id: str
) -> None:
    assert sampled(store, [run_id], max_results=10) == []


def test_sampled_history_keeps_nan_points(store: TrackingStore, run_id: str) -> None:
    store.log_batch(run_id, metrics=[Metric("loss", math.nan, 1, 1), Metric("loss", 1.0, 2, 2)])

    points = sampled(store, [run_id], max_results=10)

    assert math.isnan(points[0].value)


def test_sampled_history_uses_320_points_by_default(store: TrackingStore, run_id: str) -> None:
    log_points(store, run_id, [Metric("loss", math.sin(s), s, s) for s in range(5000)])

    points = store.get_metric_history_sampled([run_id], "loss")

    assert 300 <= len(points) <= 320


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param({"start_step": 5}, "both start_step and end_step", id="start-only"),
        pytest.param({"end_step": 5}, "both start_step and end_step", id="end-only"),
        pytest.param({"start_step": 9, "end_step": 5}, "greater than", id="reversed"),
        pytest.param({"max_results": 0}, "positive", id="zero-points"),
    ],
)
def test_sampled_history_refuses_bad_arguments(
    store: TrackingStore, run_id: str, kwargs: dict[str, int], message: str
) -> None:
    with pytest.raises(InvalidParameter, match=message):
        sampled(store, [run_id], **kwargs)


def test_sampled_history_refuses_more_than_5000_points(store: TrackingStore, run_id: str) -> None:
    with pytest.raises(LimitExceeded):
        sampled(store, [run_id], max_results=5001)


def test_sampled_history_refuses_no_runs(store: TrackingStore) -> None:
    with pytest.raises(InvalidParameter, match="run_ids"):
        sampled(store, [])


def test_sampled_history_refuses_more_than_100_runs(store: TrackingStore) -> None:
    with pytest.raises(InvalidParameter, match="At most 100 runs"):
        sampled(store, [f"{i:032x}" for i in range(101)])


def test_sampled_history_of_an_unknown_run_raises_not_found(
    store: TrackingStore, run_id: str
) -> None:
    with pytest.raises(NotFound):
        sampled(store, [run_id, UNKNOWN_RUN])
