"""Permanent deletion from the UI: deleted runs and deleted experiments, artifacts included.

MLflow can only purge with ``mlflow gc`` on the server's machine; these routes let a person with
manage rights do it from the UI. They take exactly the items named, each of which must exist and
be in the deleted stage, or nothing is purged. The work is ``server/purging.py``'s, shared with
``shipyard gc``.

- ``POST /api/2.0/shipyard/runs/purge``: ``{"run_ids": [...]}`` (at most 1,000).
- ``POST /api/2.0/shipyard/experiments/purge``: ``{"experiment_ids": [...]}`` (at most 100),
  with every run and logged model in them, whatever their stage.
"""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictStr
from starlette.responses import Response

from shipyard.domain.clock import now_ms
from shipyard.domain.validation import check_text
from shipyard.server.dependencies import Artifacts, Store
from shipyard.server.permissions import Permission, declare
from shipyard.server.purging import PurgeResult, carry_out
from shipyard.store import run_table

router = APIRouter(tags=["purge"])

Text = Annotated[StrictStr, AfterValidator(check_text)]
MAX_EXPERIMENTS = 100
"""Most experiments one purge request may name."""


class _Request(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class RunsPurgeRequest(_Request):
    run_ids: list[Text] = Field(max_length=run_table.MAX_PURGE)


class ExperimentsPurgeRequest(_Request):
    experiment_ids: list[Text] = Field(min_length=1, max_length=MAX_EXPERIMENTS)


def _json(result: PurgeResult, **extra: Any) -> Response:
    payload = {"artifact_files_deleted": result.artifact_files_deleted, **extra}
    return Response(orjson.dumps(payload), media_type="application/json")


@router.post("/api/2.0/shipyard/runs/purge", openapi_extra=declare(Permission.EXPERIMENTS_MANAGE))
def purge_runs(body: RunsPurgeRequest, store: Store, artifacts: Artifacts) -> Response:
    """Delete deleted runs for good, with everything logged to them and their artifacts."""
    run_ids = list(dict.fromkeys(body.run_ids))
    if not run_ids:
        return _json(PurgeResult(), purged=[])
    store.db.read(lambda c: run_table.check_purgeable(c, run_ids))
    plan = store.plan_gc(deleted_before=now_ms(), run_ids=run_ids)
    result = carry_out(plan, store, artifacts)
    return _json(result, purged=result.runs)


@router.post(
    "/api/2.0/shipyard/experiments/purge", openapi_extra=declare(Permission.EXPERIMENTS_MANAGE)
)
def purge_experiments(
    body: ExperimentsPurgeRequest, store: Store, artifacts: Artifacts
) -> Response:
    """Delete deleted experiments for good, with all their runs, models and artifacts."""
    ids = list(dict.fromkeys(body.experiment_ids))
    plan = store.plan_gc(deleted_before=now_ms(), experiment_ids=ids)
    result = carry_out(plan, store, artifacts)
    return _json(
        result,
        purged=result.experiments,
        runs_purged=len(result.runs),
        logged_models_purged=len(result.logged_models),
    )
