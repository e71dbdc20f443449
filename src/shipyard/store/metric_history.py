"""A metric's full history, in pages, and chart-sized summaries of it.

The history is ordered by timestamp, then step (then value), as MLflow orders it; that is the
primary key's order, so a page is one index range scan wherever it starts.

Chart summaries never send more points than asked for, however long the history: the step
range is cut into equal buckets and each bucket contributes its lowest and its highest point,
so spikes survive the downsampling. The first and last points are always included.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, false, func, select

from shipyard.domain import validation
from shipyard.domain.entities import Metric, Page
from shipyard.domain.errors import InvalidParameter
from shipyard.store import paging
from shipyard.store.dialect import AnyRow, raw_rows
from shipyard.store.runs import get_run_ref
from shipyard.store.schema import metrics

_ORDER = [
    paging.SortKey(metrics.c.timestamp, ascending=True),
    paging.SortKey(metrics.c.step, ascending=True),
    paging.SortKey(metrics.c.value, ascending=True),
    paging.SortKey(metrics.c.is_nan, ascending=True),
]


_new_tuple = tuple.__new__


def _point(row: AnyRow, run_id: str | None = None) -> Metric:
    return Metric(
        key=row.key,
        value=math.nan if row.is_nan else row.value,
        timestamp=row.timestamp,
        step=row.step,
        run_id=run_id,
    )


def get_metric_history(
    conn: Connection,
    run_id: str,
    key: str,
    *,
    max_results: int | None = None,
    page_token: str | None = None,
) -> Page[Metric]:
    """One page of every point logged for a run's metric, oldest first."""
    limit = validation.check_page_size(max_results, validation.METRIC_HISTORY_PAGE, "max_results")
    ref = get_run_ref(conn, run_id)
    query_id = paging.fingerprint("metric-history", run_id, key)
    sql = _HISTORY_SQL
    arguments: list[Any] = [ref.pk, key]
    if page_token:
        position = paging.decode_token(page_token, query_id)
        if len(position) != len(_ORDER):
            raise InvalidParameter("Invalid page token: it does not belong to this search.")
        for sort_key, part in zip(_ORDER, position, strict=True):
            sort_key.check(part)
        sql = _HISTORY_AFTER_SQL
        arguments += [part[0] for part in position]
    rows = raw_rows(conn, sql, [*arguments, limit + 1])
    token = None
    if len(rows) > limit:
        rows = rows[:limit]
        _, step, timestamp, value, is_nan = rows[-1]
        token = paging.encode_token([[timestamp], [step], [value], [bool(is_nan)]], query_id)
    nan = math.nan
    # up to 25,000 points a page: plain tuples from the driver, built into Metrics by position
    points = [
        _new_tuple(Metric, (k, nan if n else v, t, s, None, None, None, None))
        for k, s, t, v, n in rows
    ]
    return Page(points, token)


# Oldest first, the primary key's order; after a page, a row-value comparison on that order.
_HISTORY_COLUMNS = (
    "SELECT key, step, timestamp, value, is_nan FROM metrics WHERE run = ? AND key = ?"
)
_HISTORY_ORDER = " ORDER BY timestamp, step, value, is_nan LIMIT ?"
_HISTORY_SQL = _HISTORY_COLUMNS + _HISTORY_ORDER
_HISTORY_AFTER_SQL = (
    _HISTORY_COLUMNS + " AND (timestamp, step, value, is_nan) > (?, ?, ?, ?)" + _HISTORY_ORDER
)


def get_metric_history_sampled(
    conn: Connection,
    run_ids: Sequence[str],
    key: str,
    *,
    max_results: int | None = None,
    start_step: int | None = None,
    end_step: int | None = None,
) -> list[Metric]:
    """At most ``max_results`` points per run, spread over ``[start_step, end_step]``."""
    if (start_step is None) != (end_step is None):
        raise InvalidParameter(
            "Give both start_step and end_step to zoom into a step range, or neither."
        )
    if start_step is not None and end_step is not None and start_step > end_step:
        raise InvalidParameter(
            f"start_step ({start_step}) must not be greater than end_step ({end_step})."
        )
    if not run_ids:
        raise InvalidParameter("Missing value for required parameter 'run_ids'.")
    if len(run_ids) > validation.MAX_RUNS_PER_BULK_INTERVAL:
        raise InvalidParameter(
            f"At most {validation.MAX_RUNS_PER_BULK_INTERVAL} runs can be charted at once, "
            f"got {len(run_ids)}."
        )
    limit = validation.check_page_size(
        max_results, validation.METRIC_BULK_INTERVAL_PAGE, "max_results"
    )
    refs = [get_run_ref(conn, run_id) for run_id in dict.fromkeys(run_ids)]
    points: list[Metric] = []
    for ref in refs:
        rows = _sample(conn, ref.pk, key, limit, start_step, end_step)
        points.extend(_point(row, ref.run_id) for row in rows)
    return points


