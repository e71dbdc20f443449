"""Request shapes of MLflow's tracking protocol, as its client sends them.

Field names are MLflow's (snake_case proto names). The client encodes int64 as JSON numbers
and also accepts strings, doubles as numbers or the strings "NaN"/"Infinity"/"-Infinity", and
enums by name; GET requests carry the same fields in the query string, repeated keys for lists.
Unknown fields are ignored, as protobuf's JSON parser does.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StrictStr

from shipyard.domain.entities import ViewType
from shipyard.domain.validation import check_text

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1


def _no_bool(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("expected a number, not a boolean")
    return value


def _double(value: Any) -> Any:
    _no_bool(value)
    if isinstance(value, str):
        text = value.strip()
        special = {"nan": math.nan, "infinity": math.inf, "-infinity": -math.inf}
        if text.lower() in special:
            return special[text.lower()]
    return value


def _clean_text(value: str) -> str:
    return check_text(value)


Int64 = Annotated[int, BeforeValidator(_no_bool), Field(ge=INT64_MIN, le=INT64_MAX)]
Int32 = Annotated[int, BeforeValidator(_no_bool), Field(ge=-(2**31), le=2**31 - 1)]
Double = Annotated[float, BeforeValidator(_double)]
Str = Annotated[StrictStr, AfterValidator(_clean_text)]
"""A string as clients send it: no NUL characters, no lone surrogates (not storable)."""

_VIEW_TYPE_NUMBERS = {1: "ACTIVE_ONLY", 2: "DELETED_ONLY", 3: "ALL"}


def _view_type(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        return _VIEW_TYPE_NUMBERS.get(value, value)
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return _VIEW_TYPE_NUMBERS.get(int(value), value)
    return value


ViewTypeName = Annotated[Literal["ACTIVE_ONLY", "DELETED_ONLY", "ALL"], BeforeValidator(_view_type)]
RunStatusName = Literal["RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED"]
_RUN_STATUS_NUMBERS = {1: "RUNNING", 2: "SCHEDULED", 3: "FINISHED", 4: "FAILED", 5: "KILLED"}
RunStatusField = Annotated[
    RunStatusName,
    BeforeValidator(lambda v: _RUN_STATUS_NUMBERS.get(v, v) if isinstance(v, int) else v),
]
LoggedModelStatusName = Literal[
    "LOGGED_MODEL_STATUS_UNSPECIFIED",
    "LOGGED_MODEL_PENDING",
    "LOGGED_MODEL_READY",
    "LOGGED_MODEL_UPLOAD_FAILED",
]


class Message(BaseModel):
    """Base of every request shape: unknown fields are ignored, like protobuf's parser does."""

    model_config = ConfigDict(extra="ignore", frozen=True)


def view_type(name: str | None) -> ViewType:
    """Our view type for a wire name (ACTIVE_ONLY when absent)."""
    return ViewType(name) if name else ViewType.ACTIVE_ONLY


class KeyValue(Message):
    key: Str
    value: Str = ""


class RequiredKeyValue(Message):
    key: Str
    value: Str


# -- experiments -------------------------------------------------------------------------------


class CreateExperiment(Message):
    name: Str
    artifact_location: Str | None = None
    tags: list[KeyValue] = []


class ExperimentId(Message):
    experiment_id: Str


class ExperimentByName(Message):
    experiment_name: Str


class SearchExperiments(Message):
    max_results: Int64 | None = None
    page_token: Str | None = None
    filter: Str | None = None
    order_by: list[Str] = []
    view_type: ViewTypeName | None = None


class UpdateExperiment(Message):
    experiment_id: Str
    new_name: Str


class SetExperimentTag(Message):
    experiment_id: Str
    key: Str
    value: Str


class DeleteExperimentTag(Message):
    experiment_id: Str
    key: Str


# -- runs --------------------------------------------------------------------------------------


class RunRef(Message):
    """Run-scoped requests name the run as ``run_id`` or (older clients) ``run_uuid``."""

    run_id: Str | None = None
    run_uuid: Str | None = None

    @property
    def id(self) -> str:
        """The run id, whichever field carried it (empty if neither)."""
        return self.run_id or self.run_uuid or ""


class CreateRun(Message):
    experiment_id: Str | None = None
    user_id: Str | None = None
    run_name: Str | None = None
    start_time: Int64 | None = None
    tags: list[KeyValue] = []


class UpdateRun(RunRef):
    status: RunStatusField | None = None
    end_time: Int64 | None = None
    run_name: Str | None = None


class RunIdOnly(RunRef):
    pass


class MetricIn(Message):
    key: Str
    value: Double
    timestamp: Int64
    step: Int64 = 0
    model_id: Str | None = None
    dataset_name: Str | None = None
    dataset_digest: Str | None = None


class LogMetric(RunRef, MetricIn):
    pass


class LogParam(RunRef):
    key: Str
    value: Str


class SetTag(RunRef):
    key: Str
    value: Str


class DeleteTag(RunRef):
    key: Str


