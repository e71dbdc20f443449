"""The runs table of the web UI: which columns an experiment has, and compact pages of runs.

A runs table shows a few of an experiment's possibly thousands of params, metrics and tags, for
possibly tens of thousands of runs. ``search_runs`` returns every field of every run; these
queries return only what the table shows:

- ``read_column_keys``: the distinct param, metric and tag keys of some experiments' runs, each
  with the number of runs that have it (one GROUP BY per kind).
- ``read_table_page``: one keyset page of runs (the same filter grammar, order and tokens as a
  run search) as plain tuples of the run's attributes, its parent run and the chosen columns'
  values; a fixed number of statements per chunk of runs, whatever the page size.
- ``read_run_counts``: live and deleted run counts per experiment.
- ``check_purgeable``: refuses to purge runs that are missing or not deleted.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import Connection, func, select

from shipyard.domain import search, validation
from shipyard.domain.entities import LifecycleStage, ViewType
from shipyard.domain.errors import InvalidParameter, LimitExceeded, NotFound
from shipyard.store import paging
from shipyard.store.dialect import chunks, raw_rows
from shipyard.store.runs import searchable_experiment_ids
from shipyard.store.schema import runs
from shipyard.store.search_sql import compile_run_filter, run_sort_keys

ColumnKind = Literal["metric", "param", "tag"]

PARENT_RUN_TAG = "mlflow.parentRunId"
MAX_COLUMNS = 5000
"""Most columns one table page may ask for."""
MAX_KEYS_PER_KIND = 20_000
"""Most distinct keys of one kind that ``read_column_keys`` lists (the rest are counted)."""
MAX_EXPERIMENTS = 100
"""Most experiments one table may show at once."""
MAX_PURGE = 1000
"""Most runs one purge request may name."""

# Column identifiers as the UI writes them: the family's plural, a dot, then the key as is.
_PREFIXES: dict[str, ColumnKind] = {"metrics": "metric", "params": "param", "tags": "tag"}
_PLURAL: dict[ColumnKind, str] = {"metric": "metrics", "param": "params", "tag": "tags"}

# Bound parameters per statement: runs and keys of one chunk together stay under IN_CHUNK.
_RUN_CHUNK = 500
_KEY_CHUNK = 400

TABLE_FIELDS = (
    "run_id",
    "experiment_id",
    "run_name",
    "user_id",
    "status",
    "start_time",
    "end_time",
    "lifecycle_stage",
    "parent_run_id",
)
"""The attributes that open every row of a table page, in order; the columns' values follow."""


@dataclass(frozen=True, slots=True)
class Column:
    """A param, metric or tag column of the runs table."""

    kind: ColumnKind
    key: str

    @property
    def name(self) -> str:
        """The column's identifier: ``metrics.<key>``, ``params.<key>`` or ``tags.<key>``."""
        return f"{_PLURAL[self.kind]}.{self.key}"


def parse_column(text: str) -> Column:
    """A column from its identifier (``metrics.loss``, ``params.lr``, ``tags.mlflow.user``)."""
    prefix, dot, key = text.partition(".")
    kind = _PREFIXES.get(prefix)
    if kind is None or not dot or not key:
        raise InvalidParameter(
            f"Invalid column {text!r}: name a column as metrics.<key>, params.<key> or tags.<key>."
        )
    return Column(kind, key)


@dataclass(frozen=True, slots=True)
class KeyCount:
    """A key and how many of the runs have it."""

    key: str
    count: int


@dataclass(slots=True)
class ColumnKeys:
    """The keys an experiment's runs use, per kind, sorted by key."""

    run_count: int = 0
    metrics: list[KeyCount] = field(default_factory=list)
    params: list[KeyCount] = field(default_factory=list)
    tags: list[KeyCount] = field(default_factory=list)
    truncated: bool = False
    sampled_runs: int | None = None
    """With a sample: the counts are over this many newest runs, not all of them."""


@dataclass(frozen=True, slots=True)
class TablePage:
    """Rows of ``TABLE_FIELDS`` followed by one value per column, and the next page's token."""

    columns: list[Column]
    rows: list[list[Any]]
    next_page_token: str | None


@dataclass(frozen=True, slots=True)
class RunCounts:
    """How many runs an experiment has, and when its newest run started."""

    experiment_id: str
    active: int
    deleted: int
    last_start_time: int | None


def _experiment_ids(values: Sequence[str]) -> list[int]:
    if len(values) > MAX_EXPERIMENTS:
        raise LimitExceeded(
            f"A runs table shows at most {MAX_EXPERIMENTS} experiments at once, got {len(values)}."
        )
    return searchable_experiment_ids(values)


