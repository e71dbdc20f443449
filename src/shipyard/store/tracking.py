"""``TrackingStore``: the tracking data of one tracking server, behind plain method calls.

Every method is one transaction: reads on the read pool, writes through ``Database.write``
(the SQLite writer thread, or a PostgreSQL transaction). Input that can be checked without the
database is checked before a write is queued, so bad requests never occupy the writer.

A tracking server owns one database (a SQLite file, or a PostgreSQL database or schema, chosen
with ``?options=-csearch_path=<schema>`` in its URI); Studio gives each managed server its own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from shipyard.domain import validation
from shipyard.domain.entities import (
    DatasetInput,
    Experiment,
    LifecycleStage,
    LoggedModel,
    LoggedModelStatus,
    Metric,
    ModelOutput,
    Page,
    Run,
    RunInfo,
    RunStatus,
    ViewType,
)
from shipyard.domain.errors import NotFound
from shipyard.store import experiments, gc, logged_models, metric_history, run_logging, runs
from shipyard.store.engine import Database
from shipyard.store.logged_models import ModelOrder
from shipyard.store.migrate import (
    SchemaMismatch,
    SchemaState,
    newer_schema_message,
    schema_status,
    upgrade,
)
from shipyard.store.search_sql import DatasetScope


def prepare_database(uri: str, *, allow_upgrade: bool = False) -> None:
    """Create an empty database's schema, upgrade an old one if allowed, refuse a newer one."""
    status = schema_status(uri)
    if status.state is SchemaState.EMPTY:
        upgrade(uri)
    elif status.state is SchemaState.OLDER:
        if not allow_upgrade:
            raise SchemaMismatch(
                f"The database schema is at revision {status.current}; this Shipyard needs "
                f"{status.head}. Back up the database, then run `shipyard db upgrade "
                "--backend-store-uri <uri>` (or start the server with --upgrade-db)."
            )
        upgrade(uri)
    elif status.state is SchemaState.NEWER:
        raise SchemaMismatch(newer_schema_message(status))