class LogBatch(RunRef):
    metrics: list[MetricIn] = []
    params: list[RequiredKeyValue] = []
    tags: list[RequiredKeyValue] = []


class DatasetIn(Message):
    name: Str
    digest: Str
    source_type: Str
    source: Str
    schema_: Str | None = Field(default=None, alias="schema")
    profile: Str | None = None


class DatasetInputIn(Message):
    tags: list[RequiredKeyValue] = []
    dataset: DatasetIn


class ModelInputIn(Message):
    model_id: Str


class LogInputs(RunRef):
    datasets: list[DatasetInputIn] = []
    models: list[ModelInputIn] = []


class ModelOutputIn(Message):
    model_id: Str
    step: Int64 = 0


class LogOutputs(RunRef):
    models: list[ModelOutputIn] = []


class SearchRuns(Message):
    experiment_ids: list[Str] = []
    filter: Str | None = None
    run_view_type: ViewTypeName | None = None
    max_results: Int32 | None = None
    order_by: list[Str] = []
    page_token: Str | None = None


class GetMetricHistory(RunRef):
    metric_key: Str
    page_token: Str | None = None
    max_results: Int32 | None = None


class GetMetricHistoryBulkInterval(Message):
    run_ids: list[Str] = []
    metric_key: Str
    start_step: Int64 | None = None
    end_step: Int64 | None = None
    max_results: Int32 | None = None


# -- logged models -----------------------------------------------------------------------------


class CreateLoggedModel(Message):
    experiment_id: Str
    name: Str | None = None
    model_type: Str | None = None
    source_run_id: Str | None = None
    params: list[RequiredKeyValue] = []
    tags: list[RequiredKeyValue] = []


class FinalizeLoggedModel(Message):
    model_id: Str | None = None
    status: LoggedModelStatusName


class LoggedModelTags(Message):
    model_id: Str | None = None
    tags: list[RequiredKeyValue] = []


class LoggedModelParams(Message):
    model_id: Str | None = None
    params: list[RequiredKeyValue] = []


class DatasetFilter(Message):
    dataset_name: Str | None = None
    dataset_digest: Str | None = None


class LoggedModelOrderBy(Message):
    field_name: Str | None = None
    ascending: bool = True
    dataset_name: Str | None = None
    dataset_digest: Str | None = None


class SearchLoggedModels(Message):
    experiment_ids: list[Str] = []
    filter: Str | None = None
    datasets: list[DatasetFilter] = []
    max_results: Int32 | None = None
    order_by: list[LoggedModelOrderBy] = []
    page_token: Str | None = None


class LogModel(RunRef):
    model_json: Str


class LoggedModelRef(Message):
    model_id: Str | None = None


# -- artifacts ---------------------------------------------------------------------------------


class ArtifactListing(Message):
    path: Str | None = None


class RunArtifactListing(RunRef):
    path: Str | None = None
    page_token: Str | None = None


class RunArtifactFile(RunRef):
    path: Str


class CreateMultipartUpload(Message):
    path: Str  # the client's local file: its base name names the file in the folder
    num_parts: Int64


class UploadedPartIn(Message):
    part_number: Int64
    etag: Str
    url: Str | None = None


class CompleteMultipartUpload(Message):
    path: Str
    upload_id: Str
    parts: list[UploadedPartIn] = []


class AbortMultipartUpload(Message):
    path: Str
    upload_id: Str


# -- model registry ----------------------------------------------------------------------------


class RegisteredModelName(Message):
    name: Str


class CreateRegisteredModel(Message):
    name: Str
    tags: list[RequiredKeyValue] = []
    description: Str | None = None


class RenameRegisteredModel(Message):
    name: Str
    new_name: Str


class UpdateRegisteredModel(Message):
    name: Str
    description: Str | None = None


class SearchRegistry(Message):
    filter: Str | None = None
    max_results: Int64 | None = None
    order_by: list[Str] = []
    page_token: Str | None = None


class GetLatestVersions(Message):
    name: Str
    stages: list[Str] = []


class RegisteredModelTag(Message):
    name: Str
    key: Str
    value: Str


class RegisteredModelTagKey(Message):
    name: Str
    key: Str


class AliasRequest(Message):
    name: Str
    alias: Str
    version: VersionText


class AliasRef(Message):
    name: Str
    alias: Str


class CreateModelVersion(Message):
    name: Str
    source: Str
    run_id: Str | None = None
    tags: list[RequiredKeyValue] = []
    run_link: Str | None = None
    description: Str | None = None
    model_id: Str | None = None


def _version_text(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


VersionText = Annotated[Str, BeforeValidator(_version_text)]
"""Version numbers travel as strings; numbers are accepted too."""


class VersionRef(Message):
    name: Str
    version: VersionText


class UpdateModelVersion(VersionRef):
    description: Str | None = None


class TransitionStage(VersionRef):
    stage: Str
    archive_existing_versions: bool = False


class ModelVersionTag(VersionRef):
    key: Str
    value: Str


class ModelVersionTagKey(VersionRef):
    key: Str


class ModelVersionArtifact(VersionRef):
    path: Str
