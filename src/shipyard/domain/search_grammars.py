"""What each search endpoint lets a filter or an order_by clause name, and with which operators.

The parser in :mod:`shipyard.domain.search` is the same for every endpoint; a :class:`Grammar`
supplies the part that differs: the attributes of the target (with their value types, operators
and aliases), which key-value families (metrics, params, tags, datasets) may be compared and how,
and what may be sorted on. The SQL compiler reads the same object, so the parser and the query
builder never disagree about what an identifier means.

The tables follow MLflow 3.17 (``mlflow/utils/search_utils.py``, its SQLAlchemy stores and
``search_logged_model_utils.py``). Where we deliberately accept more, it is because the request
can only mean one thing and refusing it would help nobody:

- OR and parentheses (in the parser; MLflow allows only AND).
- ``IN`` / ``NOT IN`` on every string attribute, and on params and tags (MLflow: only ``run_id``,
  ``experiment_id``, model ``name`` / ``run_id``, dataset fields, and logged-model params/tags).
- ``IS NULL`` / ``IS NOT NULL`` on metrics, and on tags of registered models and model versions
  and on params/tags of logged models (MLflow: run params/tags and experiment tags only).
- Experiment ``name``: ``IN`` / ``NOT IN`` (MLflow's SQL store: ``= != LIKE ILIKE``).
- Model versions: ``current_stage``, ``creation_timestamp`` and ``last_updated_timestamp`` are
  searchable (MLflow: ``name``, ``version_number``, ``run_id``, ``source_path``).
- Runs: ``run_uuid`` is an alias of ``run_id``, and the ``run name`` aliases also work in order_by.
- Logged models: ``last_updated_time`` is an alias of ``last_updated_timestamp`` (MLflow's
  file store accepts it), and params and tags can be sorted on (MLflow: metrics only).
- Every grammar accepts every spelling of the attribute prefix (``attr.``, ``attributes.``,
  ``run.``) and type prefixes in any case (MLflow: exact lower case, some endpoints fewer).
- A bare attribute name may be quoted in any of the three styles (MLflow: backticks or ``"``).
- Numeric attributes take any integral number, also written ``1.7e12`` or ``5.0`` (MLflow's SQL
  stores refuse float literals for experiments and model versions, and accept fractions on runs;
  we refuse fractions everywhere, since the columns hold integer milliseconds or versions).

Where MLflow's stores disagree with its documentation we follow the stores: on registered
models, order_by ``timestamp`` sorts by ``last_updated_timestamp`` (the SQL store maps it there),
and ``experiment_id`` allows only ``= != IN NOT IN`` (it is an integer column).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["metric", "param", "tag", "attribute", "dataset"]
"""The family an identifier belongs to."""

ValueType = Literal["string", "number"]
"""The type of an attribute's values: quoted strings, or integers (timestamps, version numbers)."""

NUMERIC_OPERATORS = frozenset({"=", "!=", "<", "<=", ">", ">="})
"""Comparisons on numbers: metrics and numeric attributes."""
STRING_OPERATORS = frozenset({"=", "!=", "LIKE", "ILIKE", "IN", "NOT IN"})
"""Comparisons on strings; ``IN`` / ``NOT IN`` take a tuple of strings."""
NULL_OPERATORS = frozenset({"IS NULL", "IS NOT NULL"})
"""Presence tests on key-value families (a run has the tag or it does not); they take no value."""
# Ids are compared as whole values: a pattern over them means nothing (and they may be integers).
_ID_OPERATORS = frozenset({"=", "!=", "IN", "NOT IN"})
_METRIC_OPERATORS = NUMERIC_OPERATORS | NULL_OPERATORS
_KEYED_STRING_OPERATORS = STRING_OPERATORS | NULL_OPERATORS
_NONE: frozenset[str] = frozenset()

OPERATOR_ORDER = (
    "=", "!=", "<", "<=", ">", ">=", "LIKE", "ILIKE", "IN", "NOT IN", "IS NULL", "IS NOT NULL",
)  # fmt: skip
"""Every operator, in the order error messages list them."""


Purpose = Literal["filter", "order_by"]
"""Whether an identifier is being compared (in a filter) or sorted on (in an order_by clause)."""

PREFIXES: dict[str, Kind] = {
    "metric": "metric",
    "metrics": "metric",
    "parameter": "param",
    "parameters": "param",
    "param": "param",
    "params": "param",
    "tag": "tag",
    "tags": "tag",
    "attribute": "attribute",
    "attributes": "attribute",
    "attr": "attribute",
    "run": "attribute",
    "dataset": "dataset",
    "datasets": "dataset",
}
"""Every spelling of a ``<type>.`` prefix, lower case (prefixes match case-insensitively)."""

PLURALS: dict[Kind, str] = {
    "metric": "metrics",
    "param": "params",
    "tag": "tags",
    "dataset": "datasets",
    "attribute": "attributes",
}
"""How messages name each kind; also the order in which they list them."""


@dataclass(frozen=True, slots=True)
class AttributeSpec:
    """One attribute of a search target: its canonical name, value type, operators and aliases.

    ``operators`` is empty for an attribute that can be sorted on but not searched.
    """

    name: str
    value_type: ValueType
    operators: frozenset[str]
    orderable: bool = True
    aliases: frozenset[str] = frozenset()

    def usable(self, purpose: Purpose) -> bool:
        """Whether this attribute may appear in a filter or order_by clause."""
        return bool(self.operators) if purpose == "filter" else self.orderable


