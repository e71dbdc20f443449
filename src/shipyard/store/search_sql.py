"""Search filters and sort orders, compiled from the grammar's AST to SQL expressions.

A filter becomes one boolean expression over the searched table: attributes compare columns
directly; metrics, params, tags and datasets become correlated ``EXISTS`` sub-queries against
their indexed tables, so a whole page is one statement however many conditions it has. A run
that lacks a key never matches a comparison on it (``!=`` included), as in MLflow; ``IS NULL``
is how to ask for runs without it.

Sort keys become ``paging.SortKey``s; those on metrics, params or tags bring a LEFT OUTER JOIN
each, and rows missing the key sort last in both directions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    FromClause,
    Table,
    and_,
    case,
    exists,
    false,
    func,
    literal,
    not_,
    or_,
    select,
    true,
    tuple_,
)

from shipyard.domain import validation
from shipyard.domain.search import BoolOp, Comparison, Expr, OrderKey
from shipyard.store.paging import RANK_MISSING, RANK_NAN, RANK_VALUE, SortKey
from shipyard.store.schema import (
    datasets,
    experiment_tags,
    experiments,
    latest_metrics,
    logged_model_metrics,
    logged_model_params,
    logged_model_tags,
    logged_models,
    params,
    run_input_tags,
    run_inputs,
    run_tags,
    runs,
)

# Backslash escapes % and _ in LIKE patterns on both engines (PostgreSQL's default; SQLite
# has no default escape character).
LIKE_ESCAPE = "\\"
DATASET_CONTEXT_TAG = "mlflow.data.context"


def compare(column: ColumnElement[Any], op: str, value: Any) -> Any:
    """``column op value`` for the grammar's operators (not the NULL checks)."""
    if op == "=":
        return column == value
    if op == "!=":
        return column != value
    if op == "<":
        return column < value
    if op == "<=":
        return column <= value
    if op == ">":
        return column > value
    if op == ">=":
        return column >= value
    if op == "LIKE":
        return column.like(value, escape=LIKE_ESCAPE)
    if op == "ILIKE":
        return func.lower(column).like(func.lower(literal(value)), escape=LIKE_ESCAPE)
    if op == "IN":
        return column.in_(list(value))
    if op == "NOT IN":
        return column.not_in(list(value))
    raise AssertionError(f"operator {op} reaches the SQL compiler unchecked")


def _compare_number(
    value: ColumnElement[Any], is_nan: ColumnElement[Any], op: str, number: float
) -> ColumnElement[bool]:
    """A metric comparison: NaN compares unequal to everything and is ordered with nothing."""
    if op == "!=":
        return or_(is_nan == true(), value != number)
    return and_(is_nan == false(), compare(value, op, number))


def combine(expr: Expr, leaf: Callable[[Comparison], ColumnElement[bool]]) -> ColumnElement[bool]:
    if isinstance(expr, BoolOp):
        parts = [combine(operand, leaf) for operand in expr.operands]
        return and_(*parts) if expr.op == "AND" else or_(*parts)
    return leaf(expr)


def keyed(
    table: Table,
    owner: ColumnElement[Any],
    owner_column: str,
    comparison: Comparison,
) -> ColumnElement[bool]:
    """A comparison on a key-value table (params, tags): EXISTS a row with that key."""
    row_is_for = and_(table.c[owner_column] == owner, table.c.key == comparison.identifier.key)
    if comparison.op == "IS NULL":
        return not_(exists().where(row_is_for))
    if comparison.op == "IS NOT NULL":
        return exists().where(row_is_for)
    return exists().where(row_is_for, compare(table.c.value, comparison.op, comparison.value))


# -- runs --------------------------------------------------------------------------------------

