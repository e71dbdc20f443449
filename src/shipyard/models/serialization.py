"""Python-object serialization for flavors without a native format: pickle, cloudpickle, skops.

The names are MLflow's ``serialization_format`` values. Loading a pickle or cloudpickle file runs
code from it, and so does loading skops with the trusted types a package lists for itself: load
only packages from sources you trust.
"""

from __future__ import annotations

import pickle
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from shipyard.domain.errors import InvalidParameter

PICKLE = "pickle"
CLOUDPICKLE = "cloudpickle"
SKOPS = "skops"
FORMATS = (PICKLE, CLOUDPICKLE, SKOPS)

# The package each format needs at load time (pickle is in the standard library).
REQUIREMENT = {CLOUDPICKLE: "cloudpickle", SKOPS: "skops"}


def check_format(serialization_format: str) -> str:
    """``serialization_format`` itself, or :class:`InvalidParameter` when it is not one of ours."""
    if serialization_format not in FORMATS:
        raise InvalidParameter(
            f"Unknown serialization format {serialization_format!r}; use one of {list(FORMATS)}"
        )
    return serialization_format


def dump_object(
    obj: Any, path: Path, serialization_format: str, trusted_types: Sequence[str] = ()
) -> None:
    """Serialize ``obj`` to ``path``; for skops, every type must be trusted by default or be
    listed in ``trusted_types`` (the list the package will carry)."""
    check_format(serialization_format)
    if serialization_format == SKOPS:
        skops_io = _skops_io()
        skops_io.dump(obj, str(path))
        # Refuse what would not load again without trusting types the package would list itself.
        untrusted = set(skops_io.get_untrusted_types(file=str(path))) - set(trusted_types)
        if untrusted:
            raise InvalidParameter(
                "skops cannot save this model safely; it uses untrusted types "
                f"{sorted(untrusted)}. Use serialization_format='cloudpickle' for models you trust."
            )
        return
    module: Any = pickle
    if serialization_format == CLOUDPICKLE:
        import cloudpickle  # type: ignore[import-untyped]

        module = cloudpickle
    with path.open("wb") as out:
        # The default protocol, not cloudpickle's newest, so that older Pythons can read it.
        module.dump(obj, out, protocol=pickle.DEFAULT_PROTOCOL)


def load_object(
    path: Path, serialization_format: str, trusted_types: Sequence[str] | None = None
) -> Any:
    """Deserialize the object at ``path``; ``trusted_types`` is skops' allow-list."""
    check_format(serialization_format)
    if serialization_format == SKOPS:
        return _skops_io().load(str(path), trusted=list(trusted_types) if trusted_types else None)
    # cloudpickle writes standard pickles; the classes it embeds load through plain pickle.
    with path.open("rb") as source:
        return pickle.load(source)  # runs code from the file: see the module docstring


def _skops_io() -> Any:
    try:
        import skops.io  # type: ignore[import-untyped]
    except ImportError:
        raise ModuleNotFoundError(
            "The skops serialization format needs the 'skops' package: pip install skops"
        ) from None
    return skops.io
