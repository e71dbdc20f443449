"""The runs table's queries: column keys with counts, compact pages, run counts, purge checks."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Connection

from shipyard.domain.entities import Metric, ViewType
from shipyard.domain.errors import InvalidParameter, LimitExceeded, NotFound
from shipyard.store import run_table, runs
from shipyard.store.run_table import Column, parse_column
from shipyard.store.tracking import TrackingStore

RunFactory = Callable[..., str]
T0 = 1_700_000_000_000
FIELDS = len(run_table.TABLE_FIELDS)
LOSS = Column("metric", "loss")
LR = Column("param", "lr")
TEAM = Column("tag", "team")


def _read(store: TrackingStore, fn: Callable[[Connection], Any]) -> Any:
    return store.db.read(fn)


def _page(store: TrackingStore, experiment_id: str, **kwargs: Any) -> run_table.TablePage:
    return _read(
        store,
        lambda c: run_table.read_table_page(c, experiment_ids=[experiment_id], **kwargs),
    )


def _log(store: TrackingStore, run_id: str, **metrics: float) -> None:
    store.log_batch(run_id, metrics=[Metric(k, v, T0, 0) for k, v in metrics.items()])


@pytest.fixture
def sweep(store: TrackingStore, make_run: RunFactory) -> list[str]:
    """Four runs: losses 0.4, 0.3, 0.2, 0.1 (newest lowest), lr params, one team tag."""
    ids = []
    for number in range(4):
        run_id = make_run(start_time=T0 + number, run_name=f"trial-{number}")
        store.log_batch(
            run_id,
            metrics=[Metric("loss", 0.4 - number / 10, T0, 0)],
            params=[("lr", f"0.{number}")],
            tags=[("team", "ml")] if number == 0 else [],
        )
        ids.append(run_id)
    return ids


# -- columns -----------------------------------------------------------------------------------


def test_parse_column_reads_the_family_and_the_key_with_its_dots() -> None:
    assert parse_column("tags.mlflow.user") == Column("tag", "mlflow.user")
    assert parse_column("metrics.val loss").name == "metrics.val loss"


@pytest.mark.parametrize("text", ["loss", "metric.loss", "params.", "attributes.status"])
def test_parse_column_refuses_other_names(text: str) -> None:
    with pytest.raises(InvalidParameter, match=r"metrics\.<key>"):
        parse_column(text)


# -- column keys --------------------------------------------------------------------------------


def test_column_keys_counts_the_runs_that_have_each_key(
    store: TrackingStore, experiment_id: str, sweep: list[str]
) -> None:
    keys = _read(store, lambda c: run_table.read_column_keys(c, [experiment_id]))

    assert keys.run_count == 4
    assert [(k.key, k.count) for k in keys.metrics] == [("loss", 4)]
    assert [(k.key, k.count) for k in keys.params] == [("lr", 4)]
    assert ("team", 1) in [(k.key, k.count) for k in keys.tags]
    assert ("mlflow.runName", 4) in [(k.key, k.count) for k in keys.tags]
    assert keys.truncated is False


def test_a_sample_counts_the_keys_of_the_newest_runs_only(
    store: TrackingStore, experiment_id: str, sweep: list[str], make_run: RunFactory
) -> None:
    old = make_run(start_time=T0 - 1_000, run_name="oldest")
    store.log_batch(old, params=[("only_old", "1")])

    sampled = _read(store, lambda c: run_table.read_column_keys(c, [experiment_id], sample_runs=2))
    full = _read(store, lambda c: run_table.read_column_keys(c, [experiment_id]))

    assert sampled.run_count == full.run_count == 5
    assert sampled.sampled_runs == 2 and full.sampled_runs is None
    assert [(k.key, k.count) for k in sampled.params] == [("lr", 2)]
    assert [(k.key, k.count) for k in full.params] == [("lr", 4), ("only_old", 1)]


def test_a_sample_as_large_as_the_experiment_is_the_full_count(
    store: TrackingStore, experiment_id: str, sweep: list[str]
) -> None:
    keys = _read(store, lambda c: run_table.read_column_keys(c, [experiment_id], sample_runs=4))

    assert keys.sampled_runs is None
    assert [(k.key, k.count) for k in keys.metrics] == [("loss", 4)]


def test_column_keys_follow_the_view_type(
    store: TrackingStore, experiment_id: str, sweep: list[str]
) -> None:
    store.delete_run(sweep[0])

    live = _read(store, lambda c: run_table.read_column_keys(c, [experiment_id]))
    deleted = _read(
        store, lambda c: run_table.read_column_keys(c, [experiment_id], ViewType.DELETED_ONLY)
    )

    assert live.run_count == 3 and "team" not in [k.key for k in live.tags]
    assert deleted.run_count == 1 and "team" in [k.key for k in deleted.tags]


def test_column_keys_combine_several_experiments_sorted_by_key(
    store: TrackingStore, make_run: RunFactory
) -> None:
    first, second = store.create_experiment("a"), store.create_experiment("b")
    _log(store, make_run(experiment=first), zeta=1, alpha=2)
    _log(store, make_run(experiment=second), alpha=3)

    keys = _read(store, lambda c: run_table.read_column_keys(c, [first, second]))

    assert [(k.key, k.count) for k in keys.metrics] == [("alpha", 2), ("zeta", 1)]


def test_column_keys_of_no_experiment_are_empty(store: TrackingStore) -> None:
    keys = _read(store, lambda c: run_table.read_column_keys(c, []))

    assert (keys.run_count, keys.metrics, keys.params, keys.tags) == (0, [], [], [])


def test_column_keys_refuse_too_many_experiments(store: TrackingStore) -> None:
    ids = [str(n) for n in range(run_table.MAX_EXPERIMENTS + 1)]

    with pytest.raises(LimitExceeded, match="at most"):
        _read(store, lambda c: run_table.read_column_keys(c, ids))


# -- table pages --------------------------------------------------------------------------------


def test_page_rows_carry_the_attributes_then_the_chosen_values(
    store: TrackingStore, experiment_id: str, sweep: list[str]
) -> None:
    page = _page(store, experiment_id, columns=[LR, LOSS, TEAM])

    oldest = page.rows[-1]
    assert oldest[:FIELDS] == [
        sweep[0], experiment_id, "trial-0", "alice", "RUNNING", T0, None, "active", None,
    ]  # fmt: skip
    assert oldest[FIELDS:] == ["0.0", pytest.approx(0.4), "ml"]
    assert page.rows[0][FIELDS:] == ["0.3", pytest.approx(0.1), None]
    assert page.columns == [LR, LOSS, TEAM]
    assert page.next_page_token is None


def test_page_without_columns_has_only_the_attributes(
    store: TrackingStore, experiment_id: str, sweep: list[str]
) -> None:
    page = _page(store, experiment_id)

    assert [len(row) for row in page.rows] == [FIELDS] * 4
    assert [row[0] for row in page.rows] == sweep[::-1]  # newest first


def test_page_gives_the_parent_run_of_nested_runs(
    store: TrackingStore, experiment_id: str, make_run: RunFactory
) -> None:
    parent = make_run(run_name="parent")
    child = make_run(run_name="child", tags={"mlflow.parentRunId": parent})

    page = _page(store, experiment_id, columns=[Column("tag", "mlflow.parentRunId")])

    parents = {row[0]: (row[FIELDS - 1], row[FIELDS]) for row in page.rows}
    assert parents == {parent: (None, None), child: (parent, parent)}


def test_page_gives_nan_metrics_as_nan(
    store: TrackingStore, experiment_id: str, make_run: RunFactory
) -> None:
    _log(store, make_run(), loss=math.nan)

    page = _page(store, experiment_id, columns=[LOSS])

    assert math.isnan(page.rows[0][FIELDS])


def test_page_applies_a_filter_with_or_and_an_order_by_metric(
    store: TrackingStore, experiment_id: str, sweep: list[str]
) -> None:
    page = _page(
        store,
        experiment_id,
        columns=[LOSS],
        filter_string="params.lr = '0.0' OR metrics.loss < 0.15",
        order_by=["metrics.loss ASC"],
    )

    assert [row[0] for row in page.rows] == [sweep[3], sweep[0]]


def test_page_reports_the_filter_parse_error_with_a_caret(
    store: TrackingStore, experiment_id: str
) -> None:
    with pytest.raises(InvalidParameter) as caught:
        _page(store, experiment_id, filter_string="params.lr = '1' OR oops")

    assert caught.value.message.splitlines()[-1].strip() == "^"


def test_pages_cover_every_run_once_in_order(
    store: TrackingStore, experiment_id: str, sweep: list[str]
) -> None:
    seen: list[str] = []
    token = None
    while True:
        page = _page(
            store, experiment_id, order_by=["params.lr DESC"], max_results=3, page_token=token
        )
        seen += [row[0] for row in page.rows]
        token = page.next_page_token
        if token is None:
            break

    assert seen == sweep[::-1]


def test_page_token_of_another_filter_is_refused(
    store: TrackingStore, experiment_id: str, sweep: list[str]
) -> None:
    token = _page(store, experiment_id, max_results=1).next_page_token

    with pytest.raises(InvalidParameter, match="different search"):
        _page(store, experiment_id, filter_string="params.lr = '0.1'", page_token=token)


def test_page_follows_the_view_type(
    store: TrackingStore, experiment_id: str, sweep: list[str]
) -> None:
    store.delete_run(sweep[1])

    deleted = _page(store, experiment_id, view_type=ViewType.DELETED_ONLY)
    everything = _page(store, experiment_id, view_type=ViewType.ALL)

    assert [(row[0], row[7]) for row in deleted.rows] == [(sweep[1], "deleted")]
    assert len(everything.rows) == 4


def test_page_size_is_capped(store: TrackingStore, experiment_id: str) -> None:
    with pytest.raises(LimitExceeded, match="at most 50000"):
        _page(store, experiment_id, max_results=50_001)


def test_page_refuses_too_many_columns(store: TrackingStore, experiment_id: str) -> None:
    columns = [Column("metric", f"m{n}") for n in range(run_table.MAX_COLUMNS + 1)]

    with pytest.raises(LimitExceeded, match="columns"):
        _page(store, experiment_id, columns=columns)


def test_page_reads_many_runs_and_many_keys_in_chunks(
    store: TrackingStore, experiment_id: str
) -> None:
    # more runs than one run chunk, more keys than one key chunk
    count, width = 520, 450
    experiment = int(experiment_id)

    def write(conn: Connection) -> list[str]:
        made = [
            runs.create_run(
                conn,
                experiment_id=experiment,
                user_id="u",
                start_time=T0 + n,
                run_name=f"r{n}",
                tags={},
            ).info.run_id
            for n in range(count)
        ]
        return made

    ids = store.db.write(write)
    store.log_batch(ids[0], metrics=[Metric(f"k{n:03d}", n, T0, 0) for n in range(width)])
    store.log_batch(ids[-1], metrics=[Metric("k449", -1.0, T0, 0)])
    columns = [Column("metric", f"k{n:03d}") for n in range(width)]

    page = _page(store, experiment_id, columns=columns, max_results=count)

    by_id = {row[0]: row[FIELDS:] for row in page.rows}
    assert len(by_id) == count
    assert by_id[ids[0]] == [float(n) for n in range(width)]
    assert by_id[ids[-1]][-1] == -1.0
    assert by_id[ids[1]] == [None] * width


# -- run counts and purge checks ---------------------------------------------------------------


def test_run_counts_count_live_and_deleted_runs_per_experiment(
    store: TrackingStore, experiment_id: str, sweep: list[str]
) -> None:
    store.delete_run(sweep[0])
    empty = store.create_experiment("empty")

    counts = _read(store, lambda c: run_table.read_run_counts(c, [experiment_id, empty, "99999"]))

    assert counts == [
        run_table.RunCounts(experiment_id, 3, 1, T0 + 3),
        run_table.RunCounts(empty, 0, 0, None),
        run_table.RunCounts("99999", 0, 0, None),
    ]


def test_purge_check_accepts_deleted_runs(
    store: TrackingStore, experiment_id: str, sweep: list[str]
) -> None:
    store.delete_run(sweep[0])

    _read(store, lambda c: run_table.check_purgeable(c, [sweep[0]]))


def test_purge_check_refuses_a_live_run(
    store: TrackingStore, experiment_id: str, sweep: list[str]
) -> None:
    store.delete_run(sweep[0])

    with pytest.raises(InvalidParameter, match=f"run {sweep[1]} is active"):
        _read(store, lambda c: run_table.check_purgeable(c, [sweep[0], sweep[1]]))


def test_purge_check_refuses_an_unknown_run(store: TrackingStore) -> None:
    with pytest.raises(NotFound, match="not found"):
        _read(store, lambda c: run_table.check_purgeable(c, ["0123456789abcdef" * 2]))
