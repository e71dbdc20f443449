"""Hugging Face transformers: autolog ``Trainer.train``, or add ``ShipyardCallback`` to a trainer.

The trained models are ``torch.nn.Module``s: log and load them with ``shipyard.pytorch``.
transformers is imported only when ``ShipyardCallback`` is first used (docs/autologging.md).
"""

from __future__ import annotations

from typing import Any

from shipyard.autologging.transformers import autolog

__all__ = ["autolog"]


def __getattr__(name: str) -> Any:
    # The callback subclasses transformers.TrainerCallback, so it is built on first access.
    if name == "ShipyardCallback":
        from shipyard.autologging.transformers import callback_class

        return callback_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
