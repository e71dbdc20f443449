"""Logging to runs: params, tags and metrics, one at a time and in batches."""

from __future__ import annotations

import math
import threading

import pytest

from shipyard.domain.entities import Metric
from shipyard.domain.errors import InvalidParameter, LimitExceeded, NotFound
from shipyard.store.tracking import TrackingStore

UNKNOWN_MODEL = "m-" + "0" * 32


def point(value: float, *, step: int = 0, timestamp: int = 1000, key: str = "loss") -> Metric:
    return Metric(key=key, value=value, timestamp=timestamp, step=step)


def latest(store: TrackingStore, run_id: str, key: str = "loss") -> tuple[int, int, float]:
    (metric,) = [m for m in store.get_run(run_id).metrics if m.key == key]
    return (metric.step, metric.timestamp, metric.value)


def history(store: TrackingStore, run_id: str, key: str = "loss") -> list[Metric]:
    return store.get_metric_history(run_id, key).items


# -- params -------------------------------------------------------------------------------------


def test_log_param_stores_it(store: TrackingStore, run_id: str) -> None:
    store.log_param(run_id, "lr", "0.1")

    assert store.get_run(run_id).params == {"lr": "0.1"}


def test_log_param_again_with_the_same_value_is_accepted(store: TrackingStore, run_id: str) -> None:
    store.log_param(run_id, "lr", "0.1")

    store.log_param(run_id, "lr", "0.1")

    assert store.get_run(run_id).params == {"lr": "0.1"}


def test_log_param_with_a_different_value_is_refused(store: TrackingStore, run_id: str) -> None:
    store.log_param(run_id, "lr", "0.1")

    with pytest.raises(InvalidParameter, match="Changing param values is not allowed"):
        store.log_param(run_id, "lr", "0.2")
    assert store.get_run(run_id).params == {"lr": "0.1"}


def test_log_batch_changing_a_logged_param_is_refused(store: TrackingStore, run_id: str) -> None:
    store.log_param(run_id, "lr", "0.1")

    with pytest.raises(InvalidParameter, match="lr"):
        store.log_batch(run_id, params=[("epochs", "3"), ("lr", "0.2")])


def test_log_batch_changing_a_logged_param_stores_nothing_of_the_batch(
    store: TrackingStore, run_id: str
) -> None:
    store.log_param(run_id, "lr", "0.1")

    with pytest.raises(InvalidParameter):
        store.log_batch(
            run_id,
            metrics=[point(1.0)],
            params=[("epochs", "3"), ("lr", "0.2")],
            tags=[("team", "ml")],
        )

    run = store.get_run(run_id)
    assert (run.params, run.metrics, "team" in run.tags) == ({"lr": "0.1"}, [], False)


def test_log_batch_failing_late_stores_nothing_of_the_batch(
    store: TrackingStore, run_id: str
) -> None:
    # The params and metric points are inserted before the unknown model is noticed.
    with pytest.raises(NotFound):
        store.log_batch(
            run_id,
            metrics=[point(1.0), Metric("acc", 0.5, 1000, 0, model_id=UNKNOWN_MODEL)],
            params=[("epochs", "3")],
            tags=[("team", "ml")],
        )

    run = store.get_run(run_id)
    assert (run.params, run.metrics, "team" in run.tags) == ({}, [], False)
    assert history(store, run_id) == []


def test_log_batch_with_the_same_param_key_twice_is_refused(
    store: TrackingStore, run_id: str
) -> None:
    with pytest.raises(InvalidParameter, match="Duplicate parameter keys"):
        store.log_batch(run_id, params=[("lr", "0.1"), ("lr", "0.1")])


def test_log_param_truncates_a_value_over_6000_characters(
    store: TrackingStore, run_id: str
) -> None:
    store.log_param(run_id, "long", "v" * 7000)

    assert store.get_run(run_id).params["long"] == "v" * 6000


def test_log_param_again_with_the_same_long_value_is_accepted(
    store: TrackingStore, run_id: str
) -> None:
    store.log_param(run_id, "long", "v" * 7000)

    store.log_param(run_id, "long", "v" * 7000)

    assert len(store.get_run(run_id).params["long"]) == 6000


