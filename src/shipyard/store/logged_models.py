"""Logged models (MLflow 3): models with their own id, params, tags and metrics."""

from __future__ import annotations

import math
import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, delete, select, update

from shipyard.domain import search, validation
from shipyard.domain.clock import now_ms
from shipyard.domain.entities import (
    LifecycleStage,
    LoggedModel,
    LoggedModelStatus,
    Metric,
    Page,
)
from shipyard.domain.errors import InvalidParameter, NotFound
from shipyard.domain.names import generate_run_name
from shipyard.store import paging
from shipyard.store.dialect import AnyRow, chunks, insert_ignore_returning, upsert
from shipyard.store.experiments import get_active_experiment
from shipyard.store.runs import searchable_experiment_ids
from shipyard.store.schema import (
    logged_model_metrics,
    logged_model_params,
    logged_model_tags,
    logged_models,
)
from shipyard.store.search_sql import (
    DatasetScope,
    compile_logged_model_filter,
    logged_model_sort_keys,
)


@dataclass(frozen=True, slots=True)
class ModelOrder:
    """One order_by entry of a logged-model search, as the client sends it."""

    field_name: str
    ascending: bool = True
    dataset_name: str | None = None
    dataset_digest: str | None = None


_COLUMNS = (
    logged_models.c.model_id,
    logged_models.c.experiment_id,
    logged_models.c.name,
    logged_models.c.artifact_uri,
    logged_models.c.status,
    logged_models.c.status_message,
    logged_models.c.model_type,
    logged_models.c.source_run_id,
    logged_models.c.creation_timestamp,
    logged_models.c.last_updated_timestamp,
)


def _check_params(values: Mapping[str, str]) -> None:
    for key, value in values.items():
        validation.check_key(key)
        validation.check_length(value, validation.MAX_PARAM_VALUE_LENGTH, "value")


def _check_tags(values: Mapping[str, str]) -> None:
    for key, value in values.items():
        validation.check_key(key)
        validation.check_length(value, validation.MAX_RUN_TAG_VALUE_LENGTH, "value")


def create_logged_model(
    conn: Connection,
    *,
    experiment_id: int,
    name: str | None,
    source_run_id: str | None,
    model_type: str | None,
    tags: Mapping[str, str],
    params: Mapping[str, str],
) -> LoggedModel:
    """Create a pending logged model in a live experiment."""
    if name:
        validation.check_length(name, validation.MAX_LOGGED_MODEL_NAME_LENGTH, "name")
    if model_type:
        validation.check_length(model_type, validation.MAX_MODEL_TYPE_LENGTH, "model_type")
    if source_run_id:
        validation.check_run_id(source_run_id, "source_run_id")
    _check_tags(tags)
    _check_params(params)
    experiment = get_active_experiment(conn, experiment_id)
    model_id = f"m-{uuid.uuid4().hex}"
    now = now_ms()
    conn.execute(
        logged_models.insert().values(
            model_id=model_id,
            experiment_id=experiment_id,
            name=name or generate_run_name(),
            artifact_uri=f"{experiment.artifact_location.rstrip('/')}/models/{model_id}/artifacts",
            status=LoggedModelStatus.PENDING,
            model_type=model_type or None,
            source_run_id=source_run_id or None,
            creation_timestamp=now,
            last_updated_timestamp=now,
            lifecycle_stage=LifecycleStage.ACTIVE,
        )
    )
    if tags:
        conn.execute(
            logged_model_tags.insert(),
            [{"model_id": model_id, "key": k, "value": v} for k, v in tags.items()],
        )
    if params:
        conn.execute(
            logged_model_params.insert(),
            [{"model_id": model_id, "key": k, "value": v} for k, v in params.items()],
        )
    return get_logged_model(conn, model_id)


def _live(conn: Connection, model_id: str) -> None:
    found = conn.execute(
        select(logged_models.c.model_id).where(
            logged_models.c.model_id == model_id,
            logged_models.c.lifecycle_stage == LifecycleStage.ACTIVE,
        )
    ).first()
    if found is None:
        raise NotFound(f"Logged model with ID '{model_id}' not found.")


