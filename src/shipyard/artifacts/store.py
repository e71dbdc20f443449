"""The artifact store: files under one root, read and written as streams.

Two implementations: ``LocalArtifactStore`` (a folder) and ``S3ArtifactStore`` (a bucket and
prefix on S3 or any S3-compatible service). Paths given to a store are relative POSIX paths
already checked by ``paths.safe_relative_path``; stores refuse anything else all the same.

Memory stays flat whatever the file size: writers take chunks as they arrive, readers yield
chunks, and a multipart upload sends its parts straight to storage.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Protocol

CHUNK_SIZE = 1024 * 1024


@dataclass(frozen=True, slots=True)
class FileInfo:
    """A file or folder: its path (relative to what was listed), kind and size."""

    path: str
    is_dir: bool
    size: int | None = None


@dataclass(frozen=True, slots=True)
class PartTarget:
    """Where the client sends one part of a multipart upload."""

    part_number: int
    url: str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class MultipartUpload:
    """A started multipart upload: its id and one target per part."""

    upload_id: str
    parts: list[PartTarget]


@dataclass(frozen=True, slots=True)
class UploadedPart:
    """A part the client has sent, as it reports it when completing."""

    part_number: int
    etag: str


class ArtifactWriter(Protocol):
    """One file being written; nothing is visible until ``commit``."""

    def write(self, data: bytes) -> None:
        """Append bytes."""

    def commit(self) -> int:
        """Make the file visible (replacing any file at that path); return its size."""

    def abort(self) -> None:
        """Discard what was written."""


class ArtifactStore(Protocol):
    """Files under one root."""

    uri: str
    """Where the root is, as a URI (``file:///...`` or ``s3://bucket/prefix``)."""

    def stat(self, path: str) -> FileInfo | None:
        """The file or folder at ``path``, or None if there is nothing there."""

    def list(self, path: str) -> list[FileInfo]:
        """The immediate children of a folder, named relative to it; [] if it does not exist."""

    def walk(self, path: str) -> Iterator[FileInfo]:
        """Every file below a folder, with paths relative to it, in name order."""

    def read(self, path: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """The bytes of a file from ``start`` up to (not including) ``end``, in chunks."""

    def writer(self, path: str) -> ArtifactWriter:
        """A writer for the file at ``path``."""

    def delete(self, path: str) -> int:
        """Delete a file or a folder with everything in it; return the number of files."""

    def local_path(self, path: str) -> Path | None:
        """The file on local disk, for stores that have one (lets the server send it directly)."""

    def create_multipart_upload(
        self, path: str, num_parts: int, part_url: PartUrlFactory
    ) -> MultipartUpload:
        """Start a multipart upload of ``num_parts`` parts."""

    def complete_multipart_upload(
        self, path: str, upload_id: str, parts: Sequence[UploadedPart]
    ) -> None:
        """Assemble the uploaded parts into the file at ``path``."""

    def abort_multipart_upload(self, path: str, upload_id: str) -> None:
        """Discard a multipart upload and its parts."""

    def part_writer(self, upload_id: str, part_number: int) -> ArtifactWriter:
        """A writer for one part sent through Shipyard (stores that cannot presign URLs)."""

    def part_etag(self, writer: ArtifactWriter) -> str:
        """The ETag of a part once its writer is committed."""


class PartUrlFactory(Protocol):
    """Builds the URL of a part upload served by Shipyard itself (stores without presigning)."""

    def __call__(self, upload_id: str, part_number: int) -> str: ...


def write_all(writer: ArtifactWriter, chunks: Iterable[bytes]) -> int:
    """Write every chunk and commit; return the size. On any error (from the writer or from
    producing the chunks) the writer is aborted, so nothing of the file becomes visible."""
    try:
        for chunk in chunks:
            writer.write(chunk)
        return writer.commit()
    except BaseException:
        writer.abort()
        raise


def read_chunks(handle: IO[bytes]) -> Iterator[bytes]:
    """An open file's bytes in ``CHUNK_SIZE`` pieces."""
    while data := handle.read(CHUNK_SIZE):
        yield data
