"""Carrying out a garbage-collection plan: the artifacts of each item, then its rows.

The store decides what may go (``store/gc.py``); this module deletes the files an item has in
this server's artifact store and then the item itself, one item at a time, so an interruption
leaves every remaining item whole. Files at a location a client chose outside the store, or
the store's root itself, are never deleted: a note says so instead. ``shipyard gc`` and the
UI's purge routes both go through here.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from typing import Protocol

from shipyard.artifacts.store import ArtifactStore
from shipyard.artifacts.uris import managed_path
from shipyard.domain.errors import NotFound
from shipyard.store.gc import GcPlan, Purgeable


class Purger(Protocol):
    """What deletes one planned item's rows (``TrackingStore.purge``)."""

    def purge(self, item: Purgeable) -> None: ...


@dataclass(slots=True)
class PurgeResult:
    """What a purge deleted."""

    runs: list[str] = field(default_factory=list)
    logged_models: list[str] = field(default_factory=list)
    experiments: list[str] = field(default_factory=list)
    artifact_files_deleted: int = 0
    notes: list[str] = field(default_factory=list)


def delete_item_artifacts(artifacts: ArtifactStore, item: Purgeable, notes: list[str]) -> int:
    """Delete an item's artifact folder if this store manages it; the number of files gone."""
    path = managed_path(item.artifact_uri, artifacts.uri) if item.artifact_uri else None
    if path is None:
        if item.artifact_uri:
            notes.append(f"{item.kind} {item.id}: artifacts at {item.artifact_uri} left alone")
        return 0
    if item.kind != "experiment" and posixpath.basename(path) == "artifacts":
        # runs and models keep their files in <id>/artifacts: the <id> folder is theirs too
        path = posixpath.dirname(path)
    if not path:
        notes.append(f"{item.kind} {item.id}: refusing to delete the whole artifact root")
        return 0
    try:
        return artifacts.delete(path)
    except NotFound:
        return 0


def carry_out(plan: GcPlan, store: Purger, artifacts: ArtifactStore) -> PurgeResult:
    """Delete everything in ``plan``: runs and models first, then their experiments."""
    result = PurgeResult()
    kinds = (
        (plan.runs, result.runs),
        (plan.logged_models, result.logged_models),
        (plan.experiments, result.experiments),
    )
    for items, done in kinds:
        for item in items:
            result.artifact_files_deleted += delete_item_artifacts(artifacts, item, result.notes)
            store.purge(item)
            done.append(item.id)
    return result
