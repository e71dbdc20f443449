"""Metric histories: full, paged, and sampled for charts."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query
from starlette.responses import Response

from shipyard.server.mlflow_api import messages as m
from shipyard.server.mlflow_api import wire
from shipyard.server.mlflow_api.routing import MlflowRouter, Store
from shipyard.server.permissions import Permission

router = MlflowRouter("metrics")


@router.route("GET", "/metrics/get-history", permission=Permission.EXPERIMENTS_READ)
def get_metric_history(query: Annotated[m.GetMetricHistory, Query()], store: Store) -> Response:
    """Every point of a run's metric, in pages of up to 25,000, oldest first."""
    page = store.get_metric_history(
        query.id,
        query.metric_key,
        max_results=query.max_results,
        page_token=query.page_token or None,
    )
    return wire.page_response("metrics", wire.metrics(page.items), page.next_page_token)


@router.route("GET", "/metrics/get-history-bulk-interval", permission=Permission.EXPERIMENTS_READ)
def get_metric_history_bulk_interval(
    query: Annotated[m.GetMetricHistoryBulkInterval, Query()], store: Store
) -> Response:
    """Chart-sized histories of one metric for up to 100 runs (min/max per step bucket)."""
    points = store.get_metric_history_sampled(
        query.run_ids,
        query.metric_key,
        max_results=query.max_results,
        start_step=query.start_step,
        end_step=query.end_step,
    )
    return wire.json_response({"metrics": wire.metrics(points, with_run=True)})
