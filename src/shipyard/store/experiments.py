"""Experiments: queries and statements, each given an open connection."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, delete, func, select, true, update
from sqlalchemy.exc import IntegrityError

from shipyard.domain import search, validation
from shipyard.domain.clock import now_ms
from shipyard.domain.entities import Experiment, LifecycleStage, Page, ViewType
from shipyard.domain.errors import AlreadyExists, InvalidParameter, NotFound
from shipyard.store import paging
from shipyard.store.dialect import AnyRow, chunks, insert_ignore, upsert
from shipyard.store.schema import experiment_tags, experiments, runs
from shipyard.store.search_sql import compile_experiment_filter, experiment_sort_keys

DEFAULT_EXPERIMENT_ID = 0
DEFAULT_EXPERIMENT_NAME = "Default"


def location_for(artifact_root: str, experiment_id: int) -> str:
    """Where an experiment's artifacts go when its creator does not say."""
    return f"{artifact_root.rstrip('/')}/{experiment_id}"


def ensure_default_experiment(conn: Connection, artifact_root: str) -> None:
    """Create experiment 0, "Default", unless it exists (or its name is taken)."""
    exists = conn.execute(
        select(experiments.c.experiment_id).where(
            (experiments.c.experiment_id == DEFAULT_EXPERIMENT_ID)
            | (experiments.c.name == DEFAULT_EXPERIMENT_NAME)
        )
    ).first()
    if exists is not None:
        return
    now = now_ms()
    # Ignoring a conflict: replicas or processes starting together may all get here.
    insert_ignore(
        conn,
        experiments,
        [
            {
                "experiment_id": DEFAULT_EXPERIMENT_ID,
                "name": DEFAULT_EXPERIMENT_NAME,
                "artifact_location": location_for(artifact_root, DEFAULT_EXPERIMENT_ID),
                "lifecycle_stage": LifecycleStage.ACTIVE,
                "creation_time": now,
                "last_update_time": now,
            }
        ],
    )


def check_artifact_location(location: str) -> str:
    """A client-chosen artifact location: a bounded string without control characters."""
    validation.check_length(location, validation.MAX_ARTIFACT_LOCATION_LENGTH, "artifact_location")
    if any(ord(char) < 32 or ord(char) == 127 for char in location):
        raise InvalidParameter("'artifact_location' must not contain control characters.")
    return location


def create_experiment(
    conn: Connection,
    name: str,
    artifact_root: str,
    artifact_location: str | None = None,
    tags: Mapping[str, str] | None = None,
) -> int:
    """Create an experiment and return its id; names are unique, deleted experiments too."""
    validation.check_experiment_name(name)
    if artifact_location:
        check_artifact_location(artifact_location)
    for key, value in (tags or {}).items():
        _check_tag(key, value)
    if find_experiment_by_name(conn, name) is not None:
        raise _name_taken(name)
    now = now_ms()
    try:
        with conn.begin_nested():
            experiment_id = conn.execute(
                experiments.insert()
                .values(
                    name=name,
                    artifact_location=artifact_location or "",
                    lifecycle_stage=LifecycleStage.ACTIVE,
                    creation_time=now,
                    last_update_time=now,
                )
                .returning(experiments.c.experiment_id)
            ).scalar_one()
    except IntegrityError as exc:
        raise _name_taken(name) from exc
    if not artifact_location:
        conn.execute(
            update(experiments)
            .where(experiments.c.experiment_id == experiment_id)
            .values(artifact_location=location_for(artifact_root, experiment_id))
        )
    if tags:
        conn.execute(
            experiment_tags.insert(),
            [{"experiment_id": experiment_id, "key": k, "value": v} for k, v in tags.items()],
        )
    return int(experiment_id)


def _name_taken(name: str) -> AlreadyExists:
    return AlreadyExists(
        f"Experiment(name={name}) already exists. An experiment keeps its name while it is "
        "deleted: restore it, rename it, or remove it for good with `shipyard gc`."
    )


def _check_tag(key: str, value: str) -> None:
    validation.check_key(key)
    validation.check_length(value, validation.MAX_EXPERIMENT_TAG_VALUE_LENGTH, "value")


