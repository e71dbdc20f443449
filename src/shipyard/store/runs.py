"""Runs: create, read, update, delete and restore, search; each given an open connection.

Reading runs in bulk (a search page) costs a fixed number of queries whatever the page size:
one for the page, then one per kind of child data (params, tags, latest metrics, inputs,
outputs) for all its runs at once.
"""

from __future__ import annotations

import math
import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select, update

from shipyard.domain import search, validation
from shipyard.domain.clock import now_ms
from shipyard.domain.entities import (
    Dataset,
    DatasetInput,
    LifecycleStage,
    Metric,
    ModelOutput,
    Page,
    Run,
    RunInfo,
    RunStatus,
    ViewType,
)
from shipyard.domain.errors import InvalidParameter, NotFound
from shipyard.domain.names import generate_run_name
from shipyard.store import paging
from shipyard.store.dialect import AnyRow, chunks, upsert
from shipyard.store.experiments import get_active_experiment
from shipyard.store.schema import (
    datasets,
    latest_metrics,
    params,
    run_input_tags,
    run_inputs,
    run_model_inputs,
    run_model_outputs,
    run_tags,
    runs,
)
from shipyard.store.search_sql import compile_run_filter, run_sort_keys

RUN_NAME_TAG = "mlflow.runName"


@dataclass(frozen=True, slots=True)
class RunRef:
    """What writes need to know about a run: its row id, experiment and stage."""

    pk: int
    run_id: str
    experiment_id: int
    lifecycle_stage: str


_RUN_COLUMNS = (
    runs.c.id,
    runs.c.run_id,
    runs.c.experiment_id,
    runs.c.name,
    runs.c.user_id,
    runs.c.status,
    runs.c.start_time,
    runs.c.end_time,
    runs.c.artifact_uri,
    runs.c.lifecycle_stage,
)


def find_run_ref(conn: Connection, run_id: str) -> RunRef | None:
    """The run's reference, or None when there is no such run."""
    row = conn.execute(
        select(runs.c.id, runs.c.run_id, runs.c.experiment_id, runs.c.lifecycle_stage).where(
            runs.c.run_id == run_id
        )
    ).first()
    return (
        None if row is None else RunRef(row.id, row.run_id, row.experiment_id, row.lifecycle_stage)
    )


def get_run_ref(conn: Connection, run_id: str) -> RunRef:
    """The run's reference; ``NotFound`` when there is no such run."""
    ref = find_run_ref(conn, run_id)
    if ref is None:
        raise NotFound(f"Run with id={run_id} not found")
    return ref


def get_active_run_ref(conn: Connection, run_id: str) -> RunRef:
    """The reference of a run that may be written to (it must not be deleted)."""
    ref = get_run_ref(conn, run_id)
    if ref.lifecycle_stage != LifecycleStage.ACTIVE:
        raise InvalidParameter(
            f"The run {run_id} must be in the 'active' state. "
            f"Current state is {ref.lifecycle_stage}."
        )
    return ref


def create_run(
    conn: Connection,
    *,
    experiment_id: int,
    user_id: str,
    start_time: int,
    run_name: str | None,
    tags: Mapping[str, str],
) -> Run:
    """Start a run in a live experiment; its name and the ``mlflow.runName`` tag agree."""
    experiment = get_active_experiment(conn, experiment_id)
    tag_name = tags.get(RUN_NAME_TAG)
    if run_name and tag_name and run_name != tag_name:
        raise InvalidParameter(
            "Both 'run_name' and the 'mlflow.runName' tag are given, with different values "
            f"(run_name={run_name!r}, mlflow.runName={tag_name!r}): give one, or the same."
        )
    name = run_name or tag_name or generate_run_name()
    all_tags = {**tags, RUN_NAME_TAG: name}
    run_id = uuid.uuid4().hex
    artifact_uri = f"{experiment.artifact_location.rstrip('/')}/{run_id}/artifacts"
    pk = conn.execute(
        runs.insert()
        .values(
            run_id=run_id,
            experiment_id=experiment_id,
            name=name,
            user_id=user_id,
            status=RunStatus.RUNNING,
            start_time=start_time,
            end_time=None,
            artifact_uri=artifact_uri,
            lifecycle_stage=LifecycleStage.ACTIVE,
            deleted_with_experiment=False,
        )
        .returning(runs.c.id)
    ).scalar_one()
    conn.execute(
        run_tags.insert(), [{"run": pk, "key": k, "value": v} for k, v in all_tags.items()]
    )
    info = RunInfo(
        run_id=run_id,
        experiment_id=str(experiment_id),
        name=name,
        user_id=user_id,
        status=RunStatus.RUNNING,
        start_time=start_time,
        end_time=None,
        artifact_uri=artifact_uri,
        lifecycle_stage=LifecycleStage.ACTIVE,
    )
    return Run(info=info, tags=dict(sorted(all_tags.items())))