def _touch(conn: Connection, model_id: str, **values: Any) -> None:
    conn.execute(
        update(logged_models)
        .where(logged_models.c.model_id == model_id)
        .values(last_updated_timestamp=now_ms(), **values)
    )


def get_logged_model(conn: Connection, model_id: str) -> LoggedModel:
    """A live logged model with its data; ``NotFound`` for missing or deleted ones."""
    row = conn.execute(
        select(*_COLUMNS).where(
            logged_models.c.model_id == model_id,
            logged_models.c.lifecycle_stage == LifecycleStage.ACTIVE,
        )
    ).first()
    if row is None:
        raise NotFound(f"Logged model with ID '{model_id}' not found.")
    return _assemble(conn, [row])[0]


def finalize_logged_model(
    conn: Connection, model_id: str, status: LoggedModelStatus
) -> LoggedModel:
    """Mark a logged model's upload as finished (READY) or failed."""
    if status is LoggedModelStatus.PENDING:
        raise InvalidParameter(
            "A logged model is finalized as READY or FAILED (LOGGED_MODEL_READY or "
            "LOGGED_MODEL_UPLOAD_FAILED), not PENDING."
        )
    _live(conn, model_id)
    _touch(conn, model_id, status=status)
    return get_logged_model(conn, model_id)


def delete_logged_model(conn: Connection, model_id: str) -> None:
    """Soft-delete a logged model."""
    _live(conn, model_id)
    _touch(conn, model_id, lifecycle_stage=LifecycleStage.DELETED)


def set_logged_model_tags(conn: Connection, model_id: str, tags: Mapping[str, str]) -> None:
    """Set (or overwrite) tags on a live logged model."""
    _check_tags(tags)
    _live(conn, model_id)
    upsert(
        conn,
        logged_model_tags,
        [{"model_id": model_id, "key": k, "value": v} for k, v in sorted(tags.items())],
        keys=["model_id", "key"],
        update=["value"],
    )
    _touch(conn, model_id)


def delete_logged_model_tag(conn: Connection, model_id: str, key: str) -> None:
    """Remove a tag from a live logged model; ``NotFound`` when it is not set."""
    _live(conn, model_id)
    removed = conn.execute(
        delete(logged_model_tags).where(
            logged_model_tags.c.model_id == model_id, logged_model_tags.c.key == key
        )
    ).rowcount
    if not removed:
        raise NotFound(f"No tag with key {key!r} found for model with ID {model_id!r}.")
    _touch(conn, model_id)


def log_logged_model_params(conn: Connection, model_id: str, params: Mapping[str, str]) -> None:
    """Add params to a live logged model; like run params, a logged value never changes."""
    _check_params(params)
    _live(conn, model_id)
    _add_params(conn, model_id, params)


def _add_params(conn: Connection, model_id: str, params: Mapping[str, str]) -> None:
    existing = dict(
        conn.execute(
            select(logged_model_params.c.key, logged_model_params.c.value).where(
                logged_model_params.c.model_id == model_id,
                logged_model_params.c.key.in_(list(params)),
            )
        ).all()
    )
    for key, old in existing.items():
        if old != params[key]:
            raise InvalidParameter(
                f"Changing param values is not allowed. Param with key={key!r} was already "
                f"logged with value={old!r} for logged model {model_id!r}."
            )
    new = {k: v for k, v in params.items() if k not in existing}
    inserted = insert_ignore_returning(
        conn,
        logged_model_params,
        [{"model_id": model_id, "key": k, "value": v} for k, v in new.items()],
        "key",
    )
    if len(inserted) < len(new):
        # logged concurrently by another transaction: compare with its values
        _add_params(conn, model_id, {k: v for k, v in new.items() if k not in inserted})


