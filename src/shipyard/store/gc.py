"""Permanent deletion of what was soft-deleted: runs, experiments and logged models.

``plan`` finds what may go (deleted long enough ago, optionally limited to given ids); the
``purge_*`` functions remove one item each, in its own transaction, with everything stored under
it (params, tags, metrics, inputs, outputs go by ON DELETE CASCADE). Purging an experiment
purges all of its runs and logged models, whatever their stage, and frees its name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, Connection, delete, or_, select

from shipyard.domain.entities import LifecycleStage
from shipyard.domain.errors import InvalidParameter
from shipyard.store.schema import experiments, logged_models, runs


@dataclass(frozen=True, slots=True)
class Purgeable:
    """One item to delete for good, with where its artifacts are."""

    kind: str  # "run", "experiment" or "logged_model"
    id: str
    name: str
    artifact_uri: str


@dataclass(slots=True)
class GcPlan:
    """Everything one garbage collection will delete."""

    runs: list[Purgeable] = field(default_factory=list)
    logged_models: list[Purgeable] = field(default_factory=list)
    experiments: list[Purgeable] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """True when there is nothing to delete."""
        return not (self.runs or self.logged_models or self.experiments)


def plan(
    conn: Connection,
    *,
    deleted_before: int,
    run_ids: Sequence[str] = (),
    experiment_ids: Sequence[int] = (),
) -> GcPlan:
    """What a collection would delete: items deleted at or before ``deleted_before`` (ms).

    With ``run_ids`` or ``experiment_ids``, only those (which must be deleted) are considered.
    """
    limited = bool(run_ids or experiment_ids)
    result = GcPlan()
    exp_query = select(
        experiments.c.experiment_id, experiments.c.name, experiments.c.artifact_location
    ).where(
        experiments.c.lifecycle_stage == LifecycleStage.DELETED,
        experiments.c.deleted_time <= deleted_before,
    )
    if limited:
        exp_query = exp_query.where(experiments.c.experiment_id.in_(list(experiment_ids)))
    doomed_experiments = [
        Purgeable("experiment", str(row.experiment_id), row.name, row.artifact_location)
        for row in conn.execute(exp_query.order_by(experiments.c.experiment_id))
    ]
    _check_named("experiment", [str(i) for i in experiment_ids], [e.id for e in doomed_experiments])
    doomed_ids = [int(item.id) for item in doomed_experiments]

    run_query = select(runs.c.run_id, runs.c.name, runs.c.artifact_uri)
    in_doomed_experiment = runs.c.experiment_id.in_(doomed_ids)
    deleted_run = (runs.c.lifecycle_stage == LifecycleStage.DELETED) & (
        runs.c.deleted_time <= deleted_before
    )
    if limited:
        deleted_run = deleted_run & runs.c.run_id.in_(list(run_ids))
    run_query = run_query.where(or_(in_doomed_experiment, deleted_run))
    result.runs = [
        Purgeable("run", row.run_id, row.name, row.artifact_uri)
        for row in conn.execute(run_query.order_by(runs.c.id))
    ]
    named_runs = {item.id for item in result.runs}
    _check_named("run", list(run_ids), [r for r in run_ids if r in named_runs])

    model_conditions: list[ColumnElement[bool]] = [logged_models.c.experiment_id.in_(doomed_ids)]
    if not limited:
        model_conditions.append(
            (logged_models.c.lifecycle_stage == LifecycleStage.DELETED)
            & (logged_models.c.last_updated_timestamp <= deleted_before)
        )
    model_query = select(
        logged_models.c.model_id, logged_models.c.name, logged_models.c.artifact_uri
    ).where(or_(*model_conditions))
    result.logged_models = [
        Purgeable("logged_model", row.model_id, row.name, row.artifact_uri)
        for row in conn.execute(model_query.order_by(logged_models.c.model_id))
    ]
    result.experiments = doomed_experiments
    return result


def _check_named(kind: str, asked: Sequence[str], found: Sequence[str]) -> None:
    missing = sorted(set(asked) - set(found))
    if missing:
        raise InvalidParameter(
            f"Cannot collect {kind} {', '.join(missing)}: it does not exist, is not deleted, "
            "or was deleted more recently than --older-than allows."
        )


def purge_run(conn: Connection, run_id: str) -> None:
    """Delete a run and everything logged to it."""
    conn.execute(delete(runs).where(runs.c.run_id == run_id))


def purge_logged_model(conn: Connection, model_id: str) -> None:
    """Delete a logged model with its params, tags and metrics."""
    conn.execute(delete(logged_models).where(logged_models.c.model_id == model_id))


def purge_experiment(conn: Connection, experiment_id: int) -> None:
    """Delete an experiment (its runs and models must be purged first) and free its name."""
    conn.execute(delete(experiments).where(experiments.c.experiment_id == experiment_id))
