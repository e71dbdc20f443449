"""Limits on every input, and the checks that enforce them.

The numbers match MLflow's, so that a client written for MLflow never meets a tighter limit
here. Checks raise ``InvalidParameter`` (or ``LimitExceeded``) with a message that names the
field and says what is allowed.
"""

from __future__ import annotations

import math
import posixpath
import re
from collections.abc import Sized

from shipyard.domain.errors import InvalidParameter, LimitExceeded

MAX_KEY_LENGTH = 250
MAX_PARAM_VALUE_LENGTH = 6000
MAX_RUN_TAG_VALUE_LENGTH = 8000
MAX_EXPERIMENT_NAME_LENGTH = 500
MAX_EXPERIMENT_TAG_VALUE_LENGTH = 20000
MAX_RUN_NAME_LENGTH = 500
MAX_USER_ID_LENGTH = 256
MAX_ARTIFACT_LOCATION_LENGTH = 2000

MAX_METRICS_PER_BATCH = 1000
MAX_PARAMS_PER_BATCH = 100
MAX_TAGS_PER_BATCH = 100
MAX_ENTITIES_PER_BATCH = 1000
MAX_BATCH_REQUEST_BYTES = 1_000_000
MAX_DATASETS_PER_BATCH = 1000

MAX_DATASET_NAME_LENGTH = 500
MAX_DATASET_DIGEST_LENGTH = 36
MAX_DATASET_SOURCE_TYPE_LENGTH = 36
MAX_DATASET_SOURCE_LENGTH = 65535
MAX_DATASET_SCHEMA_LENGTH = 1048575
MAX_DATASET_PROFILE_LENGTH = 16777215
MAX_INPUT_TAG_KEY_LENGTH = 255
MAX_INPUT_TAG_VALUE_LENGTH = 500

MAX_LOGGED_MODEL_NAME_LENGTH = 500
MAX_MODEL_TYPE_LENGTH = 500

# search page sizes: (default, maximum)
RUNS_PAGE = (1000, 50000)
EXPERIMENTS_PAGE = (1000, 50000)
LOGGED_MODELS_PAGE = (100, 1000)
METRIC_HISTORY_PAGE = (25000, 25000)
METRIC_BULK_INTERVAL_PAGE = (320, 5000)
MAX_RUNS_PER_BULK_INTERVAL = 100

MAX_INT64 = 2**63 - 1
MIN_INT64 = -(2**63)

_DIGITS = re.compile(r"^[0-9]+$")
MAX_EXPERIMENT_ID = 2**31 - 1
"""Experiment ids are 32-bit in the database; larger ids name no experiment."""

_KEY_CHARACTERS = re.compile(r"^[/\w.\- :]*$")
_RUN_ID = re.compile(r"^[a-zA-Z0-9][\w\-]{0,255}$")
_MODEL_ID = re.compile(r"^m-[0-9a-f]{32}$")


