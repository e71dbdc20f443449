"""The ``MLmodel`` file: the YAML description at the root of every model package.

Field for field it is MLflow's format (``mlflow/models/model.py``), so packages move freely
between Shipyard and MLflow. Keys Shipyard does not know are kept in :attr:`MLmodel.extras` and
written back unchanged, and a signature that was not modified is written back exactly as read.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]

from shipyard import __version__
from shipyard.domain.errors import InvalidParameter, NotFound
from shipyard.models.signature import ModelSignature

MLMODEL_FILE_NAME = "MLmodel"
PYFUNC_FLAVOR = "python_function"
# The MLmodel format Shipyard writes and is tested against, stated the way MLflow states it.
MLFLOW_FORMAT_VERSION = "3.17.2"

# Order matters to `to_dict`: flavors and signature first, then the plain fields.
_KNOWN_KEYS = (
    "flavors",
    "signature",
    "saved_input_example_info",
    "model_uuid",
    "model_id",
    "run_id",
    "artifact_path",
    "utc_time_created",
    "model_size_bytes",
    "mlflow_version",
    "metadata",
)


@dataclass
class MLmodel:
    """The contents of an ``MLmodel`` file."""

    flavors: dict[str, dict[str, Any]] = field(default_factory=dict)
    signature: ModelSignature | None = None
    saved_input_example_info: dict[str, Any] | None = None
    model_uuid: str | None = None
    model_id: str | None = None
    run_id: str | None = None
    artifact_path: str | None = None
    utc_time_created: str | None = None
    model_size_bytes: int | None = None
    mlflow_version: str | None = None
    metadata: dict[str, Any] | None = None
    extras: dict[str, Any] = field(default_factory=dict)
    # The signature mapping as read, re-emitted verbatim while `signature` is unchanged.
    _signature_as_read: tuple[ModelSignature, Mapping[str, Any]] | None = field(
        default=None, repr=False, compare=False
    )
    # Known keys the file held as null, written back as null while they stay unset.
    _nulls_as_read: frozenset[str] = field(default=frozenset(), repr=False, compare=False)

    @classmethod
    def new(cls, **fields: Any) -> MLmodel:
        """A fresh MLmodel for a package being written: new uuid, creation time, versions."""
        return cls(**fields).with_defaults()

    def with_defaults(self) -> MLmodel:
        """Fill in what a written package needs and is not set yet: a uuid, the creation time
        (UTC, in MLflow's format), the format version and Shipyard's version."""
        self.model_uuid = self.model_uuid or uuid.uuid4().hex
        self.utc_time_created = self.utc_time_created or str(
            dt.datetime.now(dt.UTC).replace(tzinfo=None)
        )
        self.mlflow_version = self.mlflow_version or MLFLOW_FORMAT_VERSION
        self.extras.setdefault("shipyard_version", __version__)
        return self

    @property
    def pyfunc_conf(self) -> dict[str, Any] | None:
        """The ``python_function`` flavor's configuration, if the package has one."""
        return self.flavors.get(PYFUNC_FLAVOR)

    @property
    def signature_from_type_hints(self) -> bool:
        """Whether MLflow derived the signature from type hints (it then checks inputs itself)."""
        return bool(self.extras.get("is_signature_from_type_hint", False))

    def flavor(self, name: str) -> dict[str, Any]:
        """One flavor's configuration; :class:`NotFound` when the package lacks that flavor."""
        conf = self.flavors.get(name)
        if conf is None:
            raise NotFound(f"The model has no {name!r} flavor; it has {sorted(self.flavors)}")
        return conf

    def add_flavor(self, name: str, **conf: Any) -> MLmodel:
        """Add (or replace) a flavor's configuration."""
        self.flavors[name] = dict(conf)
        return self

    def to_dict(self) -> dict[str, Any]:
        """The mapping written to YAML."""
        out: dict[str, Any] = dict(self.extras)
        out["flavors"] = self.flavors
        for key in _KNOWN_KEYS[2:]:
            value = getattr(self, key)
            if value is not None or key in self._nulls_as_read:
                out[key] = value
        if self.signature is None and "signature" in self._nulls_as_read:
            out["signature"] = None
        elif self.signature is not None:
            as_read = self._signature_as_read
            if as_read is not None and as_read[0] == self.signature:
                out["signature"] = dict(as_read[1])
            else:
                out["signature"] = self.signature.to_dict()
        return out

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> MLmodel:
        """Read the mapping loaded from YAML; unknown keys land in :attr:`extras`."""
        flavors = raw.get("flavors") or {}
        if not isinstance(flavors, Mapping) or not all(
            isinstance(conf, Mapping) for conf in flavors.values()
        ):
            raise InvalidParameter("MLmodel 'flavors' must map flavor names to mappings")
        signature = None
        as_read = None
        raw_signature = raw.get("signature")
        if isinstance(raw_signature, Mapping):
            signature = ModelSignature.from_dict(raw_signature)
            as_read = (signature, dict(raw_signature))
        size = raw.get("model_size_bytes")
        if size is not None and not isinstance(size, int):
            raise InvalidParameter(f"MLmodel 'model_size_bytes' must be an integer, got {size!r}")
        return cls(
            flavors={str(name): dict(conf) for name, conf in flavors.items()},
            signature=signature,
            saved_input_example_info=_optional_dict(raw, "saved_input_example_info"),
            model_uuid=_optional_str(raw, "model_uuid"),
            model_id=_optional_str(raw, "model_id"),
            run_id=_optional_str(raw, "run_id"),
            artifact_path=_optional_str(raw, "artifact_path"),
            utc_time_created=_optional_str(raw, "utc_time_created"),
            model_size_bytes=size,
            mlflow_version=_optional_str(raw, "mlflow_version"),
            metadata=_optional_dict(raw, "metadata"),
            extras={k: v for k, v in raw.items() if k not in _KNOWN_KEYS},
            _signature_as_read=as_read,
            _nulls_as_read=frozenset(k for k in _KNOWN_KEYS if k in raw and raw[k] is None),
        )

    def to_yaml(self) -> str:
        """The YAML text, keys sorted as MLflow writes them."""
        return str(yaml.safe_dump(self.to_dict(), default_flow_style=False))

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the file; ``path`` is the package directory or the MLmodel file itself."""
        target = _mlmodel_path(path)
        target.write_text(self.to_yaml())
        return target


def read_mlmodel(path: str | os.PathLike[str]) -> MLmodel:
    """Read the MLmodel file of a package directory (or the file itself)."""
    target = _mlmodel_path(path)
    try:
        text = target.read_text()
    except FileNotFoundError:
        raise NotFound(f"No {MLMODEL_FILE_NAME} file at {target}") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InvalidParameter(f"{target} is not valid YAML: {exc}") from None
    if not isinstance(raw, Mapping):
        raise InvalidParameter(f"{target} must hold a YAML mapping")
    return MLmodel.from_dict(raw)


def package_file(directory: str | os.PathLike[str], relative: Any) -> Path:
    """The file an MLmodel entry names, refused when it would lie outside the package."""
    if not isinstance(relative, str) or not relative:
        raise InvalidParameter(f"MLmodel names a model file as {relative!r}; expected a path")
    root = Path(directory).resolve()
    target = (root / relative).resolve()
    if not target.is_relative_to(root):
        raise InvalidParameter(f"MLmodel names {relative!r}, which lies outside the package")
    return target


def _mlmodel_path(path: str | os.PathLike[str]) -> Path:
    target = Path(path)
    return target if target.name == MLMODEL_FILE_NAME else target / MLMODEL_FILE_NAME


def _optional_str(raw: Mapping[str, Any], key: str) -> str | None:
    value = raw.get(key)
    return None if value is None else str(value)


def _optional_dict(raw: Mapping[str, Any], key: str) -> dict[str, Any] | None:
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise InvalidParameter(f"MLmodel {key!r} must be a mapping, got {type(value).__name__}")
    return dict(value)
