"""What a route handler may ask for: the stores the app was built with.

Handlers declare a parameter of one of these types and FastAPI hands them the app's object;
nothing reaches for a global.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from shipyard.artifacts.store import ArtifactStore
from shipyard.store.model_registry import RegistryStore
from shipyard.store.tracking import TrackingStore


def _store(request: Request) -> TrackingStore:
    store: TrackingStore = request.app.state.store
    return store


def _registry(request: Request) -> RegistryStore:
    registry: RegistryStore = request.app.state.registry
    return registry


def _artifacts(request: Request) -> ArtifactStore:
    artifacts: ArtifactStore = request.app.state.artifacts
    return artifacts


Store = Annotated[TrackingStore, Depends(_store)]
"""The tracking store."""
Registry = Annotated[RegistryStore, Depends(_registry)]
"""The model registry store."""
Artifacts = Annotated[ArtifactStore, Depends(_artifacts)]
"""The artifact store (the server's own, whether it serves artifacts or not)."""