def update_run(
    conn: Connection,
    run_id: str,
    *,
    status: RunStatus | None,
    end_time: int | None,
    run_name: str | None,
) -> RunInfo:
    """Change a live run's status, end time or name (keeping ``mlflow.runName`` in step)."""
    ref = get_active_run_ref(conn, run_id)
    values: dict[str, Any] = {}
    if status is not None:
        values["status"] = status
    if end_time is not None:
        values["end_time"] = end_time
    if run_name:
        values["name"] = run_name
        set_run_name_tag(conn, ref.pk, run_name)
    if values:
        conn.execute(update(runs).where(runs.c.id == ref.pk).values(**values))
    return get_run_info(conn, run_id)


def set_run_name_tag(conn: Connection, pk: int, name: str) -> None:
    """Write the ``mlflow.runName`` tag of a run."""
    upsert(
        conn,
        run_tags,
        [{"run": pk, "key": RUN_NAME_TAG, "value": name}],
        keys=["run", "key"],
        update=["value"],
    )


def set_lifecycle_stage(conn: Connection, run_id: str, stage: LifecycleStage) -> None:
    """Soft-delete or restore a run."""
    ref = get_run_ref(conn, run_id)
    deleted_time = now_ms() if stage is LifecycleStage.DELETED else None
    conn.execute(
        update(runs)
        .where(runs.c.id == ref.pk)
        .values(lifecycle_stage=stage, deleted_time=deleted_time, deleted_with_experiment=False)
    )


def _info(row: AnyRow) -> RunInfo:
    return RunInfo(
        run_id=row.run_id,
        experiment_id=str(row.experiment_id),
        name=row.name,
        user_id=row.user_id,
        status=RunStatus(row.status),
        start_time=row.start_time,
        end_time=row.end_time,
        artifact_uri=row.artifact_uri,
        lifecycle_stage=LifecycleStage(row.lifecycle_stage),
    )


def get_run_info(conn: Connection, run_id: str) -> RunInfo:
    """A run's attributes; ``NotFound`` when there is no such run."""
    row = conn.execute(select(*_RUN_COLUMNS).where(runs.c.run_id == run_id)).first()
    if row is None:
        raise NotFound(f"Run with id={run_id} not found")
    return _info(row)


def get_run(conn: Connection, run_id: str) -> Run:
    """A run with everything logged to it; ``NotFound`` when there is no such run."""
    row = conn.execute(select(*_RUN_COLUMNS).where(runs.c.run_id == run_id)).first()
    if row is None:
        raise NotFound(f"Run with id={run_id} not found")
    return assemble_runs(conn, [row])[0]


def _metric_from_row(key: str, value: float, is_nan: bool, timestamp: int, step: int) -> Metric:
    return Metric(key=key, value=math.nan if is_nan else value, timestamp=timestamp, step=step)


def assemble_runs(conn: Connection, rows: Sequence[AnyRow]) -> list[Run]:
    """Runs with their data, for rows that carry the run columns; a fixed number of queries."""
    pks = [row.id for row in rows]
    run_params: dict[int, dict[str, str]] = defaultdict(dict)
    tags: dict[int, dict[str, str]] = defaultdict(dict)
    metrics: dict[int, list[Metric]] = defaultdict(list)
    inputs = _dataset_inputs(conn, pks)
    model_inputs: dict[int, list[str]] = defaultdict(list)
    model_outputs: dict[int, list[ModelOutput]] = defaultdict(list)
    for chunk in chunks(pks):
        for pk, key, value in conn.execute(
            select(params.c.run, params.c.key, params.c.value)
            .where(params.c.run.in_(chunk))
            .order_by(params.c.run, params.c.key)
        ):
            run_params[pk][key] = value
        for pk, key, value in conn.execute(
            select(run_tags.c.run, run_tags.c.key, run_tags.c.value)
            .where(run_tags.c.run.in_(chunk))
            .order_by(run_tags.c.run, run_tags.c.key)
        ):
            tags[pk][key] = value
        for pk, key, value, is_nan, timestamp, step in conn.execute(
            select(
                latest_metrics.c.run,
                latest_metrics.c.key,
                latest_metrics.c.value,
                latest_metrics.c.is_nan,
                latest_metrics.c.timestamp,
                latest_metrics.c.step,
            )
            .where(latest_metrics.c.run.in_(chunk))
            .order_by(latest_metrics.c.run, latest_metrics.c.key)
        ):
            metrics[pk].append(_metric_from_row(key, value, is_nan, timestamp, step))
        for pk, model_id in conn.execute(
            select(run_model_inputs.c.run, run_model_inputs.c.model_id).where(
                run_model_inputs.c.run.in_(chunk)
            )
        ):
            model_inputs[pk].append(model_id)
        for pk, model_id, step in conn.execute(
            select(run_model_outputs.c.run, run_model_outputs.c.model_id, run_model_outputs.c.step)
            .where(run_model_outputs.c.run.in_(chunk))
            .order_by(run_model_outputs.c.run, run_model_outputs.c.step)
        ):
            model_outputs[pk].append(ModelOutput(model_id, step))
    return [
        Run(
            info=_info(row),
            params=run_params.get(row.id, {}),
            metrics=metrics.get(row.id, []),
            tags=tags.get(row.id, {}),
            dataset_inputs=inputs.get(row.id, []),
            model_inputs=model_inputs.get(row.id, []),
            model_outputs=model_outputs.get(row.id, []),
        )
        for row in rows
    ]