def test_log_param_to_an_unknown_run_raises_not_found(store: TrackingStore) -> None:
    with pytest.raises(NotFound):
        store.log_param("0123456789abcdef0123456789abcdef", "lr", "0.1")


# -- tags ---------------------------------------------------------------------------------------


def test_set_tag_overwrites_the_value(store: TrackingStore, run_id: str) -> None:
    store.set_tag(run_id, "team", "ml")

    store.set_tag(run_id, "team", "infra")

    assert store.get_run(run_id).tags["team"] == "infra"


def test_set_tag_truncates_a_value_over_8000_characters(store: TrackingStore, run_id: str) -> None:
    store.set_tag(run_id, "note", "t" * 9000)

    assert store.get_run(run_id).tags["note"] == "t" * 8000


def test_delete_tag_removes_it(store: TrackingStore, run_id: str) -> None:
    store.set_tag(run_id, "team", "ml")

    store.delete_tag(run_id, "team")

    assert "team" not in store.get_run(run_id).tags


def test_delete_tag_that_is_not_set_raises_not_found(store: TrackingStore, run_id: str) -> None:
    with pytest.raises(NotFound, match="team"):
        store.delete_tag(run_id, "team")


# -- deleted runs -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "write",
    [
        pytest.param(lambda s, r: s.log_param(r, "lr", "0.1"), id="log_param"),
        pytest.param(lambda s, r: s.set_tag(r, "team", "ml"), id="set_tag"),
        pytest.param(lambda s, r: s.log_metric(r, point(1.0)), id="log_metric"),
        pytest.param(lambda s, r: s.delete_tag(r, "mlflow.runName"), id="delete_tag"),
    ],
)
def test_writes_to_a_deleted_run_are_refused(store: TrackingStore, run_id: str, write) -> None:
    store.delete_run(run_id)

    with pytest.raises(InvalidParameter, match="active"):
        write(store, run_id)


# -- keys ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["a//b", "../x", "/x", ".", "a/./b", "a/", "bad!key", "tab\tkey"])
@pytest.mark.parametrize("kind", ["metric", "param", "tag"])
def test_log_batch_refuses_an_invalid_key(
    store: TrackingStore, run_id: str, key: str, kind: str
) -> None:
    with pytest.raises(InvalidParameter):
        if kind == "metric":
            store.log_batch(run_id, metrics=[point(1.0, key=key)])
        elif kind == "param":
            store.log_batch(run_id, params=[(key, "v")])
        else:
            store.log_batch(run_id, tags=[(key, "v")])


@pytest.mark.parametrize("key", ["a/b", "a.b", "with space", "ns:key", "dash-and_under"])
def test_log_param_accepts_a_valid_key(store: TrackingStore, run_id: str, key: str) -> None:
    store.log_param(run_id, key, "v")

    assert store.get_run(run_id).params == {key: "v"}


def test_log_param_refuses_a_key_over_250_characters(store: TrackingStore, run_id: str) -> None:
    with pytest.raises(LimitExceeded):
        store.log_param(run_id, "k" * 251, "v")


# -- batch limits -------------------------------------------------------------------------------


def test_log_batch_accepts_1000_metrics(store: TrackingStore, run_id: str) -> None:
    store.log_batch(run_id, metrics=[point(float(i), step=i) for i in range(1000)])

    assert len(history(store, run_id)) == 1000


@pytest.mark.parametrize(
    ("metrics", "params", "tags"),
    [
        pytest.param(1001, 0, 0, id="1001-metrics"),
        pytest.param(0, 101, 0, id="101-params"),
        pytest.param(0, 0, 101, id="101-tags"),
        pytest.param(900, 100, 1, id="1001-in-all"),
    ],
)
def test_log_batch_over_a_limit_raises_limit_exceeded(
    store: TrackingStore, run_id: str, metrics: int, params: int, tags: int
) -> None:
    with pytest.raises(LimitExceeded, match="at most"):
        store.log_batch(
            run_id,
            metrics=[point(1.0, step=i) for i in range(metrics)],
            params=[(f"p{i}", "v") for i in range(params)],
            tags=[(f"t{i}", "v") for i in range(tags)],
        )


