"""Logging to runs: params, tags, metrics (single and batched), dataset and model links.

Each write is split in two: ``prepare_*`` checks and normalises the input with no database at
hand (cheap, and done before the write is queued), ``write_*`` applies it inside the write
transaction with one bulk statement per table.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, delete, select, tuple_, update

from shipyard.domain import validation
from shipyard.domain.entities import DatasetInput, Metric, ModelOutput
from shipyard.domain.errors import InvalidParameter, NotFound
from shipyard.store.dialect import (
    bulk_insert_ignore,
    chunks,
    insert_ignore,
    insert_ignore_returning,
    upsert,
)
from shipyard.store.runs import RUN_NAME_TAG, RunRef, get_active_run_ref
from shipyard.store.schema import (
    datasets,
    latest_metrics,
    logged_model_metrics,
    logged_models,
    metrics,
    params,
    run_input_tags,
    run_inputs,
    run_model_inputs,
    run_model_outputs,
    run_tags,
    runs,
)


@dataclass(frozen=True, slots=True)
class Batch:
    """A checked log-batch: metrics as given, params and tags by key (values truncated)."""

    metrics: list[Metric] = field(default_factory=list)
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)


def check_metric(metric: Metric, *, key_checked: bool = False) -> Metric:
    """A metric point with a valid key, a number, a timestamp and a step."""
    if not key_checked:
        validation.check_key(metric.key, "key")
    validation.check_metric_value(metric.value, metric.key)
    validation.check_timestamp(metric.timestamp)
    validation.check_step(metric.step)
    if metric.model_id is not None:
        validation.check_model_id(metric.model_id)
    if metric.dataset_name is not None:
        validation.check_length(
            metric.dataset_name, validation.MAX_DATASET_NAME_LENGTH, "dataset_name"
        )
    if metric.dataset_digest is not None:
        validation.check_length(
            metric.dataset_digest, validation.MAX_DATASET_DIGEST_LENGTH, "dataset_digest"
        )
    return metric


def prepare_batch(
    metric_points: Sequence[Metric],
    param_items: Sequence[tuple[str, str]],
    tag_items: Sequence[tuple[str, str]],
) -> Batch:
    """Check a batch against the limits and the key rules; params must not repeat a key."""
    validation.check_batch_sizes(metric_points, param_items, tag_items)
    # a batch repeats a few keys many times: check each distinct key once
    for key in {metric.key for metric in metric_points}:
        validation.check_key(key, "key")
    lowest, highest = validation.MIN_INT64, validation.MAX_INT64
    for metric in metric_points:
        plain = (
            metric.value.__class__ is float
            and 0 <= metric.timestamp <= highest
            and lowest <= metric.step <= highest
            and metric.model_id is None
            and metric.dataset_name is None
            and metric.dataset_digest is None
        )
        if not plain:
            check_metric(metric, key_checked=True)
    batch_params: dict[str, str] = {}
    for key, value in param_items:
        validation.check_key(key, "key")
        if key in batch_params:
            raise InvalidParameter(
                f"Duplicate parameter keys are not allowed in one batch: {key!r} appears twice."
            )
        batch_params[key] = validation.truncate(value, validation.MAX_PARAM_VALUE_LENGTH)
    batch_tags: dict[str, str] = {}
    for key, value in tag_items:
        validation.check_key(key, "key")
        batch_tags[key] = validation.truncate(value, validation.MAX_RUN_TAG_VALUE_LENGTH)
    if RUN_NAME_TAG in batch_tags:
        # this tag is the run's name too, which has a tighter limit than tag values
        validation.check_length(
            batch_tags[RUN_NAME_TAG], validation.MAX_RUN_NAME_LENGTH, RUN_NAME_TAG
        )
    return Batch(list(metric_points), batch_params, batch_tags)


def write_batch(conn: Connection, run_id: str, batch: Batch) -> None:
    """Apply a prepared batch to a live run, all or nothing."""
    ref = get_active_run_ref(conn, run_id)
    if batch.params:
        _write_params(conn, ref, batch.params)
    if batch.metrics:
        _write_metrics(conn, ref, batch.metrics)
    if batch.tags:
        _write_tags(conn, ref, batch.tags)


def _write_params(conn: Connection, ref: RunRef, values: dict[str, str]) -> None:
    keys = sorted(values)
    existing: dict[str, str] = {}
    for chunk in chunks(keys):
        existing.update(
            conn.execute(
                select(params.c.key, params.c.value).where(
                    params.c.run == ref.pk, params.c.key.in_(chunk)
                )
            ).all()
        )
    for key, old in existing.items():
        if old != values[key]:
            raise InvalidParameter(
                f"Changing param values is not allowed. Param with key={key!r} was already "
                f"logged with value={old!r} for run ID={ref.run_id!r}. Attempted logging new "
                f"value {values[key]!r}. Log it under a new key, or start a new (nested) run."
            )
    new = [k for k in keys if k not in existing]
    inserted = insert_ignore_returning(
        conn, params, [{"run": ref.pk, "key": k, "value": values[k]} for k in new], "key"
    )
    if len(inserted) < len(new):
        # Another transaction logged some of these keys between our read and our insert
        # (PostgreSQL, READ COMMITTED): compare with what it stored, as for older params.
        raced = [key for key in new if key not in inserted]
        _write_params(conn, ref, {key: values[key] for key in raced})


def _write_tags(conn: Connection, ref: RunRef, values: dict[str, str]) -> None:
    upsert(
        conn,
        run_tags,
        [{"run": ref.pk, "key": k, "value": v} for k, v in sorted(values.items())],
        keys=["run", "key"],
        update=["value"],
    )
    if RUN_NAME_TAG in values:
        conn.execute(update(runs).where(runs.c.id == ref.pk).values(name=values[RUN_NAME_TAG]))


_POINT_COLUMNS = ("run", "key", "timestamp", "step", "value", "is_nan")


def _newest_per_key(rows: Iterable[tuple[Any, ...]]) -> list[dict[str, Any]]:
    """The newest point of each key among rows of ``_POINT_COLUMNS``: (step, timestamp, value)."""
    newest: dict[str, tuple[Any, ...]] = {}
    for row in rows:
        current = newest.get(row[1])
        if current is None or (row[3], row[2], row[4]) > (current[3], current[2], current[4]):
            newest[row[1]] = row
    return [dict(zip(_POINT_COLUMNS, newest[key], strict=True)) for key in sorted(newest)]


def _write_metrics(conn: Connection, ref: RunRef, points: Sequence[Metric]) -> None:
    pk = ref.pk
    # Metric fields by index (key, value, timestamp, step): this loop runs per point.
    # NaN (the only value not equal to itself) is stored as 0 with is_nan set: SQLite would
    # turn it into NULL.
    rows = [
        (pk, m[0], m[2], m[3], m[1], False) if m[1] == m[1] else (pk, m[0], m[2], m[3], 0.0, True)
        for m in points
    ]
    bulk_insert_ignore(conn, metrics, _POINT_COLUMNS, rows)
    upsert(
        conn,
        latest_metrics,
        _newest_per_key(rows),
        keys=["run", "key"],
        update=["step", "timestamp", "value", "is_nan"],
        where=lambda new: (
            tuple_(new.step, new.timestamp, new.value)
            > tuple_(latest_metrics.c.step, latest_metrics.c.timestamp, latest_metrics.c.value)
        ),
    )
    for_models = [metric for metric in points if metric.model_id]
    if for_models:
        _write_model_metrics(conn, ref.run_id, for_models)


def _write_model_metrics(conn: Connection, run_id: str, points: Sequence[Metric]) -> None:
    wanted = sorted({metric.model_id for metric in points if metric.model_id})
    found = set(
        conn.execute(
            select(logged_models.c.model_id).where(logged_models.c.model_id.in_(wanted))
        ).scalars()
    )
    missing = [model_id for model_id in wanted if model_id not in found]
    if missing:
        raise NotFound(f"Logged model with ID {missing[0]!r} not found.")
    insert_ignore(
        conn,
        logged_model_metrics,
        [
            {
                "model_id": metric.model_id,
                "key": metric.key,
                "step": metric.step,
                "timestamp": metric.timestamp,
                "value": 0.0 if math.isnan(metric.value) else metric.value,
                "is_nan": math.isnan(metric.value),
                "run_id": run_id,
                "dataset_name": metric.dataset_name or "",
                "dataset_digest": metric.dataset_digest or "",
            }
            for metric in points
        ],
    )


def delete_tag(conn: Connection, run_id: str, key: str) -> None:
    """Remove a tag from a live run; ``NotFound`` when it is not set."""
    ref = get_active_run_ref(conn, run_id)
    removed = conn.execute(
        delete(run_tags).where(run_tags.c.run == ref.pk, run_tags.c.key == key)
    ).rowcount
    if not removed:
        raise NotFound(f"No tag with name: {key} in run with id {run_id}")


def check_dataset_inputs(inputs: Sequence[DatasetInput]) -> None:
    """Field lengths and counts of the datasets a run declares as inputs."""
    if len(inputs) > validation.MAX_DATASETS_PER_BATCH:
        raise InvalidParameter(
            f"A run can log at most {validation.MAX_DATASETS_PER_BATCH} dataset inputs "
            f"per request, got {len(inputs)}."
        )
    for item in inputs:
        dataset = item.dataset
        for value, limit, name in (
            (dataset.name, validation.MAX_DATASET_NAME_LENGTH, "dataset.name"),
            (dataset.digest, validation.MAX_DATASET_DIGEST_LENGTH, "dataset.digest"),
            (dataset.source_type, validation.MAX_DATASET_SOURCE_TYPE_LENGTH, "dataset.source_type"),
            (dataset.source, validation.MAX_DATASET_SOURCE_LENGTH, "dataset.source"),
            (dataset.schema or "", validation.MAX_DATASET_SCHEMA_LENGTH, "dataset.schema"),
            (dataset.profile or "", validation.MAX_DATASET_PROFILE_LENGTH, "dataset.profile"),
        ):
            validation.check_length(value, limit, name)
        if not dataset.name or not dataset.digest:
            raise InvalidParameter("A dataset input needs a name and a digest.")
        for key, value in item.tags.items():
            if not key:
                raise InvalidParameter("A dataset input tag needs a key.")
            validation.check_length(key, validation.MAX_INPUT_TAG_KEY_LENGTH, "tag key")
            validation.check_length(value, validation.MAX_INPUT_TAG_VALUE_LENGTH, "tag value")


def write_inputs(
    conn: Connection, run_id: str, inputs: Sequence[DatasetInput], model_ids: Sequence[str]
) -> None:
    """Record the datasets and logged models a live run used (repeats are no-ops)."""
    ref = get_active_run_ref(conn, run_id)
    for item in inputs:
        dataset_id = _dataset_id(conn, ref.experiment_id, item)
        existing = conn.execute(
            select(run_inputs.c.id).where(
                run_inputs.c.run == ref.pk, run_inputs.c.dataset == dataset_id
            )
        ).scalar()
        if existing is not None:
            continue
        input_id = conn.execute(
            run_inputs.insert().values(run=ref.pk, dataset=dataset_id).returning(run_inputs.c.id)
        ).scalar_one()
        if item.tags:
            conn.execute(
                run_input_tags.insert(),
                [{"input": input_id, "key": k, "value": v} for k, v in item.tags.items()],
            )
    insert_ignore(
        conn,
        run_model_inputs,
        [{"run": ref.pk, "model_id": model_id} for model_id in dict.fromkeys(model_ids)],
    )


def _dataset_id(conn: Connection, experiment_id: int, item: DatasetInput) -> int:
    dataset = item.dataset
    where = (
        datasets.c.experiment_id == experiment_id,
        datasets.c.name == dataset.name,
        datasets.c.digest == dataset.digest,
    )
    found = conn.execute(select(datasets.c.id).where(*where)).scalar()
    if found is not None:
        return int(found)
    insert_ignore(
        conn,
        datasets,
        [
            {
                "experiment_id": experiment_id,
                "name": dataset.name,
                "digest": dataset.digest,
                "source_type": dataset.source_type,
                "source": dataset.source,
                "schema": dataset.schema,
                "profile": dataset.profile,
            }
        ],
    )
    return int(conn.execute(select(datasets.c.id).where(*where)).scalar_one())


def write_outputs(conn: Connection, run_id: str, outputs: Sequence[ModelOutput]) -> None:
    """Record the logged models a live run produced."""
    ref = get_active_run_ref(conn, run_id)
    wanted = sorted({output.model_id for output in outputs})
    found = set(
        conn.execute(
            select(logged_models.c.model_id).where(logged_models.c.model_id.in_(wanted))
        ).scalars()
    )
    for model_id in wanted:
        if model_id not in found:
            raise NotFound(f"Logged model with ID {model_id!r} not found.")
    insert_ignore(
        conn,
        run_model_outputs,
        [{"run": ref.pk, "model_id": o.model_id, "step": o.step} for o in outputs],
    )
