"""The tracking entities: experiments, runs and what they carry, logged models.

Plain data, no behaviour that needs I/O. The store builds them; the edges (the MLflow wire
protocol, the CLI, the UI) turn them into their own shapes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Generic, NamedTuple, TypeVar

T = TypeVar("T")


class LifecycleStage(StrEnum):
    """Whether an experiment, run or logged model is live or soft-deleted."""

    ACTIVE = "active"
    DELETED = "deleted"


class ViewType(StrEnum):
    """Which lifecycle stages a search returns."""

    ACTIVE_ONLY = "ACTIVE_ONLY"
    DELETED_ONLY = "DELETED_ONLY"
    ALL = "ALL"

    def stages(self) -> tuple[LifecycleStage, ...]:
        """The lifecycle stages this view includes."""
        if self is ViewType.ACTIVE_ONLY:
            return (LifecycleStage.ACTIVE,)
        if self is ViewType.DELETED_ONLY:
            return (LifecycleStage.DELETED,)
        return (LifecycleStage.ACTIVE, LifecycleStage.DELETED)


class RunStatus(StrEnum):
    """Where a run is in its life."""

    RUNNING = "RUNNING"
    SCHEDULED = "SCHEDULED"
    FINISHED = "FINISHED"
    FAILED = "FAILED"
    KILLED = "KILLED"

    @property
    def is_terminal(self) -> bool:
        """True once the run has ended, one way or another."""
        return self in (RunStatus.FINISHED, RunStatus.FAILED, RunStatus.KILLED)


class LoggedModelStatus(StrEnum):
    """Upload state of a logged model (MLflow 3)."""

    PENDING = "PENDING"
    READY = "READY"
    FAILED = "FAILED"


class Metric(NamedTuple):
    """One point of a metric's history.

    A named tuple rather than a dataclass: batches and histories carry many thousands of
    points, and tuples are the cheapest immutable records to build and read.
    """

    key: str
    value: float
    timestamp: int
    step: int = 0
    run_id: str | None = None
    model_id: str | None = None
    dataset_name: str | None = None
    dataset_digest: str | None = None


@dataclass(frozen=True, slots=True)
class Experiment:
    """A named group of runs."""

    experiment_id: str
    name: str
    artifact_location: str
    lifecycle_stage: LifecycleStage
    creation_time: int
    last_update_time: int
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Dataset:
    """A dataset a run used, identified within its experiment by name and digest."""

    name: str
    digest: str
    source_type: str
    source: str
    schema: str | None = None
    profile: str | None = None


@dataclass(frozen=True, slots=True)
class DatasetInput:
    """A dataset attached to a run, with the tags of that use (such as its context)."""

    dataset: Dataset
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ModelOutput:
    """A logged model a run produced, at a step."""

    model_id: str
    step: int = 0


@dataclass(frozen=True, slots=True)
class RunInfo:
    """The attributes of a run, without its logged data."""

    run_id: str
    experiment_id: str
    name: str
    user_id: str
    status: RunStatus
    start_time: int
    end_time: int | None
    artifact_uri: str
    lifecycle_stage: LifecycleStage

    @property
    def run_name(self) -> str:
        """The run's name, under MLflow's attribute name."""
        return self.name

    @property
    def run_uuid(self) -> str:
        """The run's id, under MLflow's older attribute name."""
        return self.run_id


@dataclass(frozen=True, slots=True)
class RunData:
    """A run's logged data as MLflow's ``run.data`` shows it: latest metric values by key."""

    params: dict[str, str]
    metrics: dict[str, float]
    tags: dict[str, str]


@dataclass(frozen=True, slots=True)
class RunInputs:
    """A run's inputs as MLflow's ``run.inputs`` shows them."""

    dataset_inputs: list[DatasetInput]
    model_inputs: list[str]


@dataclass(frozen=True, slots=True)
class Run:
    """A run with its params, latest metric values, tags, inputs and outputs."""

    info: RunInfo
    params: dict[str, str] = field(default_factory=dict)
    metrics: list[Metric] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)
    dataset_inputs: list[DatasetInput] = field(default_factory=list)
    model_inputs: list[str] = field(default_factory=list)
    model_outputs: list[ModelOutput] = field(default_factory=list)

    # MLflow's client code reads runs as ``run.data.params`` and ``run.inputs.dataset_inputs``:
    # these views let such code run unchanged on Shipyard's runs.
    @property
    def data(self) -> RunData:
        """Params, latest metric values and tags, as MLflow's ``Run.data``."""
        return RunData(dict(self.params), {m.key: m.value for m in self.metrics}, dict(self.tags))

    @property
    def inputs(self) -> RunInputs:
        """Dataset and model inputs, as MLflow's ``Run.inputs``."""
        return RunInputs(list(self.dataset_inputs), list(self.model_inputs))


@dataclass(frozen=True, slots=True)
class LoggedModel:
    """A model logged from (or outside of) a run, with its own params, tags and metrics."""

    model_id: str
    experiment_id: str
    name: str
    artifact_uri: str
    status: LoggedModelStatus
    creation_timestamp: int
    last_updated_timestamp: int
    source_run_id: str | None = None
    model_type: str | None = None
    status_message: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    metrics: list[Metric] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a search: the items and the token for the next page, if there is one."""

    items: list[T]
    next_page_token: str | None = None
