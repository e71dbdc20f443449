"""Registry searches: filters and sort orders for registered models and model versions.

One MLflow quirk is kept on purpose: MLflow's client appends
``tags.`mlflow.prompt.is_prompt` != 'true'`` to every registered-model search (prompts share the
table), and a model without that tag must match it. So on the registry, ``!=`` on that one key
also matches models that lack the tag.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, exists, not_

from shipyard.domain.registry import PROMPT_TAG
from shipyard.domain.search import Comparison, Expr, OrderKey
from shipyard.store.paging import SortKey
from shipyard.store.schema import (
    model_version_tags,
    model_versions,
    registered_model_tags,
    registered_models,
)
from shipyard.store.search_sql import combine, compare, keyed

_MODEL_ATTRIBUTES: dict[str, ColumnElement[Any]] = {
    "name": registered_models.c.name,
    "creation_timestamp": registered_models.c.creation_timestamp,
    "last_updated_timestamp": registered_models.c.last_updated_timestamp,
}

_VERSION_ATTRIBUTES: dict[str, ColumnElement[Any]] = {
    "name": registered_models.c.name,
    "run_id": model_versions.c.run_id,
    "source_path": model_versions.c.source,
    "current_stage": model_versions.c.stage,
    "version_number": model_versions.c.version,
    "creation_timestamp": model_versions.c.creation_timestamp,
    "last_updated_timestamp": model_versions.c.last_updated_timestamp,
}


def _tag(table: Table, owner: ColumnElement[Any], owner_column: str, item: Comparison) -> Any:
    if item.identifier.key == PROMPT_TAG and item.op == "!=":
        return not_(
            exists().where(
                table.c[owner_column] == owner,
                table.c.key == PROMPT_TAG,
                table.c.value == item.value,
            )
        )
    return keyed(table, owner, owner_column, item)


def _model_leaf(item: Comparison) -> Any:
    if item.identifier.kind == "tag":
        return _tag(registered_model_tags, registered_models.c.id, "model", item)
    return compare(_MODEL_ATTRIBUTES[item.identifier.key], item.op, item.value)


def _version_leaf(item: Comparison) -> Any:
    if item.identifier.kind == "tag":
        return _tag(model_version_tags, model_versions.c.id, "version", item)
    column = _VERSION_ATTRIBUTES[item.identifier.key]
    if item.identifier.key == "current_stage" and isinstance(item.value, str):
        return compare(column, item.op, _canonical_stage(item.value))
    return compare(column, item.op, item.value)


def _canonical_stage(value: str) -> str:
    lowered = value.lower()
    for stage in ("None", "Staging", "Production", "Archived"):
        if stage.lower() == lowered:
            return stage
    return value


def compile_registered_model_filter(expr: Expr | None) -> ColumnElement[bool] | None:
    """The WHERE condition over ``registered_models``."""
    return None if expr is None else combine(expr, _model_leaf)


def compile_model_version_filter(expr: Expr | None) -> ColumnElement[bool] | None:
    """The WHERE condition over ``model_versions`` joined with ``registered_models``."""
    return None if expr is None else and_(combine(expr, _version_leaf))


def registered_model_sort_keys(order: Sequence[OrderKey]) -> list[SortKey]:
    """Requested keys, then name (unique)."""
    keys = [SortKey(_MODEL_ATTRIBUTES[item.identifier.key], item.ascending) for item in order]
    keys.append(SortKey(registered_models.c.name, ascending=True))
    return keys


def model_version_sort_keys(order: Sequence[OrderKey]) -> list[SortKey]:
    """Requested keys (MLflow's default: the last updated first), then name ascending and
    version descending."""
    keys = [SortKey(_VERSION_ATTRIBUTES[item.identifier.key], item.ascending) for item in order]
    if not keys:
        keys.append(SortKey(model_versions.c.last_updated_timestamp, ascending=False))
    keys.append(SortKey(registered_models.c.name, ascending=True))
    keys.append(SortKey(model_versions.c.version, ascending=False))
    return keys
