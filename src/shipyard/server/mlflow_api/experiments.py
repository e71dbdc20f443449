"""Experiments: create, get, search, rename, delete, restore, tags."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query
from starlette.responses import Response

from shipyard.server.mlflow_api import messages as m
from shipyard.server.mlflow_api import wire
from shipyard.server.mlflow_api.routing import MlflowRouter, Store
from shipyard.server.permissions import Permission

router = MlflowRouter("experiments")


@router.route("POST", "/experiments/create", permission=Permission.EXPERIMENTS_CREATE)
def create_experiment(body: m.CreateExperiment, store: Store) -> Response:
    """Create an experiment."""
    experiment_id = store.create_experiment(
        body.name,
        artifact_location=body.artifact_location or None,
        tags={tag.key: tag.value for tag in body.tags},
    )
    return wire.json_response({"experiment_id": experiment_id})


@router.route("GET", "/experiments/get", permission=Permission.EXPERIMENTS_READ)
def get_experiment(query: Annotated[m.ExperimentId, Query()], store: Store) -> Response:
    """Get an experiment by id."""
    experiment = store.get_experiment(query.experiment_id)
    return wire.json_response({"experiment": wire.experiment(experiment)})


@router.route("GET", "/experiments/get-by-name", permission=Permission.EXPERIMENTS_READ)
def get_experiment_by_name(query: Annotated[m.ExperimentByName, Query()], store: Store) -> Response:
    """Get an experiment by name (deleted experiments too)."""
    experiment = store.get_experiment_by_name(query.experiment_name)
    return wire.json_response({"experiment": wire.experiment(experiment)})


def _search(request: m.SearchExperiments, store: Store) -> Response:
    page = store.search_experiments(
        view_type=m.view_type(request.view_type),
        filter_string=request.filter,
        order_by=request.order_by,
        max_results=request.max_results,
        page_token=request.page_token or None,
    )
    return wire.page_response(
        "experiments", [wire.experiment(e) for e in page.items], page.next_page_token
    )


@router.route("POST", "/experiments/search", permission=Permission.EXPERIMENTS_READ)
def search_experiments(body: m.SearchExperiments, store: Store) -> Response:
    """Search experiments with a filter, order and paging."""
    return _search(body, store)


@router.route("GET", "/experiments/search", permission=Permission.EXPERIMENTS_READ)
def search_experiments_get(
    query: Annotated[m.SearchExperiments, Query()], store: Store
) -> Response:
    """Search experiments (query-string form)."""
    return _search(query, store)


@router.route("POST", "/experiments/update", permission=Permission.EXPERIMENTS_EDIT)
def update_experiment(body: m.UpdateExperiment, store: Store) -> Response:
    """Rename an experiment."""
    store.rename_experiment(body.experiment_id, body.new_name)
    return wire.json_response({})


@router.route("POST", "/experiments/delete", permission=Permission.EXPERIMENTS_MANAGE)
def delete_experiment(body: m.ExperimentId, store: Store) -> Response:
    """Soft-delete an experiment and its runs."""
    store.delete_experiment(body.experiment_id)
    return wire.json_response({})


@router.route("POST", "/experiments/restore", permission=Permission.EXPERIMENTS_MANAGE)
def restore_experiment(body: m.ExperimentId, store: Store) -> Response:
    """Restore a deleted experiment and the runs deleted with it."""
    store.restore_experiment(body.experiment_id)
    return wire.json_response({})


@router.route("POST", "/experiments/set-experiment-tag", permission=Permission.EXPERIMENTS_EDIT)
def set_experiment_tag(body: m.SetExperimentTag, store: Store) -> Response:
    """Set a tag on an experiment."""
    store.set_experiment_tag(body.experiment_id, body.key, body.value)
    return wire.json_response({})


@router.route("POST", "/experiments/delete-experiment-tag", permission=Permission.EXPERIMENTS_EDIT)
def delete_experiment_tag(body: m.DeleteExperimentTag, store: Store) -> Response:
    """Remove a tag from an experiment."""
    store.delete_experiment_tag(body.experiment_id, body.key)
    return wire.json_response({})