class TrackingStore:
    """Experiments, runs and logged models of one tracking server."""

    def __init__(self, db: Database, artifact_root: str) -> None:
        self.db = db
        self.artifact_root = artifact_root

    def close(self) -> None:
        """Finish pending writes and release the database."""
        self.db.close()

    # -- experiments ------------------------------------------------------------------------

    def ensure_default_experiment(self) -> None:
        """Create experiment "0" ("Default") if it does not exist yet."""
        self.db.write(lambda c: experiments.ensure_default_experiment(c, self.artifact_root))

    def create_experiment(
        self,
        name: str,
        artifact_location: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> str:
        """Create an experiment; return its id."""
        validation.check_experiment_name(name)
        return str(
            self.db.write(
                lambda c: experiments.create_experiment(
                    c, name, self.artifact_root, artifact_location, tags
                )
            )
        )

    def get_experiment(self, experiment_id: str) -> Experiment:
        """The experiment with this id (deleted ones too)."""
        number = validation.check_experiment_id(experiment_id)
        return self.db.read(lambda c: experiments.get_experiment(c, number))

    def get_experiment_by_name(self, name: str) -> Experiment:
        """The experiment with this name (deleted ones too)."""
        found = self.db.read(lambda c: experiments.find_experiment_by_name(c, name))
        if found is None:
            raise NotFound(f"Could not find experiment with name '{name}'")
        return found

    def search_experiments(
        self,
        *,
        view_type: ViewType = ViewType.ACTIVE_ONLY,
        filter_string: str | None = None,
        order_by: Sequence[str] | None = None,
        max_results: int | None = None,
        page_token: str | None = None,
    ) -> Page[Experiment]:
        """A page of experiments matching a filter."""
        return self.db.read(
            lambda c: experiments.search_experiments(
                c,
                view_type=view_type,
                filter_string=filter_string,
                order_by=order_by,
                max_results=max_results,
                page_token=page_token,
            )
        )

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        """Rename a live experiment."""
        number = validation.check_experiment_id(experiment_id)
        validation.check_experiment_name(new_name)
        self.db.write(lambda c: experiments.rename_experiment(c, number, new_name))

    def delete_experiment(self, experiment_id: str) -> None:
        """Soft-delete an experiment and its runs."""
        number = validation.check_experiment_id(experiment_id)
        self.db.write(lambda c: experiments.delete_experiment(c, number))

    def restore_experiment(self, experiment_id: str) -> None:
        """Restore a deleted experiment and the runs deleted with it."""
        number = validation.check_experiment_id(experiment_id)
        self.db.write(lambda c: experiments.restore_experiment(c, number))

    def set_experiment_tag(self, experiment_id: str, key: str, value: str) -> None:
        """Set a tag on an experiment."""
        number = validation.check_experiment_id(experiment_id)
        self.db.write(lambda c: experiments.set_experiment_tag(c, number, key, value))

    def delete_experiment_tag(self, experiment_id: str, key: str) -> None:
        """Remove a tag from an experiment."""
        number = validation.check_experiment_id(experiment_id)
        self.db.write(lambda c: experiments.delete_experiment_tag(c, number, key))

    # -- runs -------------------------------------------------------------------------------

    def create_run(
        self,
        *,
        experiment_id: str,
        user_id: str,
        start_time: int,
        run_name: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> Run:
        """Start a run."""
        number = validation.check_experiment_id(experiment_id)
        validation.check_timestamp(start_time, "start_time")
        validation.check_length(user_id, validation.MAX_USER_ID_LENGTH, "user_id")
        if run_name:
            validation.check_length(run_name, validation.MAX_RUN_NAME_LENGTH, "run_name")
        checked = run_logging.prepare_batch([], [], list((tags or {}).items())).tags
        return self.db.write(
            lambda c: runs.create_run(
                c,
                experiment_id=number,
                user_id=user_id,
                start_time=start_time,
                run_name=run_name,
                tags=checked,
            )
        )

    def get_run(self, run_id: str) -> Run:
        """A run with its data (deleted runs too)."""
        validation.check_run_id(run_id)
        return self.db.read(lambda c: runs.get_run(c, run_id))

    def update_run(
        self,
        run_id: str,
        *,
        status: RunStatus | None = None,
        end_time: int | None = None,
        run_name: str | None = None,
    ) -> RunInfo:
        """Change a run's status, end time or name."""
        validation.check_run_id(run_id)
        if end_time is not None:
            validation.check_timestamp(end_time, "end_time")
        if run_name:
            validation.check_length(run_name, validation.MAX_RUN_NAME_LENGTH, "run_name")
        return self.db.write(
            lambda c: runs.update_run(
                c, run_id, status=status, end_time=end_time, run_name=run_name
            )
        )

    def delete_run(self, run_id: str) -> None:
        """Soft-delete a run."""
        validation.check_run_id(run_id)
        self.db.write(lambda c: runs.set_lifecycle_stage(c, run_id, LifecycleStage.DELETED))

    def restore_run(self, run_id: str) -> None:
        """Restore a soft-deleted run."""
        validation.check_run_id(run_id)
        self.db.write(lambda c: runs.set_lifecycle_stage(c, run_id, LifecycleStage.ACTIVE))

    def log_batch(
        self,
        run_id: str,
        *,
        metrics: Sequence[Metric] = (),
        params: Sequence[tuple[str, str]] = (),
        tags: Sequence[tuple[str, str]] = (),
    ) -> None:
        """Log metrics, params and tags to a run in one transaction."""
        validation.check_run_id(run_id)
        batch = run_logging.prepare_batch(metrics, params, tags)
        self.db.write(lambda c: run_logging.write_batch(c, run_id, batch))

    async def alog_batch(
        self,
        run_id: str,
        *,
        metrics: Sequence[Metric] = (),
        params: Sequence[tuple[str, str]] = (),
        tags: Sequence[tuple[str, str]] = (),
    ) -> None:
        """``log_batch`` for async callers (the ingest hot path: no worker thread on SQLite)."""
        validation.check_run_id(run_id)
        batch = run_logging.prepare_batch(metrics, params, tags)
        await self.db.awrite(lambda c: run_logging.write_batch(c, run_id, batch))

    def log_metric(self, run_id: str, metric: Metric) -> None:
        """Log one metric point."""
        self.log_batch(run_id, metrics=[metric])

    def log_param(self, run_id: str, key: str, value: str) -> None:
        """Log one param (a param's value never changes once logged)."""
        self.log_batch(run_id, params=[(key, value)])

    def set_tag(self, run_id: str, key: str, value: str) -> None:
        """Set one tag on a run."""
        self.log_batch(run_id, tags=[(key, value)])

    def delete_tag(self, run_id: str, key: str) -> None:
        """Remove a tag from a run."""
        validation.check_run_id(run_id)
        self.db.write(lambda c: run_logging.delete_tag(c, run_id, key))

    def log_inputs(
        self,
        run_id: str,
        *,
        datasets: Sequence[DatasetInput] = (),
        model_ids: Sequence[str] = (),
    ) -> None:
        """Record datasets and logged models a run used."""
        validation.check_run_id(run_id)
        run_logging.check_dataset_inputs(datasets)
        for model_id in model_ids:
            validation.check_model_id(model_id)
        self.db.write(lambda c: run_logging.write_inputs(c, run_id, datasets, model_ids))

    def log_outputs(self, run_id: str, outputs: Sequence[ModelOutput]) -> None:
        """Record logged models a run produced."""
        validation.check_run_id(run_id)
        for output in outputs:
            validation.check_model_id(output.model_id)
        self.db.write(lambda c: run_logging.write_outputs(c, run_id, outputs))

    def search_runs(
        self,
        *,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int | None = None,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> Page[Run]:
        """A page of runs matching a filter."""
        return self.db.read(
            lambda c: runs.search_runs(
                c,
                experiment_ids=experiment_ids,
                filter_string=filter_string,
                view_type=view_type,
                max_results=max_results,
                order_by=order_by,
                page_token=page_token,
            )
        )

    def get_metric_history(
        self,
        run_id: str,
        key: str,
        *,
        max_results: int | None = None,
        page_token: str | None = None,
    ) -> Page[Metric]:
        """A page of every point of a run's metric, oldest first."""
        validation.check_run_id(run_id)
        return self.db.read(
            lambda c: metric_history.get_metric_history(
                c, run_id, key, max_results=max_results, page_token=page_token
            )
        )

    def get_metric_history_sampled(
        self,
        run_ids: Sequence[str],
        key: str,
        *,
        max_results: int | None = None,
        start_step: int | None = None,
        end_step: int | None = None,
    ) -> list[Metric]:
        """Chart-sized histories of one metric for several runs."""
        for run_id in run_ids:
            validation.check_run_id(run_id, "run_ids")
        return self.db.read(
            lambda c: metric_history.get_metric_history_sampled(
                c,
                run_ids,
                key,
                max_results=max_results,
                start_step=start_step,
                end_step=end_step,
            )
        )

    # -- logged models ----------------------------------------------------------------------

    def create_logged_model(
        self,
        *,
        experiment_id: str,
        name: str | None = None,
        source_run_id: str | None = None,
        model_type: str | None = None,
        tags: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> LoggedModel:
        """Create a logged model, PENDING until finalized."""
        number = validation.check_experiment_id(experiment_id)
        return self.db.write(
            lambda c: logged_models.create_logged_model(
                c,
                experiment_id=number,
                name=name,
                source_run_id=source_run_id,
                model_type=model_type,
                tags=tags or {},
                params=params or {},
            )
        )

    def get_logged_model(self, model_id: str) -> LoggedModel:
        """A live logged model."""
        validation.check_model_id(model_id)
        return self.db.read(lambda c: logged_models.get_logged_model(c, model_id))

    def finalize_logged_model(self, model_id: str, status: LoggedModelStatus) -> LoggedModel:
        """Mark a logged model READY or FAILED."""
        validation.check_model_id(model_id)
        return self.db.write(lambda c: logged_models.finalize_logged_model(c, model_id, status))

    def delete_logged_model(self, model_id: str) -> None:
        """Soft-delete a logged model."""
        validation.check_model_id(model_id)
        self.db.write(lambda c: logged_models.delete_logged_model(c, model_id))

    def set_logged_model_tags(self, model_id: str, tags: Mapping[str, str]) -> None:
        """Set tags on a logged model."""
        validation.check_model_id(model_id)
        self.db.write(lambda c: logged_models.set_logged_model_tags(c, model_id, tags))

    def delete_logged_model_tag(self, model_id: str, key: str) -> None:
        """Remove a tag from a logged model."""
        validation.check_model_id(model_id)
        self.db.write(lambda c: logged_models.delete_logged_model_tag(c, model_id, key))

    def log_logged_model_params(self, model_id: str, params: Mapping[str, str]) -> None:
        """Add params to a logged model."""
        validation.check_model_id(model_id)
        self.db.write(lambda c: logged_models.log_logged_model_params(c, model_id, params))

    def search_logged_models(
        self,
        *,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        datasets: Sequence[DatasetScope] = (),
        max_results: int | None = None,
        order_by: Sequence[ModelOrder] = (),
        page_token: str | None = None,
    ) -> Page[LoggedModel]:
        """A page of logged models matching a filter."""
        return self.db.read(
            lambda c: logged_models.search_logged_models(
                c,
                experiment_ids=experiment_ids,
                filter_string=filter_string,
                datasets=datasets,
                max_results=max_results,
                order_by=order_by,
                page_token=page_token,
            )
        )

    # -- garbage collection -----------------------------------------------------------------

    def plan_gc(
        self,
        *,
        deleted_before: int,
        run_ids: Sequence[str] = (),
        experiment_ids: Sequence[str] = (),
    ) -> gc.GcPlan:
        """What a garbage collection would delete for good."""
        for run_id in run_ids:
            validation.check_run_id(run_id)
        numbers = [validation.check_experiment_id(e, "experiment_ids") for e in experiment_ids]
        return self.db.read(
            lambda c: gc.plan(
                c, deleted_before=deleted_before, run_ids=run_ids, experiment_ids=numbers
            )
        )

    def purge(self, item: gc.Purgeable) -> None:
        """Delete one planned item for good (its own transaction)."""
        if item.kind == "run":
            self.db.write(lambda c: gc.purge_run(c, item.id))
        elif item.kind == "logged_model":
            self.db.write(lambda c: gc.purge_logged_model(c, item.id))
        else:
            self.db.write(lambda c: gc.purge_experiment(c, int(item.id)))