def _assemble(conn: Connection, rows: Sequence[AnyRow]) -> list[LoggedModel]:
    ids = [row.model_id for row in rows]
    tags: dict[str, dict[str, str]] = defaultdict(dict)
    params: dict[str, dict[str, str]] = defaultdict(dict)
    metrics: dict[str, list[Metric]] = defaultdict(list)
    for chunk in chunks(ids):
        for model_id, key, value in conn.execute(
            select(logged_model_tags.c.model_id, logged_model_tags.c.key, logged_model_tags.c.value)
            .where(logged_model_tags.c.model_id.in_(chunk))
            .order_by(logged_model_tags.c.key)
        ):
            tags[model_id][key] = value
        for model_id, key, value in conn.execute(
            select(
                logged_model_params.c.model_id,
                logged_model_params.c.key,
                logged_model_params.c.value,
            )
            .where(logged_model_params.c.model_id.in_(chunk))
            .order_by(logged_model_params.c.key)
        ):
            params[model_id][key] = value
        for point in conn.execute(
            select(logged_model_metrics)
            .where(logged_model_metrics.c.model_id.in_(chunk))
            .order_by(
                logged_model_metrics.c.key,
                logged_model_metrics.c.step,
                logged_model_metrics.c.timestamp,
            )
        ):
            metrics[point.model_id].append(
                Metric(
                    key=point.key,
                    value=math.nan if point.is_nan else point.value,
                    timestamp=point.timestamp,
                    step=point.step,
                    run_id=point.run_id or None,
                    model_id=point.model_id,
                    dataset_name=point.dataset_name or None,
                    dataset_digest=point.dataset_digest or None,
                )
            )
    return [
        LoggedModel(
            model_id=row.model_id,
            experiment_id=str(row.experiment_id),
            name=row.name,
            artifact_uri=row.artifact_uri,
            status=LoggedModelStatus(row.status),
            creation_timestamp=row.creation_timestamp,
            last_updated_timestamp=row.last_updated_timestamp,
            source_run_id=row.source_run_id,
            model_type=row.model_type,
            status_message=row.status_message,
            tags=tags.get(row.model_id, {}),
            params=params.get(row.model_id, {}),
            metrics=metrics.get(row.model_id, []),
        )
        for row in rows
    ]


def _order_keys(
    order_by: Sequence[ModelOrder],
) -> list[tuple[search.OrderKey, DatasetScope | None]]:
    parsed = []
    for item in order_by:
        if not item.field_name:
            raise InvalidParameter("Each order_by entry of a logged model search needs field_name.")
        (key,) = search.parse_order_by([item.field_name], search.LOGGED_MODELS)
        if item.dataset_digest and not item.dataset_name:
            raise InvalidParameter("An order_by entry with dataset_digest needs dataset_name.")
        scope = DatasetScope(item.dataset_name, item.dataset_digest) if item.dataset_name else None
        parsed.append((search.OrderKey(key.identifier, item.ascending), scope))
    return parsed


def search_logged_models(
    conn: Connection,
    *,
    experiment_ids: Sequence[str],
    filter_string: str | None = None,
    datasets: Sequence[DatasetScope] = (),
    max_results: int | None = None,
    order_by: Sequence[ModelOrder] = (),
    page_token: str | None = None,
) -> Page[LoggedModel]:
    """One page of live logged models of some experiments matching a filter."""
    limit = validation.check_page_size(max_results, validation.LOGGED_MODELS_PAGE, "max_results")
    ids = searchable_experiment_ids(experiment_ids)
    for scope in datasets:
        if not scope.name:
            raise InvalidParameter("`dataset_name` in the `datasets` clause must be specified.")
    condition = compile_logged_model_filter(
        search.parse_filter(filter_string, search.LOGGED_MODELS), datasets
    )
    keys = logged_model_sort_keys(_order_keys(order_by))
    query_id = paging.fingerprint(
        "logged-models", sorted(ids), filter_string or "", datasets, order_by
    )
    if page_token:
        paging.decode_token(page_token, query_id)  # a bad token is refused even with no ids
    if not ids:
        return Page([], None)
    stmt = select(*_COLUMNS, *paging.sort_columns(keys)).where(
        logged_models.c.experiment_id.in_(ids),
        logged_models.c.lifecycle_stage == LifecycleStage.ACTIVE,
    )
    if condition is not None:
        stmt = stmt.where(condition)
    rows, token = paging.fetch_page(
        conn, stmt, keys, limit=limit, query=query_id, page_token=page_token
    )
    return Page(_assemble(conn, rows), token)