_RUN_ATTRIBUTES: dict[str, ColumnElement[Any]] = {
    "run_id": runs.c.run_id,
    "run_name": runs.c.name,
    "status": runs.c.status,
    "user_id": runs.c.user_id,
    "artifact_uri": runs.c.artifact_uri,
    "start_time": runs.c.start_time,
    "end_time": runs.c.end_time,
    "lifecycle_stage": runs.c.lifecycle_stage,
}


def _run_metric(comparison: Comparison) -> ColumnElement[bool]:
    row_is_for = and_(
        latest_metrics.c.run == runs.c.id, latest_metrics.c.key == comparison.identifier.key
    )
    if comparison.op == "IS NULL":
        return not_(exists().where(row_is_for))
    if comparison.op == "IS NOT NULL":
        return exists().where(row_is_for)
    assert isinstance(comparison.value, int | float)
    return exists().where(
        row_is_for,
        _compare_number(
            latest_metrics.c.value, latest_metrics.c.is_nan, comparison.op, float(comparison.value)
        ),
    )


def _run_dataset(comparison: Comparison) -> ColumnElement[bool]:
    key = comparison.identifier.key
    used_by_run = and_(run_inputs.c.run == runs.c.id, run_inputs.c.dataset == datasets.c.id)
    if key == "context":
        context = and_(
            run_input_tags.c.input == run_inputs.c.id,
            run_input_tags.c.key == DATASET_CONTEXT_TAG,
            compare(run_input_tags.c.value, comparison.op, comparison.value),
        )
        return exists().where(used_by_run, context)
    column = datasets.c.name if key == "name" else datasets.c.digest
    return exists().where(used_by_run, compare(column, comparison.op, comparison.value))


def _run_leaf(comparison: Comparison) -> Any:
    kind = comparison.identifier.kind
    if kind == "metric":
        return _run_metric(comparison)
    if kind == "param":
        return keyed(params, runs.c.id, "run", comparison)
    if kind == "tag":
        return keyed(run_tags, runs.c.id, "run", comparison)
    if kind == "dataset":
        return _run_dataset(comparison)
    column = _RUN_ATTRIBUTES[comparison.identifier.key]
    return compare(column, comparison.op, comparison.value)


def compile_run_filter(expr: Expr | None) -> ColumnElement[bool] | None:
    """The WHERE condition over ``runs`` for a parsed run filter."""
    return None if expr is None else combine(expr, _run_leaf)


@dataclass(frozen=True, slots=True)
class RunOrder:
    """The sort keys of a run search and the outer joins they need."""

    keys: list[SortKey]
    joins: list[tuple[FromClause, ColumnElement[bool]]]

    def apply(self, base: FromClause) -> FromClause:
        """``base`` LEFT OUTER JOINed with every table a sort key reads."""
        for target, onclause in self.joins:
            base = base.outerjoin(target, onclause)
        return base


def _missing_rank(column: ColumnElement[Any]) -> ColumnElement[int]:
    return case((column.is_(None), RANK_MISSING), else_=RANK_VALUE)


def run_sort_keys(order: Sequence[OrderKey]) -> RunOrder:
    """Sort keys for a run search: the requested ones, then start_time DESC, run_id ASC."""
    keys: list[SortKey] = []
    joins: list[tuple[FromClause, ColumnElement[bool]]] = []
    for index, item in enumerate(order):
        ident = item.identifier
        if ident.kind == "metric":
            metric = latest_metrics.alias(f"sort_metric_{index}")
            joins.append((metric, and_(metric.c.run == runs.c.id, metric.c.key == ident.key)))
            rank = case(
                (metric.c.key.is_(None), RANK_MISSING),
                (metric.c.is_nan == true(), RANK_NAN),
                else_=RANK_VALUE,
            )
            keys.append(SortKey(metric.c.value, item.ascending, rank))
        elif ident.kind in ("param", "tag"):
            source = params if ident.kind == "param" else run_tags
            alias = source.alias(f"sort_{ident.kind}_{index}")
            joins.append((alias, and_(alias.c.run == runs.c.id, alias.c.key == ident.key)))
            keys.append(SortKey(alias.c.value, item.ascending, _missing_rank(alias.c.value)))
        else:
            column = _RUN_ATTRIBUTES[ident.key]
            nullable_rank = _missing_rank(column) if getattr(column, "nullable", False) else None
            keys.append(SortKey(column, item.ascending, nullable_rank))
    keys.append(SortKey(runs.c.start_time, ascending=False))
    keys.append(SortKey(runs.c.run_id, ascending=True))
    return RunOrder(keys, joins)


