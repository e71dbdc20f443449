"""The files the benchmark moves, generated once on disk, and checks of what came back.

The large file is random bytes written in 8 MiB pieces and hashed as it is written, so the
benchmark never holds it in memory. The small files are random bytes of mixed sizes (4 to
64 KiB, log-uniform: most are small, some approach the top), generated from a fixed seed so that
every run moves the same bytes.
"""

from __future__ import annotations

import hashlib
import os
import random
import zipfile
from dataclasses import dataclass
from pathlib import Path

MIB = 1024 * 1024
WRITE_PIECE = 8 * MIB
SMALL_MIN_BYTES = 4 * 1024
SMALL_MAX_BYTES = 64 * 1024
SMALL_EXTENSIONS = (".json", ".txt", ".png", ".bin")  # Content-Type varies as it would in a run
HASH = "sha256"


class VerificationError(RuntimeError):
    """What a server sent back differs from what was uploaded."""


@dataclass(frozen=True)
class FileSpec:
    """A file the benchmark uploads: its name, size and SHA-256 hex digest."""

    name: str
    size: int
    digest: str


@dataclass(frozen=True)
class Payload:
    """The large file and the small files, all under one temp folder."""

    folder: Path
    large: FileSpec
    small: tuple[FileSpec, ...]

    @property
    def large_path(self) -> Path:
        """Where the large file lies on disk."""
        return self.folder / self.large.name

    @property
    def small_dir(self) -> Path:
        """The folder that holds the small files."""
        return self.folder / "small"

    @property
    def downloads(self) -> Path:
        """A scratch folder for what the benchmark downloads."""
        return self.folder / "downloads"

    @property
    def small_bytes(self) -> int:
        """Total size of the small files."""
        return sum(spec.size for spec in self.small)


def create_payload(folder: Path, *, large_bytes: int, small_count: int, seed: int) -> Payload:
    """Write the large file and the small files under ``folder``."""
    large = FileSpec("large.bin", large_bytes, write_random_file(folder / "large.bin", large_bytes))
    small_dir = folder / "small"
    small_dir.mkdir()
    small = tuple(write_small_files(small_dir, small_count, seed=seed))
    (folder / "downloads").mkdir()
    return Payload(folder, large, small)


def write_random_file(path: Path, size: int) -> str:
    """Fill ``path`` with ``size`` random bytes; the SHA-256 hex digest of what was written."""
    digest = hashlib.new(HASH)
    with path.open("wb") as handle:
        remaining = size
        while remaining > 0:
            piece = os.urandom(min(WRITE_PIECE, remaining))
            handle.write(piece)
            digest.update(piece)
            remaining -= len(piece)
    return digest.hexdigest()


def small_sizes(count: int, rng: random.Random) -> list[int]:
    """``count`` sizes between 4 and 64 KiB, log-uniform."""
    ratio = SMALL_MAX_BYTES / SMALL_MIN_BYTES
    return [int(SMALL_MIN_BYTES * ratio ** rng.random()) for _ in range(count)]


def write_small_files(folder: Path, count: int, *, seed: int) -> list[FileSpec]:
    """Write ``count`` small random files into ``folder``; their specs, in name order."""
    rng = random.Random(seed)
    specs = []
    for index, size in enumerate(small_sizes(count, rng)):
        name = f"file-{index:05d}{SMALL_EXTENSIONS[index % len(SMALL_EXTENSIONS)]}"
        data = rng.randbytes(size)
        (folder / name).write_bytes(data)
        specs.append(FileSpec(name, size, hashlib.new(HASH, data).hexdigest()))
    return specs


def digest_file(path: Path) -> str:
    """The SHA-256 hex digest of a file, read in pieces."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, HASH).hexdigest()


def verify_file(path: Path, spec: FileSpec) -> None:
    """Raise :class:`VerificationError` unless ``path`` has the size and digest of ``spec``."""
    size = path.stat().st_size
    if size != spec.size:
        raise VerificationError(f"{spec.name}: got {size:,} bytes, uploaded {spec.size:,}")
    if digest_file(path) != spec.digest:
        raise VerificationError(f"{spec.name}: content differs from what was uploaded")


def verify_folder(folder: Path, specs: tuple[FileSpec, ...]) -> None:
    """Every file of ``specs`` is in ``folder`` with the right size and content."""
    for spec in specs:
        verify_file(folder / spec.name, spec)


def verify_listing(entries: list[dict[str, object]], specs: tuple[FileSpec, ...]) -> None:
    """A folder listing names exactly the uploaded files, with their sizes."""
    listed = {str(entry.get("path")): entry.get("file_size") for entry in entries}
    expected = {spec.name: spec.size for spec in specs}
    if set(listed) != set(expected):
        missing, extra = set(expected) - set(listed), set(listed) - set(expected)
        raise VerificationError(
            f"listing has {len(listed)} entries: {len(missing)} missing, {len(extra)} unexpected"
        )
    wrong = [name for name, size in expected.items() if int(str(listed[name])) != size]
    if wrong:
        raise VerificationError(f"listing reports wrong sizes for {len(wrong)} files: {wrong[:3]}")


def verify_zip(path: Path, specs: tuple[FileSpec, ...]) -> None:
    """The archive holds exactly the files of ``specs``, each with the right content."""
    expected = {spec.name: spec for spec in specs}
    with zipfile.ZipFile(path) as archive:
        members = archive.infolist()
        names = {member.filename for member in members}
        if names != set(expected):
            raise VerificationError(
                f"archive has {len(names)} members, expected the {len(expected)} uploaded files"
            )
        for member in members:
            spec = expected[member.filename]
            digest = hashlib.new(HASH)
            with archive.open(member) as handle:
                while piece := handle.read(MIB):
                    digest.update(piece)
            if member.file_size != spec.size or digest.hexdigest() != spec.digest:
                raise VerificationError(f"archive member {member.filename} differs from upload")