def test_log_batch_at_every_limit_at_once_is_accepted(store: TrackingStore, run_id: str) -> None:
    store.log_batch(
        run_id,
        metrics=[point(1.0, step=i) for i in range(800)],
        params=[(f"p{i}", "v") for i in range(100)],
        tags=[(f"t{i}", "v") for i in range(100)],
    )

    run = store.get_run(run_id)
    assert (len(run.params), len(run.tags)) == (100, 101)  # and mlflow.runName


# -- metric points ------------------------------------------------------------------------------


def test_log_metric_stores_the_point(store: TrackingStore, run_id: str) -> None:
    store.log_metric(run_id, point(0.5, step=3, timestamp=1234))

    assert [(m.key, m.value, m.timestamp, m.step) for m in history(store, run_id)] == [
        ("loss", 0.5, 1234, 3)
    ]


def test_log_metric_of_an_exact_repeat_stores_it_once(store: TrackingStore, run_id: str) -> None:
    store.log_metric(run_id, point(0.5, step=1))

    store.log_metric(run_id, point(0.5, step=1))

    assert len(history(store, run_id)) == 1


def test_log_batch_retried_stores_each_point_once(store: TrackingStore, run_id: str) -> None:
    batch = [point(float(i), step=i) for i in range(10)]

    store.log_batch(run_id, metrics=batch)
    store.log_batch(run_id, metrics=batch)

    assert len(history(store, run_id)) == 10


def test_log_batch_with_an_exact_repeat_inside_stores_it_once(
    store: TrackingStore, run_id: str
) -> None:
    store.log_batch(run_id, metrics=[point(0.5), point(0.5)])

    assert len(history(store, run_id)) == 1


def test_log_metric_keeps_points_that_differ_only_in_value(
    store: TrackingStore, run_id: str
) -> None:
    store.log_metric(run_id, point(0.5))
    store.log_metric(run_id, point(0.6))

    assert sorted(m.value for m in history(store, run_id)) == [0.5, 0.6]


@pytest.mark.parametrize("value", [math.inf, -math.inf, 1.7976931348623157e308, -0.0, 5e-324])
def test_log_metric_value_round_trips_exactly(
    store: TrackingStore, run_id: str, value: float
) -> None:
    store.log_metric(run_id, point(value))

    (stored,) = history(store, run_id)
    assert stored.value == value
    assert latest(store, run_id)[2] == value


def test_log_metric_nan_round_trips_as_nan(store: TrackingStore, run_id: str) -> None:
    store.log_metric(run_id, point(math.nan))

    (stored,) = history(store, run_id)
    assert math.isnan(stored.value)
    assert math.isnan(latest(store, run_id)[2])


def test_log_metric_nan_and_zero_at_the_same_point_are_two_points(
    store: TrackingStore, run_id: str
) -> None:
    store.log_metric(run_id, point(math.nan))
    store.log_metric(run_id, point(0.0))

    values = [m.value for m in history(store, run_id)]
    assert len(values) == 2
    assert sum(math.isnan(v) for v in values) == 1


def test_log_metric_accepts_an_integer_value(store: TrackingStore, run_id: str) -> None:
    store.log_metric(run_id, point(3))

    assert history(store, run_id)[0].value == 3.0


def test_log_metric_refuses_a_non_numeric_value(store: TrackingStore, run_id: str) -> None:
    with pytest.raises(InvalidParameter, match="number"):
        store.log_metric(run_id, Metric("loss", "0.5", 1000))  # type: ignore[arg-type]


def test_log_metric_refuses_a_negative_timestamp(store: TrackingStore, run_id: str) -> None:
    with pytest.raises(InvalidParameter, match="timestamp"):
        store.log_metric(run_id, point(1.0, timestamp=-1))


def test_log_metric_accepts_negative_and_extreme_steps(store: TrackingStore, run_id: str) -> None:
    store.log_batch(run_id, metrics=[point(1.0, step=-(2**63)), point(2.0, step=2**63 - 1)])

    assert sorted(m.step for m in history(store, run_id)) == [-(2**63), 2**63 - 1]


def test_log_metric_refuses_a_step_beyond_64_bits(store: TrackingStore, run_id: str) -> None:
    with pytest.raises(InvalidParameter, match="step"):
        store.log_metric(run_id, point(1.0, step=2**63))


# -- the latest value ---------------------------------------------------------------------------