def _tags_of(conn: Connection, ids: Sequence[int]) -> dict[int, dict[str, str]]:
    tags: dict[int, dict[str, str]] = defaultdict(dict)
    for chunk in chunks(ids):
        rows = conn.execute(
            select(experiment_tags.c.experiment_id, experiment_tags.c.key, experiment_tags.c.value)
            .where(experiment_tags.c.experiment_id.in_(chunk))
            .order_by(experiment_tags.c.experiment_id, experiment_tags.c.key)
        )
        for experiment_id, key, value in rows:
            tags[experiment_id][key] = value
    return tags


def _entity(row: AnyRow, tags: dict[str, str]) -> Experiment:
    return Experiment(
        experiment_id=str(row.experiment_id),
        name=row.name,
        artifact_location=row.artifact_location,
        lifecycle_stage=LifecycleStage(row.lifecycle_stage),
        creation_time=row.creation_time,
        last_update_time=row.last_update_time,
        tags=tags,
    )


def _columns() -> list[Any]:
    return [
        experiments.c.experiment_id,
        experiments.c.name,
        experiments.c.artifact_location,
        experiments.c.lifecycle_stage,
        experiments.c.creation_time,
        experiments.c.last_update_time,
    ]


def find_experiment(conn: Connection, experiment_id: int) -> Experiment | None:
    """The experiment with this id, or None."""
    if experiment_id > validation.MAX_EXPERIMENT_ID:
        return None
    row = conn.execute(
        select(*_columns()).where(experiments.c.experiment_id == experiment_id)
    ).first()
    if row is None:
        return None
    return _entity(row, _tags_of(conn, [experiment_id]).get(experiment_id, {}))


def get_experiment(conn: Connection, experiment_id: int) -> Experiment:
    """The experiment with this id; ``NotFound`` if there is none."""
    experiment = find_experiment(conn, experiment_id)
    if experiment is None:
        raise NotFound(f"No Experiment with id={experiment_id} exists")
    return experiment


def get_active_experiment(conn: Connection, experiment_id: int) -> Experiment:
    """The experiment, which must not be deleted (writes into a deleted one are refused)."""
    experiment = get_experiment(conn, experiment_id)
    if experiment.lifecycle_stage is not LifecycleStage.ACTIVE:
        raise InvalidParameter(
            f"The experiment {experiment_id} must be in the 'active' state. "
            f"Current state is {experiment.lifecycle_stage}."
        )
    return experiment


def find_experiment_by_name(conn: Connection, name: str) -> Experiment | None:
    """The experiment with this name (deleted ones too), or None."""
    row = conn.execute(select(*_columns()).where(experiments.c.name == name)).first()
    if row is None:
        return None
    return _entity(row, _tags_of(conn, [row.experiment_id]).get(row.experiment_id, {}))


def rename_experiment(conn: Connection, experiment_id: int, new_name: str) -> None:
    """Give a live experiment a new, unused name."""
    validation.check_experiment_name(new_name)
    experiment = get_experiment(conn, experiment_id)
    if experiment.lifecycle_stage is not LifecycleStage.ACTIVE:
        raise InvalidParameter("Cannot rename a deleted experiment: restore it first.")
    if experiment.name == new_name:
        return
    if find_experiment_by_name(conn, new_name) is not None:
        raise _name_taken(new_name)
    try:
        with conn.begin_nested():
            conn.execute(
                update(experiments)
                .where(experiments.c.experiment_id == experiment_id)
                .values(name=new_name, last_update_time=now_ms())
            )
    except IntegrityError as exc:
        raise _name_taken(new_name) from exc


def delete_experiment(conn: Connection, experiment_id: int) -> None:
    """Soft-delete an experiment and every live run in it."""
    get_active_experiment(conn, experiment_id)
    now = now_ms()
    conn.execute(
        update(experiments)
        .where(experiments.c.experiment_id == experiment_id)
        .values(lifecycle_stage=LifecycleStage.DELETED, deleted_time=now, last_update_time=now)
    )
    conn.execute(
        update(runs)
        .where(runs.c.experiment_id == experiment_id, runs.c.lifecycle_stage == "active")
        .values(
            lifecycle_stage=LifecycleStage.DELETED, deleted_time=now, deleted_with_experiment=True
        )
    )


