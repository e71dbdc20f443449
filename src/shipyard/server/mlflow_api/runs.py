"""Runs: create, get, update, delete, restore, search, and everything logged to them."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import Query, Request
from starlette.responses import Response

from shipyard.domain.clock import now_ms
from shipyard.domain.entities import Dataset, DatasetInput, Metric, ModelOutput, RunStatus
from shipyard.domain.errors import InvalidParameter
from shipyard.server.mlflow_api import messages as m
from shipyard.server.mlflow_api import wire
from shipyard.server.mlflow_api.batch import parse_log_batch
from shipyard.server.mlflow_api.routing import MlflowRouter, Store, json_body
from shipyard.server.permissions import Permission

router = MlflowRouter("runs")

LOG_MODEL_HISTORY_TAG = "mlflow.log-model.history"


def _metric(item: m.MetricIn) -> Metric:
    return Metric(
        key=item.key,
        value=item.value,
        timestamp=item.timestamp,
        step=item.step,
        model_id=item.model_id or None,
        dataset_name=item.dataset_name or None,
        dataset_digest=item.dataset_digest or None,
    )


@router.route("POST", "/runs/create", permission=Permission.EXPERIMENTS_EDIT)
def create_run(body: m.CreateRun, store: Store) -> Response:
    """Start a run in an experiment (the default experiment when none is given)."""
    run = store.create_run(
        experiment_id=body.experiment_id or "0",
        user_id=body.user_id or "unknown",
        start_time=body.start_time if body.start_time is not None else now_ms(),
        run_name=body.run_name or None,
        tags={tag.key: tag.value for tag in body.tags},
    )
    return wire.json_response({"run": wire.run(run)})


@router.route("GET", "/runs/get", permission=Permission.EXPERIMENTS_READ)
def get_run(query: Annotated[m.RunIdOnly, Query()], store: Store) -> Response:
    """Get a run with its params, latest metrics, tags, inputs and outputs."""
    return wire.json_response({"run": wire.run(store.get_run(query.id))})


@router.route("POST", "/runs/update", permission=Permission.EXPERIMENTS_EDIT)
def update_run(body: m.UpdateRun, store: Store) -> Response:
    """Change a run's status, end time or name."""
    info = store.update_run(
        body.id,
        status=RunStatus(body.status) if body.status else None,
        end_time=body.end_time,
        run_name=body.run_name or None,
    )
    return wire.json_response({"run_info": wire.run_info(info)})


@router.route("POST", "/runs/delete", permission=Permission.EXPERIMENTS_EDIT)
def delete_run(body: m.RunIdOnly, store: Store) -> Response:
    """Soft-delete a run."""
    store.delete_run(body.id)
    return wire.json_response({})


@router.route("POST", "/runs/restore", permission=Permission.EXPERIMENTS_EDIT)
def restore_run(body: m.RunIdOnly, store: Store) -> Response:
    """Restore a soft-deleted run."""
    store.restore_run(body.id)
    return wire.json_response({})


@router.route("POST", "/runs/search", permission=Permission.EXPERIMENTS_READ)
def search_runs(body: m.SearchRuns, store: Store) -> Response:
    """Search the runs of some experiments with a filter, order and paging."""
    page = store.search_runs(
        experiment_ids=body.experiment_ids,
        filter_string=body.filter,
        view_type=m.view_type(body.run_view_type),
        max_results=body.max_results,
        order_by=body.order_by,
        page_token=body.page_token or None,
    )
    return wire.page_response("runs", [wire.run(run) for run in page.items], page.next_page_token)


@router.route("POST", "/runs/log-metric", permission=Permission.EXPERIMENTS_EDIT)
async def log_metric(body: m.LogMetric, store: Store) -> Response:
    """Log one metric point."""
    await store.alog_batch(body.id, metrics=[_metric(body)])
    return wire.json_response({})


@router.route("POST", "/runs/log-parameter", permission=Permission.EXPERIMENTS_EDIT)
def log_param(body: m.LogParam, store: Store) -> Response:
    """Log a param (the same value again is fine; a different one is refused)."""
    store.log_param(body.id, body.key, body.value)
    return wire.json_response({})


@router.route("POST", "/runs/set-tag", permission=Permission.EXPERIMENTS_EDIT)
def set_tag(body: m.SetTag, store: Store) -> Response:
    """Set a tag on a run."""
    store.set_tag(body.id, body.key, body.value)
    return wire.json_response({})


@router.route("POST", "/runs/delete-tag", permission=Permission.EXPERIMENTS_EDIT)
def delete_tag(body: m.DeleteTag, store: Store) -> Response:
    """Remove a tag from a run."""
    store.delete_tag(body.id, body.key)
    return wire.json_response({})


@router.route(
    "POST",
    "/runs/log-batch",
    permission=Permission.EXPERIMENTS_EDIT,
    documented_body=m.LogBatch,
)
async def log_batch(request: Request, store: Store) -> Response:
    """Log up to 1000 metrics, 100 params and 100 tags in one transaction."""
    batch = parse_log_batch(await json_body(request))
    await store.alog_batch(
        batch.run_id, metrics=batch.metrics, params=batch.params, tags=batch.tags
    )
    return wire.json_response({})


@router.route("POST", "/runs/log-inputs", permission=Permission.EXPERIMENTS_EDIT)
def log_inputs(body: m.LogInputs, store: Store) -> Response:
    """Record the datasets and logged models a run used."""
    datasets = [
        DatasetInput(
            Dataset(
                name=item.dataset.name,
                digest=item.dataset.digest,
                source_type=item.dataset.source_type,
                source=item.dataset.source,
                schema=item.dataset.schema_,
                profile=item.dataset.profile,
            ),
            {tag.key: tag.value for tag in item.tags},
        )
        for item in body.datasets
    ]
    store.log_inputs(body.id, datasets=datasets, model_ids=[i.model_id for i in body.models])
    return wire.json_response({})


@router.route("POST", "/runs/outputs", permission=Permission.EXPERIMENTS_EDIT)
def log_outputs(body: m.LogOutputs, store: Store) -> Response:
    """Record the logged models a run produced."""
    store.log_outputs(body.id, [ModelOutput(item.model_id, item.step) for item in body.models])
    return wire.json_response({})


_MODEL_JSON_FIELDS = ("artifact_path", "flavors", "utc_time_created", "run_id")


@router.route("POST", "/runs/log-model", permission=Permission.EXPERIMENTS_EDIT)
def log_model(body: m.LogModel, store: Store) -> Response:
    """Record an MLflow 2 model in the run's ``mlflow.log-model.history`` tag."""
    try:
        model = json.loads(body.model_json)
    except json.JSONDecodeError as exc:
        raise InvalidParameter(f"'model_json' is not valid JSON: {exc}") from exc
    if not isinstance(model, dict):
        raise InvalidParameter("'model_json' must be a JSON object.")
    missing = [name for name in _MODEL_JSON_FIELDS if name not in model]
    if missing:
        raise InvalidParameter(f"'model_json' lacks required fields: {', '.join(missing)}.")
    run = store.get_run(body.id)
    history = []
    if LOG_MODEL_HISTORY_TAG in run.tags:
        try:
            history = json.loads(run.tags[LOG_MODEL_HISTORY_TAG])
        except json.JSONDecodeError:
            history = []
    history.append(model)
    store.set_tag(body.id, LOG_MODEL_HISTORY_TAG, json.dumps(history))
    return wire.json_response({})