def test_latest_metric_is_the_greatest_step_even_if_logged_first(
    store: TrackingStore, run_id: str
) -> None:
    store.log_metric(run_id, point(1.0, step=5, timestamp=100))
    store.log_metric(run_id, point(9.0, step=3, timestamp=200))

    assert latest(store, run_id) == (5, 100, 1.0)


def test_latest_metric_breaks_a_step_tie_by_timestamp(store: TrackingStore, run_id: str) -> None:
    store.log_metric(run_id, point(1.0, step=5, timestamp=300))
    store.log_metric(run_id, point(9.0, step=5, timestamp=200))

    assert latest(store, run_id) == (5, 300, 1.0)


def test_latest_metric_breaks_a_step_and_timestamp_tie_by_value(
    store: TrackingStore, run_id: str
) -> None:
    store.log_metric(run_id, point(2.0, step=5, timestamp=100))
    store.log_metric(run_id, point(1.5, step=5, timestamp=100))
    store.log_metric(run_id, point(0.5, step=5, timestamp=100))

    assert latest(store, run_id) == (5, 100, 2.0)


def test_latest_metric_within_one_batch_ignores_its_order(
    store: TrackingStore, run_id: str
) -> None:
    store.log_batch(
        run_id,
        metrics=[
            point(3.0, step=2, timestamp=50),
            point(7.0, step=4, timestamp=10),
            point(1.0, step=4, timestamp=5),
            point(4.0, step=1, timestamp=99),
        ],
    )

    assert latest(store, run_id) == (4, 10, 7.0)


def test_latest_metric_across_batches_ignores_their_order(
    store: TrackingStore, run_id: str
) -> None:
    store.log_batch(run_id, metrics=[point(7.0, step=4, timestamp=10), point(1.0, step=0)])
    store.log_batch(run_id, metrics=[point(3.0, step=2, timestamp=50), point(2.0, step=4)])

    assert latest(store, run_id) == (4, 1000, 2.0)


def test_latest_metric_is_kept_per_key(store: TrackingStore, run_id: str) -> None:
    store.log_batch(
        run_id,
        metrics=[point(1.0, step=1, key="loss"), point(0.9, step=7, key="acc")],
    )

    assert {m.key: (m.step, m.value) for m in store.get_run(run_id).metrics} == {
        "loss": (1, 1.0),
        "acc": (7, 0.9),
    }


def test_latest_metric_moves_from_nan_to_a_newer_value(store: TrackingStore, run_id: str) -> None:
    store.log_metric(run_id, point(math.nan, step=1))
    store.log_metric(run_id, point(0.25, step=2))

    assert latest(store, run_id) == (2, 1000, 0.25)


def test_latest_metric_stays_nan_when_an_older_point_arrives(
    store: TrackingStore, run_id: str
) -> None:
    store.log_metric(run_id, point(math.nan, step=2))
    store.log_metric(run_id, point(0.25, step=1))

    step, _, value = latest(store, run_id)
    assert step == 2
    assert math.isnan(value)


def test_latest_metric_of_a_run_with_many_keys_has_one_entry_per_key(
    store: TrackingStore, run_id: str
) -> None:
    store.log_batch(run_id, metrics=[point(1.0, step=s, key=f"k{s % 10}") for s in range(100)])

    metrics = store.get_run(run_id).metrics
    assert sorted(m.key for m in metrics) == [f"k{i}" for i in range(10)]
    assert {m.key: m.step for m in metrics} == {f"k{i}": 90 + i for i in range(10)}


def test_concurrent_params_of_one_key_keep_one_value_and_refuse_the_others(
    store: TrackingStore, run_id: str
) -> None:
    # Six writers race to log different values for each of 20 keys: for every key exactly one
    # write may win, and the losers must hear about it rather than be silently dropped.
    keys = [f"k{n}" for n in range(20)]
    start = threading.Barrier(6, timeout=10)
    accepted: dict[str, list[str]] = {key: [] for key in keys}

    def log(value: str) -> None:
        for key in keys:
            start.wait()
            try:
                store.log_param(run_id, key, value)
                accepted[key].append(value)
            except InvalidParameter:
                pass

    threads = [threading.Thread(target=log, args=(str(i),)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    params = store.get_run(run_id).params
    assert {key: len(values) for key, values in accepted.items()} == dict.fromkeys(keys, 1)
    assert params == {key: values[0] for key, values in accepted.items()}