def restore_experiment(conn: Connection, experiment_id: int) -> None:
    """Bring a deleted experiment back, with the runs that were deleted along with it.

    Runs deleted on their own before the experiment was stay deleted (MLflow restores every
    run of the experiment, undoing deletions the user made on purpose).
    """
    row = None
    if experiment_id <= validation.MAX_EXPERIMENT_ID:
        row = conn.execute(
            select(experiments.c.lifecycle_stage, experiments.c.deleted_time).where(
                experiments.c.experiment_id == experiment_id
            )
        ).first()
    if row is None:
        raise NotFound(f"No Experiment with id={experiment_id} exists")
    if row.lifecycle_stage != LifecycleStage.DELETED:
        raise InvalidParameter(
            f"Cannot restore experiment {experiment_id}: it is not deleted "
            f"(its lifecycle stage is {row.lifecycle_stage})."
        )
    conn.execute(
        update(experiments)
        .where(experiments.c.experiment_id == experiment_id)
        .values(lifecycle_stage=LifecycleStage.ACTIVE, deleted_time=None, last_update_time=now_ms())
    )
    conn.execute(
        update(runs)
        .where(
            runs.c.experiment_id == experiment_id,
            runs.c.lifecycle_stage == LifecycleStage.DELETED,
            runs.c.deleted_with_experiment == true(),
        )
        .values(
            lifecycle_stage=LifecycleStage.ACTIVE, deleted_time=None, deleted_with_experiment=False
        )
    )


def set_experiment_tag(conn: Connection, experiment_id: int, key: str, value: str) -> None:
    """Set (or overwrite) a tag on a live experiment."""
    _check_tag(key, value)
    get_active_experiment(conn, experiment_id)
    upsert(
        conn,
        experiment_tags,
        [{"experiment_id": experiment_id, "key": key, "value": value}],
        keys=["experiment_id", "key"],
        update=["value"],
    )
    conn.execute(
        update(experiments)
        .where(experiments.c.experiment_id == experiment_id)
        .values(last_update_time=now_ms())
    )


def delete_experiment_tag(conn: Connection, experiment_id: int, key: str) -> None:
    """Remove a tag from a live experiment; ``NotFound`` if it is not set."""
    get_active_experiment(conn, experiment_id)
    deleted = conn.execute(
        delete(experiment_tags).where(
            experiment_tags.c.experiment_id == experiment_id, experiment_tags.c.key == key
        )
    ).rowcount
    if not deleted:
        raise NotFound(f"No tag with key {key!r} on experiment {experiment_id}")


def search_experiments(
    conn: Connection,
    *,
    view_type: ViewType = ViewType.ACTIVE_ONLY,
    filter_string: str | None = None,
    order_by: Sequence[str] | None = None,
    max_results: int | None = None,
    page_token: str | None = None,
) -> Page[Experiment]:
    """One page of experiments matching a filter, in the requested order."""
    limit = validation.check_page_size(max_results, validation.EXPERIMENTS_PAGE, "max_results")
    condition = compile_experiment_filter(search.parse_filter(filter_string, search.EXPERIMENTS))
    keys = experiment_sort_keys(search.parse_order_by(order_by, search.EXPERIMENTS))
    query_id = paging.fingerprint("experiments", view_type, filter_string, list(order_by or []))
    stmt = select(*_columns(), *paging.sort_columns(keys)).where(
        experiments.c.lifecycle_stage.in_(view_type.stages())
    )
    if condition is not None:
        stmt = stmt.where(condition)
    rows, token = paging.fetch_page(
        conn, stmt, keys, limit=limit, query=query_id, page_token=page_token
    )
    tags = _tags_of(conn, [row.experiment_id for row in rows])
    items = [_entity(row, tags.get(row.experiment_id, {})) for row in rows]
    return Page(items, token)


def count_experiments(conn: Connection) -> int:
    """How many experiments there are, deleted ones included."""
    return int(conn.execute(select(func.count()).select_from(experiments)).scalar_one())
