"""PyTorch Lightning: autolog ``Trainer.fit``, or add ``ShipyardLogger`` to a trainer.

LightningModules are ``torch.nn.Module``s: log and load them with ``shipyard.pytorch``.
Lightning is imported only when ``ShipyardLogger`` is first used (docs/autologging.md).
"""

from __future__ import annotations

from typing import Any

from shipyard.autologging.lightning import autolog

__all__ = ["autolog"]


def __getattr__(name: str) -> Any:
    # The logger subclasses lightning.pytorch.loggers.Logger, so it is built on first access.
    if name == "ShipyardLogger":
        from shipyard.autologging.lightning import logger_class

        return logger_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