def _dataset_inputs(conn: Connection, pks: Sequence[int]) -> dict[int, list[DatasetInput]]:
    by_input: dict[int, tuple[int, Dataset]] = {}
    input_tags: dict[int, dict[str, str]] = defaultdict(dict)
    for chunk in chunks(pks):
        for row in conn.execute(
            select(
                run_inputs.c.id,
                run_inputs.c.run,
                datasets.c.name,
                datasets.c.digest,
                datasets.c.source_type,
                datasets.c.source,
                datasets.c.schema,
                datasets.c.profile,
            )
            .join(datasets, datasets.c.id == run_inputs.c.dataset)
            .where(run_inputs.c.run.in_(chunk))
            .order_by(run_inputs.c.run, run_inputs.c.id)
        ):
            by_input[row.id] = (
                row.run,
                Dataset(row.name, row.digest, row.source_type, row.source, row.schema, row.profile),
            )
    input_ids = list(by_input)
    for chunk in chunks(input_ids):
        for input_id, key, value in conn.execute(
            select(run_input_tags.c.input, run_input_tags.c.key, run_input_tags.c.value)
            .where(run_input_tags.c.input.in_(chunk))
            .order_by(run_input_tags.c.input, run_input_tags.c.key)
        ):
            input_tags[input_id][key] = value
    result: dict[int, list[DatasetInput]] = defaultdict(list)
    for input_id, (pk, dataset) in by_input.items():
        result[pk].append(DatasetInput(dataset, input_tags.get(input_id, {})))
    return result


def searchable_experiment_ids(values: Sequence[str]) -> list[int]:
    """Checked experiment ids of a search; ids too large to exist are left out."""
    ids = [validation.check_experiment_id(value, "experiment_ids") for value in values]
    return [number for number in ids if number <= validation.MAX_EXPERIMENT_ID]


def search_runs(
    conn: Connection,
    *,
    experiment_ids: Sequence[str],
    filter_string: str | None = None,
    view_type: ViewType = ViewType.ACTIVE_ONLY,
    max_results: int | None = None,
    order_by: Sequence[str] | None = None,
    page_token: str | None = None,
) -> Page[Run]:
    """One page of the runs of some experiments that match a filter, in the requested order."""
    limit = validation.check_page_size(max_results, validation.RUNS_PAGE, "max_results")
    ids = searchable_experiment_ids(experiment_ids)
    condition = compile_run_filter(search.parse_filter(filter_string, search.RUNS))
    order = run_sort_keys(search.parse_order_by(order_by, search.RUNS))
    query_id = paging.fingerprint(
        "runs", sorted(ids), view_type, filter_string or "", list(order_by or [])
    )
    position = paging.decode_token(page_token, query_id) if page_token else None
    if not ids:
        return Page([], None)
    stmt = (
        select(*_RUN_COLUMNS, *paging.sort_columns(order.keys))
        .select_from(order.apply(runs))
        .where(runs.c.experiment_id.in_(ids), runs.c.lifecycle_stage.in_(view_type.stages()))
    )
    if condition is not None:
        stmt = stmt.where(condition)
    if position is not None:
        stmt = stmt.where(paging.after_position(order.keys, position))
    rows = conn.execute(stmt.order_by(*paging.order_by(order.keys)).limit(limit + 1)).all()
    token = None
    if len(rows) > limit:
        rows = rows[:limit]
        token = paging.encode_token(paging.position_of(order.keys, rows[-1]), query_id)
    return Page(assemble_runs(conn, rows), token)
