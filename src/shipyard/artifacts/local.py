"""Artifacts in a folder on local disk.

Writes go to a hidden temporary file beside the target and are renamed into place on commit,
so a reader never sees half a file and an interrupted upload leaves nothing behind. Every path
is resolved through symlinks and refused if it ends up outside the root. Multipart uploads
keep their parts in ``.shipyard-uploads/<id>/`` under the root until they are assembled.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path

from shipyard.artifacts.paths import safe_relative_path
from shipyard.artifacts.store import (
    CHUNK_SIZE,
    ArtifactWriter,
    FileInfo,
    MultipartUpload,
    PartTarget,
    PartUrlFactory,
    UploadedPart,
    read_chunks,
    write_all,
)
from shipyard.domain.errors import InvalidParameter, NotFound

UPLOADS_FOLDER = ".shipyard-uploads"
_PARTIAL_SUFFIX = ".shipyard-partial"
MAX_PARTS = 10000


class _FileWriter:
    def __init__(self, target: Path, *, digest: bool = False) -> None:
        self.target = target
        target.parent.mkdir(parents=True, exist_ok=True)
        self.temp = target.parent / f".{target.name}.{uuid.uuid4().hex}{_PARTIAL_SUFFIX}"
        self.handle = open(self.temp, "xb")  # noqa: SIM115 - closed in commit/abort
        self.size = 0
        # only multipart parts need a digest (their ETag); plain uploads skip the hashing
        self.digest = hashlib.md5(usedforsecurity=False) if digest else None

    def write(self, data: bytes) -> None:
        self.handle.write(data)
        if self.digest is not None:
            self.digest.update(data)
        self.size += len(data)

    def commit(self) -> int:
        self.handle.close()
        os.replace(self.temp, self.target)
        return self.size

    def abort(self) -> None:
        self.handle.close()
        self.temp.unlink(missing_ok=True)


class LocalArtifactStore:
    """Files under a local folder."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).expanduser().resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self.uri = self.root.as_uri()

    # -- paths ------------------------------------------------------------------------------

    def _resolve(self, path: str) -> Path:
        relative = safe_relative_path(path)
        if relative.split("/", 1)[0] == UPLOADS_FOLDER:
            raise InvalidParameter(f"Invalid path {path!r}: {UPLOADS_FOLDER} is reserved.")
        full = self.root / relative if relative else self.root
        real = Path(os.path.realpath(full))
        if real != self.root and self.root not in real.parents:
            raise InvalidParameter(
                f"Invalid path {path!r}: it leads outside the artifact root through a symlink."
            )
        return real

    def local_path(self, path: str) -> Path | None:
        """The file's location on disk (None if it is not a file)."""
        full = self._resolve(path)
        return full if full.is_file() else None

    # -- reading ----------------------------------------------------------------------------

    def stat(self, path: str) -> FileInfo | None:
        """The file or folder at ``path``."""
        full = self._resolve(path)
        if full.is_dir():
            return FileInfo(safe_relative_path(path), True)
        if full.is_file():
            return FileInfo(safe_relative_path(path), False, full.stat().st_size)
        return None

    def list(self, path: str) -> list[FileInfo]:
        """Children of a folder, by name; hidden upload state is left out."""
        full = self._resolve(path)
        if not full.is_dir():
            return []
        entries = []
        with os.scandir(full) as scan:
            for entry in scan:
                if entry.name == UPLOADS_FOLDER or entry.name.endswith(_PARTIAL_SUFFIX):
                    continue
                if entry.is_dir(follow_symlinks=False):
                    entries.append(FileInfo(entry.name, True))
                elif entry.is_file(follow_symlinks=False):
                    entries.append(FileInfo(entry.name, False, entry.stat().st_size))
        return sorted(entries, key=lambda info: info.path)

    def walk(self, path: str) -> Iterator[FileInfo]:
        """Every file below a folder, relative to it, in path order (symlinks are skipped).

        Path order is the order of the full relative paths, as S3 lists keys, so a folder's
        archive comes out the same from either store.
        """
        base = self._resolve(path)
        if not base.is_dir():
            return
        found: list[FileInfo] = []
        for folder, subfolders, files in os.walk(base):
            subfolders[:] = [name for name in subfolders if name != UPLOADS_FOLDER]
            prefix = Path(folder).relative_to(base).as_posix()
            for name in files:
                full = Path(folder) / name
                if name.endswith(_PARTIAL_SUFFIX) or full.is_symlink() or not full.is_file():
                    continue
                relative = name if prefix == "." else f"{prefix}/{name}"
                found.append(FileInfo(relative, False, full.stat().st_size))
        yield from sorted(found, key=lambda info: info.path)

    def read(self, path: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """The file's bytes in ``[start, end)``, in chunks."""
        full = self._resolve(path)
        if not full.is_file():
            raise NotFound(f"No artifact at {path!r}")
        return self._chunks(full, start, end)

    @staticmethod
    def _chunks(full: Path, start: int, end: int | None) -> Iterator[bytes]:
        with open(full, "rb") as handle:
            handle.seek(start)
            remaining = None if end is None else max(0, end - start)
            while remaining is None or remaining > 0:
                size = CHUNK_SIZE if remaining is None else min(CHUNK_SIZE, remaining)
                data = handle.read(size)
                if not data:
                    return
                if remaining is not None:
                    remaining -= len(data)
                yield data

    # -- writing ----------------------------------------------------------------------------

    def writer(self, path: str) -> _FileWriter:
        """A writer for the file at ``path`` (its folders are created)."""
        full = self._resolve(path)
        if full == self.root or full.is_dir():
            raise InvalidParameter(f"Invalid path {path!r}: a folder is there, not a file.")
        return _FileWriter(full)

    def delete(self, path: str) -> int:
        """Delete a file or folder; the root itself cannot be deleted."""
        full = self._resolve(path)
        if full == self.root:
            raise InvalidParameter("Refusing to delete the whole artifact root: name a path.")
        if full.is_dir():
            count = sum(1 for _ in self.walk(path))
            shutil.rmtree(full)
            return count
        if full.is_file() or full.is_symlink():
            full.unlink()
            return 1
        raise NotFound(f"No artifact at {path!r}")

    # -- multipart --------------------------------------------------------------------------

    def _upload_folder(self, upload_id: str) -> Path:
        if not upload_id or not all(char in "0123456789abcdef" for char in upload_id):
            raise NotFound(f"No multipart upload with id {upload_id!r}")
        return self.root / UPLOADS_FOLDER / upload_id

    def _upload_meta(self, upload_id: str) -> dict[str, object]:
        folder = self._upload_folder(upload_id)
        try:
            meta: dict[str, object] = json.loads((folder / "upload.json").read_text())
        except FileNotFoundError as exc:
            raise NotFound(f"No multipart upload with id {upload_id!r}") from exc
        return meta

    def create_multipart_upload(
        self, path: str, num_parts: int, part_url: PartUrlFactory
    ) -> MultipartUpload:
        """Start an upload whose parts are sent to Shipyard, then assembled here."""
        if not 1 <= num_parts <= MAX_PARTS:
            raise InvalidParameter(f"num_parts must be between 1 and {MAX_PARTS}.")
        target = safe_relative_path(path, allow_empty=False)
        self._resolve(target)
        upload_id = uuid.uuid4().hex
        folder = self._upload_folder(upload_id)
        folder.mkdir(parents=True)
        (folder / "upload.json").write_text(json.dumps({"path": target, "parts": num_parts}))
        return MultipartUpload(
            upload_id,
            [PartTarget(n, part_url(upload_id, n)) for n in range(1, num_parts + 1)],
        )

    def part_writer(self, upload_id: str, part_number: int) -> _FileWriter:
        """A writer for one part of a started upload."""
        meta = self._upload_meta(upload_id)
        if not 1 <= part_number <= int(str(meta["parts"])):
            raise InvalidParameter(f"Part number {part_number} is outside this upload.")
        return _FileWriter(self._upload_folder(upload_id) / f"{part_number:05d}.part", digest=True)

    def part_etag(self, writer: ArtifactWriter) -> str:
        """The ETag a client reports back for a part it sent."""
        assert isinstance(writer, _FileWriter) and writer.digest is not None
        return writer.digest.hexdigest()

    def complete_multipart_upload(
        self, path: str, upload_id: str, parts: Sequence[UploadedPart]
    ) -> None:
        """Concatenate the parts, in order, into the target file."""
        meta = self._upload_meta(upload_id)
        if meta["path"] != safe_relative_path(path):
            raise InvalidParameter("This upload id belongs to another path.")
        folder = self._upload_folder(upload_id)
        numbers = sorted(part.part_number for part in parts)
        if not numbers or numbers != list(range(1, len(numbers) + 1)):
            raise InvalidParameter("Parts must be numbered 1, 2, 3, ... without gaps.")

        def joined() -> Iterator[bytes]:
            for number in numbers:
                part = folder / f"{number:05d}.part"
                if not part.is_file():
                    raise InvalidParameter(f"Part {number} was never uploaded.")
                with open(part, "rb") as handle:
                    yield from read_chunks(handle)

        write_all(self.writer(str(meta["path"])), joined())
        shutil.rmtree(folder, ignore_errors=True)

    def abort_multipart_upload(self, path: str, upload_id: str) -> None:
        """Discard the parts of an upload."""
        meta = self._upload_meta(upload_id)
        if meta["path"] != safe_relative_path(path):
            raise InvalidParameter("This upload id belongs to another path.")
        shutil.rmtree(self._upload_folder(upload_id), ignore_errors=True)
