"""Artifact storage: the store protocol, local and S3 stores, URIs and path safety."""

from __future__ import annotations

from shipyard.artifacts.store import ArtifactStore
from shipyard.domain.errors import InvalidParameter


def open_artifact_store(destination: str, *, s3_endpoint_url: str | None = None) -> ArtifactStore:
    """The store for ``--artifacts-destination``: a local folder or ``s3://bucket/prefix``."""
    if destination.startswith("s3://"):
        from shipyard.artifacts.s3 import S3ArtifactStore

        return S3ArtifactStore(destination, endpoint_url=s3_endpoint_url)
    if "://" in destination and not destination.startswith("file://"):
        scheme = destination.split("://", 1)[0]
        raise InvalidParameter(
            f"Unsupported artifact destination {destination!r}: use a local folder or "
            f"s3://bucket/prefix (not {scheme}://)."
        )
    from shipyard.artifacts.local import LocalArtifactStore

    path = destination.removeprefix("file://")
    return LocalArtifactStore(path)