# -- experiments -------------------------------------------------------------------------------

_EXPERIMENT_ATTRIBUTES: dict[str, ColumnElement[Any]] = {
    "name": experiments.c.name,
    "experiment_id": experiments.c.experiment_id,
    "creation_time": experiments.c.creation_time,
    "last_update_time": experiments.c.last_update_time,
}


def _experiment_leaf(comparison: Comparison) -> Any:
    if comparison.identifier.kind == "tag":
        return keyed(experiment_tags, experiments.c.experiment_id, "experiment_id", comparison)
    key = comparison.identifier.key
    column = _EXPERIMENT_ATTRIBUTES[key]
    value = comparison.value
    if key == "experiment_id":
        ids = value if isinstance(value, tuple) else (value,)
        numeric = [
            int(text)
            for text in (str(item).strip() for item in ids)
            if text.isascii() and text.isdigit() and int(text) <= validation.MAX_EXPERIMENT_ID
        ]
        if comparison.op in ("IN", "="):
            return column.in_(numeric) if numeric else false()
        return column.not_in(numeric) if numeric else true()
    return compare(column, comparison.op, value)


def compile_experiment_filter(expr: Expr | None) -> ColumnElement[bool] | None:
    """The WHERE condition over ``experiments`` for a parsed experiment filter."""
    return None if expr is None else combine(expr, _experiment_leaf)


def experiment_sort_keys(order: Sequence[OrderKey]) -> list[SortKey]:
    """Sort keys for an experiment search: the requested ones, then newest first, then id."""
    keys = [SortKey(_EXPERIMENT_ATTRIBUTES[item.identifier.key], item.ascending) for item in order]
    keys.append(SortKey(experiments.c.creation_time, ascending=False))
    keys.append(SortKey(experiments.c.experiment_id, ascending=True))
    return keys


# -- logged models -----------------------------------------------------------------------------

_MODEL_ATTRIBUTES: dict[str, ColumnElement[Any]] = {
    "name": logged_models.c.name,
    "model_id": logged_models.c.model_id,
    "model_type": logged_models.c.model_type,
    "status": logged_models.c.status,
    "source_run_id": logged_models.c.source_run_id,
    "creation_timestamp": logged_models.c.creation_timestamp,
    "last_updated_timestamp": logged_models.c.last_updated_timestamp,
}


@dataclass(frozen=True, slots=True)
class DatasetScope:
    """Restricts logged-model metrics to those logged against one dataset (digest optional)."""

    name: str
    digest: str | None = None


def _latest_model_metric(key: str, scopes: Sequence[DatasetScope]) -> tuple[Any, list[Any]]:
    """An alias of the model metric table and the conditions that pick a model's newest point.

    The point must be the newest (by step, then timestamp) of that key for the model within
    the dataset scopes, if any are given.
    """
    point = logged_model_metrics.alias("point")
    newer = logged_model_metrics.alias("newer")
    scope_conditions = [
        and_(
            point.c.dataset_name == scope.name,
            *([point.c.dataset_digest == scope.digest] if scope.digest else []),
        )
        for scope in scopes
    ]
    same_scope = [newer.c.dataset_name == point.c.dataset_name] if scopes else []
    conditions = [
        point.c.model_id == logged_models.c.model_id,
        point.c.key == key,
        *([or_(*scope_conditions)] if scope_conditions else []),
        not_(
            exists().where(
                newer.c.model_id == point.c.model_id,
                newer.c.key == point.c.key,
                *same_scope,
                tuple_(newer.c.step, newer.c.timestamp) > tuple_(point.c.step, point.c.timestamp),
            )
        ),
    ]
    return point, conditions