@dataclass(frozen=True, slots=True)
class Grammar:
    """Everything a filter or order_by clause may name for one search target.

    The SQL compiler should use :meth:`attribute_type` to pick a column's value type and
    :meth:`operators` when it needs the rules; the parser has already enforced both, and every
    attribute in a parsed expression carries its canonical name.
    """

    target: str
    """Plural noun for error messages, e.g. ``"runs"``."""
    attributes: tuple[AttributeSpec, ...]
    metric_operators: frozenset[str] = _NONE
    param_operators: frozenset[str] = _NONE
    tag_operators: frozenset[str] = _NONE
    dataset_operators: frozenset[str] = _NONE
    dataset_keys: frozenset[str] = _NONE
    order_kinds: frozenset[Kind] = frozenset({"attribute"})
    """The kinds an order_by clause may name (attributes still need ``orderable``)."""

    def find_attribute(self, name: str) -> AttributeSpec | None:
        """The attribute called ``name`` (canonical name or alias, case-sensitive), or ``None``."""
        for spec in self.attributes:
            if name == spec.name or name in spec.aliases:
                return spec
        return None

    def attribute_type(self, name: str) -> ValueType:
        """``"string"`` or ``"number"`` for the attribute ``name``; ``KeyError`` if there is none.

        A ``"number"`` attribute's comparison value is always an ``int``; a ``"string"`` one's is a
        ``str`` or, for ``IN`` / ``NOT IN``, a ``tuple[str, ...]``.
        """
        spec = self.find_attribute(name)
        if spec is None:
            raise KeyError(f"{self.target} have no attribute {name!r}")
        return spec.value_type

    def operators(self, kind: Kind, key: str) -> frozenset[str]:
        """The comparison operators allowed on ``kind``/``key``; empty when it is not searchable."""
        if kind == "attribute":
            spec = self.find_attribute(key)
            return spec.operators if spec is not None else _NONE
        if kind == "dataset":
            return self.dataset_operators if key in self.dataset_keys else _NONE
        return {
            "metric": self.metric_operators,
            "param": self.param_operators,
            "tag": self.tag_operators,
        }[kind]

    def kinds(self, purpose: Purpose) -> tuple[Kind, ...]:
        """The kinds a filter or an order_by clause may name, in the order messages list them."""
        if purpose == "order_by":
            return tuple(kind for kind in PLURALS if kind in self.order_kinds)
        searchable = {
            "metric": bool(self.metric_operators),
            "param": bool(self.param_operators),
            "tag": bool(self.tag_operators),
            "dataset": bool(self.dataset_operators),
            "attribute": bool(self.attribute_names("filter")),
        }
        return tuple(kind for kind in PLURALS if searchable[kind])

    def attribute_names(self, purpose: Purpose) -> tuple[str, ...]:
        """Canonical names of the attributes a filter or an order_by clause may name."""
        return tuple(spec.name for spec in self.attributes if spec.usable(purpose))


def _string(name: str, *aliases: str, orderable: bool = True) -> AttributeSpec:
    return AttributeSpec(name, "string", STRING_OPERATORS, orderable, frozenset(aliases))


def _number(name: str, *aliases: str) -> AttributeSpec:
    return AttributeSpec(name, "number", NUMERIC_OPERATORS, True, frozenset(aliases))


def _order_only(name: str, *aliases: str) -> AttributeSpec:
    return AttributeSpec(name, "number", _NONE, True, frozenset(aliases))


RUNS = Grammar(
    target="runs",
    attributes=(
        _string("run_id", "run_uuid"),
        _string("run_name", "run name", "Run name", "Run Name"),
        _string("status"),
        _string("user_id"),
        _string("artifact_uri"),
        _number("start_time", "created", "Created"),
        _number("end_time"),
    ),
    metric_operators=_METRIC_OPERATORS,
    param_operators=_KEYED_STRING_OPERATORS,
    tag_operators=_KEYED_STRING_OPERATORS,
    dataset_operators=STRING_OPERATORS,
    dataset_keys=frozenset({"name", "digest", "context"}),
    order_kinds=frozenset({"attribute", "metric", "param", "tag"}),
)
"""search_runs: metrics, params, tags, datasets and run attributes."""

EXPERIMENTS = Grammar(
    target="experiments",
    attributes=(
        _string("name"),
        AttributeSpec("experiment_id", "string", _ID_OPERATORS),
        _number("creation_time"),
        _number("last_update_time"),
    ),
    tag_operators=_KEYED_STRING_OPERATORS,
)
"""search_experiments: experiment attributes and tags."""

LOGGED_MODELS = Grammar(
    target="logged models",
    attributes=(
        _string("name"),
        _string("model_id"),
        _string("model_type"),
        _string("status"),
        _string("source_run_id"),
        _number("creation_timestamp", "creation_time"),
        _number("last_updated_timestamp", "last_updated_time"),
    ),
    metric_operators=_METRIC_OPERATORS,
    param_operators=_KEYED_STRING_OPERATORS,
    tag_operators=_KEYED_STRING_OPERATORS,
    order_kinds=frozenset({"attribute", "metric", "param", "tag"}),
)
"""search_logged_models: model attributes, metrics, params and tags."""

REGISTERED_MODELS = Grammar(
    target="registered models",
    attributes=(
        _string("name"),
        _order_only("creation_timestamp"),
        _order_only("last_updated_timestamp", "timestamp"),
    ),
    tag_operators=_KEYED_STRING_OPERATORS,
)
"""search_registered_models: the model name and tags; timestamps for sorting only."""

MODEL_VERSIONS = Grammar(
    target="model versions",
    attributes=(
        _string("name"),
        _string("run_id", orderable=False),
        _string("source_path", orderable=False),
        _string("current_stage", orderable=False),
        _number("version_number"),
        _number("creation_timestamp"),
        _number("last_updated_timestamp"),
    ),
    tag_operators=_KEYED_STRING_OPERATORS,
)
"""search_model_versions: version attributes and tags."""