def _placeholders(count: int) -> str:
    return ", ".join("?" * count)


_KEY_TABLES: dict[ColumnKind, str] = {
    "metric": "latest_metrics",
    "param": "params",
    "tag": "run_tags",
}


def read_column_keys(
    conn: Connection,
    experiment_ids: Sequence[str],
    view_type: ViewType = ViewType.ACTIVE_ONLY,
    *,
    sample_runs: int | None = None,
) -> ColumnKeys:
    """The distinct metric, param and tag keys of the experiments' runs, with run counts.

    With ``sample_runs``, only the keys of that many most recently started runs are counted:
    over a large sweep that answers in a fraction of the time, and the newest runs are the
    ones a table shows first. ``run_count`` is always the count of all runs.
    """
    ids = _experiment_ids(experiment_ids)
    result = ColumnKeys()
    if not ids:
        return result
    stages = [stage.value for stage in view_type.stages()]
    where = (
        f"r.experiment_id IN ({_placeholders(len(ids))}) "
        f"AND r.lifecycle_stage IN ({_placeholders(len(stages))})"
    )
    bound: list[Any] = [*ids, *stages]
    result.run_count = int(
        raw_rows(conn, f"SELECT COUNT(*) FROM runs r WHERE {where}", bound)[0][0]
    )
    if sample_runs is not None and sample_runs < result.run_count:
        result.sampled_runs = sample_runs
        where = (
            f"r.id IN (SELECT r.id FROM runs r WHERE {where} "
            f"ORDER BY r.start_time DESC, r.id DESC LIMIT {int(sample_runs)})"
        )
    lists = {"metric": result.metrics, "param": result.params, "tag": result.tags}
    for kind, table in _KEY_TABLES.items():
        sql = (
            f"SELECT t.key, COUNT(*) FROM {table} t JOIN runs r ON r.id = t.run "
            f"WHERE {where} GROUP BY t.key ORDER BY t.key LIMIT {MAX_KEYS_PER_KIND + 1}"
        )
        found = [KeyCount(key, int(count)) for key, count in raw_rows(conn, sql, bound)]
        found.sort(key=lambda item: item.key)  # one order on both engines, whatever collation
        if len(found) > MAX_KEYS_PER_KIND:
            result.truncated = True
            found = found[:MAX_KEYS_PER_KIND]
        lists[kind].extend(found)
    return result


_PAGE_COLUMNS = (
    runs.c.id,
    runs.c.run_id,
    runs.c.experiment_id,
    runs.c.name,
    runs.c.user_id,
    runs.c.status,
    runs.c.start_time,
    runs.c.end_time,
    runs.c.lifecycle_stage,
)


def read_table_page(
    conn: Connection,
    *,
    experiment_ids: Sequence[str],
    columns: Sequence[Column] = (),
    filter_string: str | None = None,
    view_type: ViewType = ViewType.ACTIVE_ONLY,
    order_by: Sequence[str] | None = None,
    max_results: int | None = None,
    page_token: str | None = None,
) -> TablePage:
    """One page of the runs a search finds, with only the values of ``columns``.

    Filter, order and page tokens behave as in ``search_runs``; metric values are the latest
    (``nan`` for NaN), params and tags strings, and a run without the key has ``None``.
    """
    if len(columns) > MAX_COLUMNS:
        raise LimitExceeded(f"A table page may show at most {MAX_COLUMNS} columns.")
    limit = validation.check_page_size(max_results, validation.RUNS_PAGE, "max_results")
    ids = _experiment_ids(experiment_ids)
    condition = compile_run_filter(search.parse_filter(filter_string, search.RUNS))
    order = run_sort_keys(search.parse_order_by(order_by, search.RUNS))
    query_id = paging.fingerprint(
        "run-table", sorted(ids), view_type, filter_string or "", list(order_by or [])
    )
    if page_token:
        paging.decode_token(page_token, query_id)  # a bad token is refused even with no ids
    unique = list(dict.fromkeys(columns))
    if not ids:
        return TablePage(unique, [], None)
    stmt = (
        select(*_PAGE_COLUMNS, *paging.sort_columns(order.keys))
        .select_from(order.apply(runs))
        .where(runs.c.experiment_id.in_(ids), runs.c.lifecycle_stage.in_(view_type.stages()))
    )
    if condition is not None:
        stmt = stmt.where(condition)
    found, token = paging.fetch_page(
        conn, stmt, order.keys, limit=limit, query=query_id, page_token=page_token
    )
    return TablePage(unique, _rows(conn, found, unique), token)