def _model_leaf_factory(
    scopes: Sequence[DatasetScope],
) -> Callable[[Comparison], Any]:
    def leaf(comparison: Comparison) -> Any:
        kind = comparison.identifier.kind
        key = comparison.identifier.key
        if kind == "param":
            return keyed(logged_model_params, logged_models.c.model_id, "model_id", comparison)
        if kind == "tag":
            return keyed(logged_model_tags, logged_models.c.model_id, "model_id", comparison)
        if kind == "metric":
            point, newest = _latest_model_metric(key, scopes)
            if comparison.op == "IS NULL":
                return not_(exists().where(*newest))
            if comparison.op == "IS NOT NULL":
                return exists().where(*newest)
            assert isinstance(comparison.value, int | float)
            number = float(comparison.value)
            return exists().where(
                *newest, _compare_number(point.c.value, point.c.is_nan, comparison.op, number)
            )
        return compare(_MODEL_ATTRIBUTES[key], comparison.op, comparison.value)

    return leaf


def compile_logged_model_filter(
    expr: Expr | None, scopes: Sequence[DatasetScope] = ()
) -> ColumnElement[bool] | None:
    """The WHERE condition over ``logged_models``; metric conditions honour dataset scopes."""
    condition = None if expr is None else combine(expr, _model_leaf_factory(scopes))
    if scopes:
        metric_in_scope = exists().where(
            logged_model_metrics.c.model_id == logged_models.c.model_id,
            or_(
                *(
                    and_(
                        logged_model_metrics.c.dataset_name == scope.name,
                        *(
                            [logged_model_metrics.c.dataset_digest == scope.digest]
                            if scope.digest
                            else []
                        ),
                    )
                    for scope in scopes
                )
            ),
        )
        condition = metric_in_scope if condition is None else and_(condition, metric_in_scope)
    return condition


def logged_model_sort_keys(
    order: Sequence[tuple[OrderKey, DatasetScope | None]],
) -> list[SortKey]:
    """Sort keys for a logged-model search: the requested ones, newest first, then id."""
    keys: list[SortKey] = []
    for item, scope in order:
        ident = item.identifier
        if ident.kind == "metric":
            point, newest = _latest_model_metric(ident.key, [scope] if scope else [])
            newest_first = (point.c.step.desc(), point.c.timestamp.desc(), point.c.value.desc())
            value = select(point.c.value).where(*newest).order_by(*newest_first).limit(1)
            is_nan = select(point.c.is_nan).where(*newest).order_by(*newest_first).limit(1)
            value_column = value.scalar_subquery()
            rank = case(
                (value_column.is_(None), RANK_MISSING),
                (is_nan.scalar_subquery() == true(), RANK_NAN),
                else_=RANK_VALUE,
            )
            keys.append(SortKey(value_column, item.ascending, rank))
        elif ident.kind in ("param", "tag"):
            table = logged_model_params if ident.kind == "param" else logged_model_tags
            text_value = (
                select(table.c.value)
                .where(table.c.model_id == logged_models.c.model_id, table.c.key == ident.key)
                .scalar_subquery()
            )
            keys.append(SortKey(text_value, item.ascending, _missing_rank(text_value)))
        else:
            column = _MODEL_ATTRIBUTES[ident.key]
            nullable_rank = _missing_rank(column) if getattr(column, "nullable", False) else None
            keys.append(SortKey(column, item.ascending, nullable_rank))
    keys.append(SortKey(logged_models.c.creation_timestamp, ascending=False))
    keys.append(SortKey(logged_models.c.model_id, ascending=True))
    return keys