def check_text(value: str, field: str | None = None) -> str:
    """Refuse text no database can store: NUL characters and lone UTF-16 surrogates."""
    if "\x00" in value:
        where = f" in '{field}'" if field else ""
        raise ValueError(f"NUL characters are not allowed{where}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        where = f" in '{field}'" if field else ""
        raise ValueError(f"the text is not valid Unicode (a lone surrogate){where}") from exc
    return value


def check_key(key: str, field: str = "key") -> str:
    """Check a metric, param or tag key: MLflow's characters, and usable as a relative path."""
    if not key:
        raise InvalidParameter(f"Missing value for required parameter '{field}'.")
    if len(key) > MAX_KEY_LENGTH:
        raise LimitExceeded(f"'{field}' exceeds the maximum length of {MAX_KEY_LENGTH} characters")
    if not _KEY_CHARACTERS.match(key):
        raise InvalidParameter(
            f"Invalid value {key!r} for parameter '{field}': names may only contain "
            "alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colons (:) "
            "and slashes (/)."
        )
    normalized = posixpath.normpath(key)
    if normalized != key or normalized == "." or key.startswith(("..", "/")):
        raise InvalidParameter(
            f"Invalid value {key!r} for parameter '{field}': names may be used as file paths "
            f"and must not resolve to another name (this one resolves to {normalized!r})."
        )
    return key


def check_length(value: str, limit: int, field: str) -> str:
    """Reject a string longer than ``limit`` characters."""
    if len(value) > limit:
        raise LimitExceeded(
            f"'{field}' exceeds the maximum length of {limit} characters (got {len(value)})"
        )
    return value


def truncate(value: str, limit: int) -> str:
    """Cut a value to its limit, as MLflow does for param and run tag values."""
    return value if len(value) <= limit else value[:limit]


def check_experiment_name(name: str | None) -> str:
    """An experiment name: non-empty, at most 500 characters."""
    if name is None or not name.strip():
        raise InvalidParameter("Invalid experiment name: an experiment needs a non-empty name.")
    return check_length(name, MAX_EXPERIMENT_NAME_LENGTH, "name")


def check_experiment_id(experiment_id: str | None, field: str = "experiment_id") -> int:
    """Experiment ids are integer strings; return the integer."""
    if experiment_id is None or experiment_id == "":
        raise InvalidParameter(f"Missing value for required parameter '{field}'.")
    text = str(experiment_id).strip()
    if not _DIGITS.match(text) or len(text) > 18:
        raise InvalidParameter(
            f"Invalid value {experiment_id!r} for parameter '{field}': "
            "an experiment id must be a valid integer."
        )
    return int(text)


def check_run_id(run_id: str | None, field: str = "run_id") -> str:
    """A run id: letters, digits, underscores and dashes, starting with a letter or digit."""
    if not run_id:
        raise InvalidParameter(f"Missing value for required parameter '{field}'.")
    if not _RUN_ID.match(run_id):
        raise InvalidParameter(f"Invalid value {run_id!r} for parameter '{field}': not a run id.")
    return run_id


def check_model_id(model_id: str | None, field: str = "model_id") -> str:
    """A logged model id: ``m-`` followed by 32 hex digits."""
    if not model_id:
        raise InvalidParameter(f"Missing value for required parameter '{field}'.")
    if not _MODEL_ID.match(model_id):
        raise InvalidParameter(
            f"Invalid value {model_id!r} for parameter '{field}': not a logged model id."
        )
    return model_id


def check_metric_value(value: float, key: str) -> float:
    """Metric values are doubles; NaN and the infinities are allowed."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidParameter(
            f"Invalid value {value!r} for metric '{key}': a metric value must be a number."
        )
    try:
        return float(value)
    except OverflowError as exc:
        raise InvalidParameter(
            f"Invalid value for metric '{key}': the integer is too large for a double."
        ) from exc


def check_timestamp(value: int, field: str = "timestamp") -> int:
    """Millisecond timestamps: non-negative 64-bit integers."""
    if value < 0 or value > MAX_INT64:
        raise InvalidParameter(
            f"Invalid value {value} for parameter '{field}': a timestamp must be a "
            "non-negative 64-bit integer (milliseconds since the epoch)."
        )
    return value


def check_step(value: int, field: str = "step") -> int:
    """Steps are signed 64-bit integers."""
    if value < MIN_INT64 or value > MAX_INT64:
        raise InvalidParameter(f"Invalid value {value} for parameter '{field}': out of range.")
    return value


def check_batch_sizes(metrics: Sized, params: Sized, tags: Sized) -> None:
    """The per-request limits of log-batch."""
    for name, items, limit in (
        ("metrics", metrics, MAX_METRICS_PER_BATCH),
        ("params", params, MAX_PARAMS_PER_BATCH),
        ("tags", tags, MAX_TAGS_PER_BATCH),
    ):
        if len(items) > limit:
            raise LimitExceeded(
                f"A batch logging request can have at most {limit} {name}, got {len(items)}."
            )
    total = len(metrics) + len(params) + len(tags)
    if total > MAX_ENTITIES_PER_BATCH:
        raise LimitExceeded(
            "A batch logging request can have at most "
            f"{MAX_ENTITIES_PER_BATCH} metrics, params and tags in all, got {total}."
        )


def check_page_size(max_results: int | None, page: tuple[int, int], field: str) -> int:
    """Apply a search's default page size and reject sizes over its cap."""
    default, cap = page
    if max_results is None:
        return default
    if max_results <= 0:
        raise InvalidParameter(
            f"Invalid value {max_results} for parameter '{field}': it must be a positive integer."
        )
    if max_results > cap:
        raise LimitExceeded(
            f"Invalid value {max_results} for parameter '{field}': it must be at most {cap}."
        )
    return max_results


def is_finite(value: float) -> bool:
    """True for ordinary numbers, False for NaN and the infinities."""
    return math.isfinite(value)