def _rows(conn: Connection, found: Sequence[Any], columns: Sequence[Column]) -> list[list[Any]]:
    """Table rows for page rows: attributes, the parent run, then each column's value."""
    width = len(TABLE_FIELDS)
    rows: dict[int, list[Any]] = {}
    for item in found:
        row: list[Any] = [item[1], str(item[2]), *item[3:9], None]
        row.extend([None] * len(columns))
        rows[item[0]] = row
    position = {column: width + index for index, column in enumerate(columns)}
    by_kind: dict[ColumnKind, dict[str, int]] = {"metric": {}, "param": {}, "tag": {}}
    for column, index in position.items():
        by_kind[column.kind][column.key] = index
    tag_keys = {**by_kind["tag"], PARENT_RUN_TAG: width - 1}
    parent_as_column = by_kind["tag"].get(PARENT_RUN_TAG)
    pks = list(rows)
    for run_chunk in chunks(pks, _RUN_CHUNK):
        _fill_metrics(conn, rows, run_chunk, by_kind["metric"])
        _fill_text(conn, "params", rows, run_chunk, by_kind["param"])
        _fill_text(conn, "run_tags", rows, run_chunk, tag_keys)
    if parent_as_column is not None:
        for row in rows.values():
            row[parent_as_column] = row[width - 1]
    return list(rows.values())


def _fill_metrics(
    conn: Connection, rows: dict[int, list[Any]], pks: Sequence[int], keys: dict[str, int]
) -> None:
    names = list(keys)
    for key_chunk in chunks(names, _KEY_CHUNK):
        sql = (
            "SELECT run, key, value, is_nan FROM latest_metrics "
            f"WHERE run IN ({_placeholders(len(pks))}) AND key IN ({_placeholders(len(key_chunk))})"
        )
        for pk, key, value, is_nan in raw_rows(conn, sql, [*pks, *key_chunk]):
            rows[pk][keys[key]] = math.nan if is_nan else value


def _fill_text(
    conn: Connection,
    table: str,
    rows: dict[int, list[Any]],
    pks: Sequence[int],
    keys: dict[str, int],
) -> None:
    names = list(keys)
    for key_chunk in chunks(names, _KEY_CHUNK):
        sql = (
            f"SELECT run, key, value FROM {table} "
            f"WHERE run IN ({_placeholders(len(pks))}) AND key IN ({_placeholders(len(key_chunk))})"
        )
        for pk, key, value in raw_rows(conn, sql, [*pks, *key_chunk]):
            rows[pk][keys[key]] = value


def read_run_counts(conn: Connection, experiment_ids: Sequence[str]) -> list[RunCounts]:
    """Live and deleted run counts of each experiment named (zero for those without runs)."""
    ids = searchable_experiment_ids(experiment_ids)
    counts = {number: [0, 0, None] for number in ids}
    for chunk in chunks(ids):
        query = (
            select(
                runs.c.experiment_id,
                runs.c.lifecycle_stage,
                func.count(),
                func.max(runs.c.start_time),
            )
            .where(runs.c.experiment_id.in_(chunk))
            .group_by(runs.c.experiment_id, runs.c.lifecycle_stage)
        )
        for experiment_id, stage, count, newest in conn.execute(query):
            entry = counts[experiment_id]
            entry[0 if stage == LifecycleStage.ACTIVE else 1] = int(count)
            if stage == LifecycleStage.ACTIVE:
                entry[2] = newest
    return [
        RunCounts(str(number), int(active or 0), int(deleted or 0), newest)
        for number, (active, deleted, newest) in counts.items()
    ]


def check_purgeable(conn: Connection, run_ids: Sequence[str]) -> None:
    """Refuse a purge that names a run that does not exist or is not deleted."""
    if len(run_ids) > MAX_PURGE:
        raise LimitExceeded(f"A purge may name at most {MAX_PURGE} runs, got {len(run_ids)}.")
    for run_id in run_ids:
        validation.check_run_id(run_id, "run_ids")
    stages: dict[str, str] = {}
    for chunk in chunks(list(run_ids)):
        query = select(runs.c.run_id, runs.c.lifecycle_stage).where(runs.c.run_id.in_(chunk))
        stages.update({row.run_id: row.lifecycle_stage for row in conn.execute(query)})
    missing = [run_id for run_id in run_ids if run_id not in stages]
    if missing:
        raise NotFound(f"Run with id={missing[0]} not found")
    active = [run_id for run_id in run_ids if stages[run_id] != LifecycleStage.DELETED]
    if active:
        raise InvalidParameter(
            f"Only deleted runs can be purged; run {active[0]} is active: delete it first."
        )
