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
from shipyard.store.dialect import AnyRow, chunks, raw_rows, upsert
from shipyard.store.experiments import get_active_experiment
from shipyard.store.schema import (
    datasets,
    run_input_tags,
    run_inputs,
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


_STATUSES = {status.value: status for status in RunStatus}
_STAGES = {stage.value: stage for stage in LifecycleStage}


def _info(row: AnyRow) -> RunInfo:
    """RunInfo from a row of ``_RUN_COLUMNS`` (by position: this runs once per listed run)."""
    return RunInfo(
        row[1], str(row[2]), row[3], row[4], _STATUSES[row[5]], row[6], row[7], row[8],
        _STAGES[row[9]],
    )  # fmt: skip


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


# What a run listing shows of each run, one statement per kind, read straight from the driver.
_PARAMS_SQL = "SELECT run, key, value FROM params WHERE run IN ({ids}) ORDER BY run, key"
_TAGS_SQL = "SELECT run, key, value FROM run_tags WHERE run IN ({ids}) ORDER BY run, key"
_METRICS_SQL = (
    "SELECT run, key, value, is_nan, timestamp, step FROM latest_metrics"
    " WHERE run IN ({ids}) ORDER BY run, key"
)
_MODEL_INPUTS_SQL = "SELECT run, model_id FROM run_model_inputs WHERE run IN ({ids})"
_MODEL_OUTPUTS_SQL = (
    "SELECT run, model_id, step FROM run_model_outputs WHERE run IN ({ids}) ORDER BY run, step"
)
_DATASET_INPUTS_SQL = "SELECT DISTINCT run FROM run_inputs WHERE run IN ({ids})"
_new_tuple = tuple.__new__
_NAN = math.nan


def assemble_runs(conn: Connection, rows: Sequence[AnyRow]) -> list[Run]:
    """Runs with their data, for rows that carry the run columns (in ``_RUN_COLUMNS`` order).

    A fixed number of statements per chunk of runs whatever the page size, each read straight
    from the driver into tight loops: a page of 1,000 runs is a handful of queries and no
    per-row ORM work.
    """
    pks = [row[0] for row in rows]
    run_params: dict[int, dict[str, str]] = defaultdict(dict)
    tags: dict[int, dict[str, str]] = defaultdict(dict)
    metrics: dict[int, list[Metric]] = defaultdict(list)
    model_inputs: dict[int, list[str]] = defaultdict(list)
    model_outputs: dict[int, list[ModelOutput]] = defaultdict(list)
    with_inputs: list[int] = []
    for chunk in chunks(pks):
        ids = ", ".join("?" * len(chunk))
        for pk, key, value in raw_rows(conn, _PARAMS_SQL.format(ids=ids), chunk):
            run_params[pk][key] = value
        for pk, key, value in raw_rows(conn, _TAGS_SQL.format(ids=ids), chunk):
            tags[pk][key] = value
        for pk, key, value, is_nan, timestamp, step in raw_rows(
            conn, _METRICS_SQL.format(ids=ids), chunk
        ):
            metrics[pk].append(
                _new_tuple(
                    Metric,
                    (key, _NAN if is_nan else value, timestamp, step, None, None, None, None),
                )
            )
        for pk, model_id in raw_rows(conn, _MODEL_INPUTS_SQL.format(ids=ids), chunk):
            model_inputs[pk].append(model_id)
        for pk, model_id, step in raw_rows(conn, _MODEL_OUTPUTS_SQL.format(ids=ids), chunk):
            model_outputs[pk].append(ModelOutput(model_id, step))
        with_inputs += [pk for (pk,) in raw_rows(conn, _DATASET_INPUTS_SQL.format(ids=ids), chunk)]
    inputs = _dataset_inputs(conn, with_inputs) if with_inputs else {}
    return [
        Run(
            _info(row),
            run_params.get(row[0], {}),
            metrics.get(row[0], []),
            tags.get(row[0], {}),
            inputs.get(row[0], []),
            model_inputs.get(row[0], []),
            model_outputs.get(row[0], []),
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
    if page_token:
        paging.decode_token(page_token, query_id)  # a bad token is refused even with no ids
    if not ids:
        return Page([], None)
    stmt = (
        select(*_RUN_COLUMNS, *paging.sort_columns(order.keys))
        .select_from(order.apply(runs))
        .where(runs.c.experiment_id.in_(ids), runs.c.lifecycle_stage.in_(view_type.stages()))
    )
    if condition is not None:
        stmt = stmt.where(condition)
    rows, token = paging.fetch_page(
        conn, stmt, order.keys, limit=limit, query=query_id, page_token=page_token
    )
    return Page(assemble_runs(conn, rows), token)
