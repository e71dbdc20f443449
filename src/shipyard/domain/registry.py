"""The model registry's entities and rules: registered models, versions, aliases, approval.

Beyond MLflow's registry: every alias move is kept in an alias history (which version held
``@champion`` when, and who moved it), and each version carries an approval status as in
SageMaker's Model Registry (PendingManualApproval, Approved, Rejected).
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from enum import StrEnum

from shipyard.domain.errors import InvalidParameter, LimitExceeded, NotFound

MAX_MODEL_NAME_LENGTH = 256
MAX_ALIAS_LENGTH = 255
MAX_REGISTRY_TAG_VALUE_LENGTH = 100_000
MAX_DESCRIPTION_LENGTH = 100_000
MAX_SOURCE_LENGTH = 2000
REGISTERED_MODELS_PAGE = (100, 1000)
MODEL_VERSIONS_PAGE = (10000, 200000)

_ALIAS = re.compile(r"^[\w\-]+$")
_VERSION_ALIAS = re.compile(r"^[vV]\d+$")
LATEST_ALIAS = "latest"
PROMPT_TAG = "mlflow.prompt.is_prompt"


class AliasNotFound(NotFound):
    """The registered model exists but has no such alias."""


class Stage(StrEnum):
    """MLflow's (deprecated, still used) model version stages."""

    NONE = "None"
    STAGING = "Staging"
    PRODUCTION = "Production"
    ARCHIVED = "Archived"

    @classmethod
    def parse(cls, text: str) -> Stage:
        """A stage from any capitalisation of its name."""
        for stage in cls:
            if stage.value.lower() == text.strip().lower():
                return stage
        names = ", ".join(stage.value for stage in cls)
        raise InvalidParameter(f"Invalid model version stage {text!r}: use one of {names}.")


ACTIVE_STAGES = (Stage.STAGING, Stage.PRODUCTION)


class ApprovalStatus(StrEnum):
    """Whether a version may be deployed, as SageMaker's Model Registry has it."""

    PENDING = "PendingManualApproval"
    APPROVED = "Approved"
    REJECTED = "Rejected"

    @classmethod
    def parse(cls, text: str) -> ApprovalStatus:
        """A status from its name, in any case."""
        for status in cls:
            if status.value.lower() == text.strip().lower():
                return status
        names = ", ".join(status.value for status in cls)
        raise InvalidParameter(f"Invalid approval status {text!r}: use one of {names}.")


class VersionStatus(StrEnum):
    """Registration state; versions are READY as soon as they are created."""

    PENDING_REGISTRATION = "PENDING_REGISTRATION"
    FAILED_REGISTRATION = "FAILED_REGISTRATION"
    READY = "READY"


@dataclass(frozen=True, slots=True)
class ModelVersion:
    """One registered version of a model."""

    name: str
    version: int
    creation_timestamp: int
    last_updated_timestamp: int
    source: str
    storage_location: str
    stage: Stage = Stage.NONE
    status: VersionStatus = VersionStatus.READY
    user_id: str | None = None
    description: str | None = None
    run_id: str | None = None
    run_link: str | None = None
    model_id: str | None = None
    status_message: str | None = None
    approval_status: ApprovalStatus = ApprovalStatus.PENDING
    approval_comment: str | None = None
    approval_updated_by: str | None = None
    approval_updated_timestamp: int | None = None
    tags: dict[str, str] = field(default_factory=dict)
    aliases: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class RegisteredModel:
    """A named model with its versions' aliases and tags."""

    name: str
    creation_timestamp: int
    last_updated_timestamp: int
    description: str | None = None
    user_id: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, int] = field(default_factory=dict)
    latest_versions: list[ModelVersion] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class AliasChange:
    """One move of an alias: from which version to which (None: set anew / removed)."""

    name: str
    alias: str
    from_version: int | None
    to_version: int | None
    changed_by: str | None
    timestamp: int


def check_model_name(name: str | None, field_name: str = "name") -> str:
    """A registered model name: non-empty, no ``/`` or ``:``, usable as a path segment."""
    if name is None or not name.strip():
        raise InvalidParameter(f"Missing value for required parameter '{field_name}'.")
    if len(name) > MAX_MODEL_NAME_LENGTH:
        raise LimitExceeded(
            f"'{field_name}' exceeds the maximum length of {MAX_MODEL_NAME_LENGTH} characters"
        )
    if "/" in name or ":" in name:
        raise InvalidParameter(f"Invalid model name {name!r}: names cannot contain '/' or ':'.")
    if any(ord(char) < 32 or ord(char) == 127 for char in name):
        raise InvalidParameter(f"Invalid model name {name!r}: control characters.")
    if posixpath.normpath(name) != name or name in (".", ".."):
        raise InvalidParameter(f"Invalid model name {name!r}: it must not look like a path.")
    return name


def check_version(version: str | int | None, field_name: str = "version") -> int:
    """A version number: a positive integer (given as a number or a string)."""
    if version is None or version == "":
        raise InvalidParameter(f"Missing value for required parameter '{field_name}'.")
    text = str(version).strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 9 or int(text) < 1:
        raise InvalidParameter(
            f"Parameter '{field_name}' must be a positive integer, got {version!r}."
        )
    return int(text)


def check_alias(alias: str | None, *, for_setting: bool = False) -> str:
    """An alias name; ``latest`` and ``v<digits>`` are reserved and cannot be set."""
    if not alias:
        raise InvalidParameter("Registered model alias name cannot be empty.")
    if len(alias) > MAX_ALIAS_LENGTH:
        raise LimitExceeded(f"Alias names have at most {MAX_ALIAS_LENGTH} characters.")
    if not _ALIAS.match(alias):
        raise InvalidParameter(
            f"Invalid alias name {alias!r}: use letters, digits, underscores (_) and dashes (-)."
        )
    if for_setting and alias.lower() == LATEST_ALIAS:
        raise InvalidParameter("'latest' is a reserved alias name (it always means the newest).")
    if for_setting and _VERSION_ALIAS.match(alias):
        raise InvalidParameter(f"Version alias name {alias!r} is reserved (v<number>).")
    return alias