_POINT_COLUMNS = (
    metrics.c.key,
    metrics.c.step,
    metrics.c.timestamp,
    metrics.c.value,
    metrics.c.is_nan,
)


def _sample(
    conn: Connection,
    pk: int,
    key: str,
    limit: int,
    start_step: int | None,
    end_step: int | None,
) -> list[AnyRow]:
    in_range = [metrics.c.run == pk, metrics.c.key == key]
    if start_step is not None and end_step is not None:
        in_range += [metrics.c.step >= start_step, metrics.c.step <= end_step]
    count, low, high = conn.execute(
        select(func.count(), func.min(metrics.c.step), func.max(metrics.c.step)).where(*in_range)
    ).one()
    in_order = (metrics.c.step, metrics.c.timestamp, metrics.c.value)
    if count <= limit:
        return list(
            conn.execute(select(*_POINT_COLUMNS).where(*in_range).order_by(*in_order)).all()
        )
    first = conn.execute(
        select(*_POINT_COLUMNS).where(*in_range, metrics.c.step == low).order_by(*in_order).limit(1)
    ).one()
    last = conn.execute(
        select(*_POINT_COLUMNS)
        .where(*in_range, metrics.c.step == high)
        .order_by(*(column.desc() for column in in_order))
        .limit(1)
    ).one()
    buckets = max(1, (limit - 2) // 2)
    # Integer arithmetic on both engines (a float cast rounds on PostgreSQL, truncates on
    # SQLite); dividing by the bucket width rather than multiplying first cannot overflow.
    width = max(1, -(-(high - low + 1) // buckets))
    bucket = ((metrics.c.step - low) // width).label("bucket")
    if conn.dialect.name == "sqlite":
        picked = _extremes_sqlite(conn, in_range, bucket)
    else:
        picked = _extremes_windowed(conn, in_range, bucket)
    chosen = {(row.step, row.timestamp, row.value, row.is_nan): row for row in picked}
    for edge in (first, last):
        chosen.setdefault((edge.step, edge.timestamp, edge.value, edge.is_nan), edge)
    ordered = sorted(chosen.values(), key=lambda row: (row.step, row.timestamp, row.value))
    return ordered[:limit] if len(ordered) <= limit else _thin(ordered, limit)


def _extremes_sqlite(conn: Connection, in_range: list[Any], bucket: Any) -> list[AnyRow]:
    """Lowest and highest point per bucket: SQLite fills the other (bare) columns of a min()
    or max() aggregate from the row that holds the extreme, so each is one grouped scan."""
    picked: list[AnyRow] = []
    for extreme in (func.min, func.max):
        picked += conn.execute(
            select(
                metrics.c.key,
                metrics.c.step,
                metrics.c.timestamp,
                extreme(metrics.c.value).label("value"),
                metrics.c.is_nan,
            )
            .where(*in_range, metrics.c.is_nan == false())
            .group_by(bucket)
        ).all()
    return picked


def _extremes_windowed(conn: Connection, in_range: list[Any], bucket: Any) -> list[AnyRow]:
    """Lowest and highest point per bucket with window functions (PostgreSQL)."""
    points = select(*_POINT_COLUMNS, bucket).where(*in_range).subquery()
    ranked = select(
        points,
        func.row_number()
        .over(
            partition_by=points.c.bucket,
            order_by=(points.c.is_nan, points.c.value.asc(), points.c.step),
        )
        .label("lowest"),
        func.row_number()
        .over(
            partition_by=points.c.bucket,
            order_by=(points.c.is_nan, points.c.value.desc(), points.c.step),
        )
        .label("highest"),
    ).subquery()
    return list(
        conn.execute(
            select(
                ranked.c.key, ranked.c.step, ranked.c.timestamp, ranked.c.value, ranked.c.is_nan
            ).where((ranked.c.lowest == 1) | (ranked.c.highest == 1))
        ).all()
    )


def _thin(rows: list[AnyRow], limit: int) -> list[AnyRow]:
    """Keep ``limit`` rows evenly spread, the first and the last among them."""
    if limit == 1:
        return [rows[-1]]
    step = (len(rows) - 1) / (limit - 1)
    return [rows[round(index * step)] for index in range(limit)]
