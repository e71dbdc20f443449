"""Runs-table routes of Shipyard's own: what the web UI's runs table reads.

MLflow's run search returns every param, metric and tag of every run, which for a sweep of
10,000 runs with hundreds of keys is far more than a table shows. These routes return the keys
an experiment has (to choose columns from) and compact pages of just the chosen columns, with
the same filter grammar, order and page tokens as ``runs/search``.

- ``GET  /api/2.0/shipyard/experiments/columns``: keys with run counts.
- ``GET  /api/2.0/shipyard/experiments/run-counts``: live and deleted runs per experiment.
- ``POST /api/2.0/shipyard/runs/table``: a page of rows (attributes, parent run, column values).
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Query
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    StrictStr,
)
from starlette.responses import Response

from shipyard.domain.entities import ViewType
from shipyard.domain.validation import check_text
from shipyard.server.dependencies import Store
from shipyard.server.permissions import Permission, declare
from shipyard.store import run_table

router = APIRouter(tags=["runs-table"])

Text = Annotated[StrictStr, AfterValidator(check_text)]
ViewTypeName = Literal["ACTIVE_ONLY", "DELETED_ONLY", "ALL"]


def _split_ids(values: Any) -> Any:
    """``?experiment_ids=1,2`` and ``?experiment_ids=1&experiment_ids=2`` mean the same."""
    if isinstance(values, list):
        return [part for value in values for part in str(value).split(",") if part]
    return values


ExperimentIds = Annotated[list[Text], BeforeValidator(_split_ids)]


class _Request(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class ColumnsQuery(_Request):
    experiment_ids: ExperimentIds = []
    view_type: ViewTypeName | None = None
    sample_runs: Annotated[int, Field(ge=1, le=100_000)] | None = None


class RunCountsQuery(_Request):
    experiment_ids: ExperimentIds = []


class TableRequest(_Request):
    experiment_ids: list[Text] = []
    filter: Text | None = None
    run_view_type: ViewTypeName | None = None
    order_by: list[Text] = []
    columns: list[Text] = Field(default=[], max_length=run_table.MAX_COLUMNS)
    max_results: Annotated[StrictInt, Field(ge=-(2**31), le=2**31 - 1)] | None = None
    page_token: Text | None = None


def _json(payload: dict[str, Any]) -> Response:
    return Response(orjson.dumps(payload), media_type="application/json")


def _view(name: str | None) -> ViewType:
    return ViewType(name) if name else ViewType.ACTIVE_ONLY


def _keys(items: list[run_table.KeyCount]) -> list[dict[str, Any]]:
    return [{"key": item.key, "count": item.count} for item in items]


@router.get(
    "/api/2.0/shipyard/experiments/columns", openapi_extra=declare(Permission.EXPERIMENTS_READ)
)
def get_columns(query: Annotated[ColumnsQuery, Query()], store: Store) -> Response:
    """The metric, param and tag keys of the experiments' runs, each with how many runs have it.

    ``sample_runs=N`` counts over the N newest runs only (``sampled_runs`` in the answer says
    so): what the runs page uses to show its first rows before the full count arrives.
    """
    keys = store.db.read(
        lambda c: run_table.read_column_keys(
            c, query.experiment_ids, _view(query.view_type), sample_runs=query.sample_runs
        )
    )
    payload: dict[str, Any] = {
        "run_count": keys.run_count,
        "metrics": _keys(keys.metrics),
        "params": _keys(keys.params),
        "tags": _keys(keys.tags),
        "truncated": keys.truncated,
    }
    if keys.sampled_runs is not None:
        payload["sampled_runs"] = keys.sampled_runs
    return _json(payload)


@router.get(
    "/api/2.0/shipyard/experiments/run-counts",
    openapi_extra=declare(Permission.EXPERIMENTS_READ),
)
def get_run_counts(query: Annotated[RunCountsQuery, Query()], store: Store) -> Response:
    """How many live and deleted runs each experiment has, and when its newest run started."""
    counts = store.db.read(lambda c: run_table.read_run_counts(c, query.experiment_ids))
    return _json(
        {
            "experiments": [
                {
                    "experiment_id": item.experiment_id,
                    "active_runs": item.active,
                    "deleted_runs": item.deleted,
                    "last_run_start_time": item.last_start_time,
                }
                for item in counts
            ]
        }
    )


def _wire_value(value: Any) -> Any:
    """NaN and the infinities as protobuf's JSON writes them (JSON has no such numbers)."""
    if isinstance(value, float) and not math.isfinite(value):
        if math.isnan(value):
            return "NaN"
        return "Infinity" if value > 0 else "-Infinity"
    return value


@router.post("/api/2.0/shipyard/runs/table", openapi_extra=declare(Permission.EXPERIMENTS_READ))
def get_table_page(body: TableRequest, store: Store) -> Response:
    """A page of runs as compact rows: the fields listed in ``fields``, then one value per
    column of ``columns`` (``metrics.<key>``, ``params.<key>``, ``tags.<key>``)."""
    columns = [run_table.parse_column(text) for text in body.columns]
    page = store.db.read(
        lambda c: run_table.read_table_page(
            c,
            experiment_ids=body.experiment_ids,
            columns=columns,
            filter_string=body.filter,
            view_type=_view(body.run_view_type),
            order_by=body.order_by,
            max_results=body.max_results,
            page_token=body.page_token or None,
        )
    )
    metric_positions = [
        len(run_table.TABLE_FIELDS) + index
        for index, column in enumerate(page.columns)
        if column.kind == "metric"
    ]
    for row in page.rows:
        for position in metric_positions:
            row[position] = _wire_value(row[position])
    payload: dict[str, Any] = {
        "fields": list(run_table.TABLE_FIELDS),
        "columns": [column.name for column in page.columns],
        "rows": page.rows,
    }
    if page.next_page_token:
        payload["next_page_token"] = page.next_page_token
    return _json(payload)
