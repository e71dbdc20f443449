"""Logged models (MLflow 3): create, get, finalize, delete, search, tags and params."""

from __future__ import annotations

from typing import Annotated

from fastapi import Body
from starlette.responses import Response

from shipyard.domain.errors import InvalidParameter
from shipyard.server.mlflow_api import messages as m
from shipyard.server.mlflow_api import wire
from shipyard.server.mlflow_api.routing import MlflowRouter, Store
from shipyard.server.permissions import Permission
from shipyard.store.logged_models import ModelOrder
from shipyard.store.search_sql import DatasetScope

router = MlflowRouter("logged-models")


def _model(store: Store, model_id: str) -> Response:
    return wire.json_response({"model": wire.logged_model(store.get_logged_model(model_id))})


@router.route("POST", "/logged-models", permission=Permission.EXPERIMENTS_EDIT)
def create_logged_model(body: m.CreateLoggedModel, store: Store) -> Response:
    """Create a logged model (PENDING until finalized)."""
    model = store.create_logged_model(
        experiment_id=body.experiment_id,
        name=body.name or None,
        source_run_id=body.source_run_id or None,
        model_type=body.model_type or None,
        tags={tag.key: tag.value for tag in body.tags},
        params={param.key: param.value for param in body.params},
    )
    return wire.json_response({"model": wire.logged_model(model)})


@router.route("POST", "/logged-models/search", permission=Permission.EXPERIMENTS_READ)
def search_logged_models(body: m.SearchLoggedModels, store: Store) -> Response:
    """Search logged models with a filter, dataset scopes, order and paging."""
    page = store.search_logged_models(
        experiment_ids=body.experiment_ids,
        filter_string=body.filter,
        datasets=[
            DatasetScope(item.dataset_name or "", item.dataset_digest or None)
            for item in body.datasets
        ],
        max_results=body.max_results,
        order_by=[
            ModelOrder(
                item.field_name or "",
                item.ascending,
                item.dataset_name or None,
                item.dataset_digest or None,
            )
            for item in body.order_by
        ],
        page_token=body.page_token or None,
    )
    return wire.page_response(
        "models", [wire.logged_model(x) for x in page.items], page.next_page_token
    )


@router.route("GET", "/logged-models/{model_id}", permission=Permission.EXPERIMENTS_READ)
def get_logged_model(model_id: str, store: Store) -> Response:
    """Get a logged model."""
    return _model(store, model_id)


@router.route("PATCH", "/logged-models/{model_id}", permission=Permission.EXPERIMENTS_EDIT)
def finalize_logged_model(model_id: str, body: m.FinalizeLoggedModel, store: Store) -> Response:
    """Mark a logged model READY (or UPLOAD_FAILED) once its files are uploaded."""
    status = wire.LOGGED_MODEL_STATUS_FROM_WIRE.get(body.status)
    if status is None:
        raise InvalidParameter(
            f"Cannot finalize a logged model with status {body.status}: use "
            "LOGGED_MODEL_READY or LOGGED_MODEL_UPLOAD_FAILED."
        )
    model = store.finalize_logged_model(model_id, status)
    return wire.json_response({"model": wire.logged_model(model)})


@router.route("DELETE", "/logged-models/{model_id}", permission=Permission.EXPERIMENTS_EDIT)
def delete_logged_model(
    model_id: str, store: Store, body: Annotated[m.LoggedModelRef | None, Body()] = None
) -> Response:
    """Delete a logged model."""
    store.delete_logged_model(model_id)
    return wire.json_response({})


@router.route("PATCH", "/logged-models/{model_id}/tags", permission=Permission.EXPERIMENTS_EDIT)
def set_logged_model_tags(model_id: str, body: m.LoggedModelTags, store: Store) -> Response:
    """Set tags on a logged model."""
    store.set_logged_model_tags(model_id, {tag.key: tag.value for tag in body.tags})
    return _model(store, model_id)


@router.route(
    "DELETE",
    "/logged-models/{model_id}/tags/{tag_key:path}",
    permission=Permission.EXPERIMENTS_EDIT,
)
def delete_logged_model_tag(
    model_id: str,
    tag_key: str,
    store: Store,
    body: Annotated[m.LoggedModelRef | None, Body()] = None,
) -> Response:
    """Remove a tag from a logged model."""
    store.delete_logged_model_tag(model_id, tag_key)
    return wire.json_response({})


@router.route("POST", "/logged-models/{model_id}/params", permission=Permission.EXPERIMENTS_EDIT)
def log_logged_model_params(model_id: str, body: m.LoggedModelParams, store: Store) -> Response:
    """Add params to a logged model."""
    store.log_logged_model_params(model_id, {p.key: p.value for p in body.params})
    return wire.json_response({})
