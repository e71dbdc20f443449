"""A tar archive (plain or gzip) unpacked into a folder of an artifact store, safely.

The archive is read from a seekable file (the server spools the request body to one). It is
checked whole before anything is written: every member must be a regular file or a folder, and
every member name must pass ``paths.safe_relative_path`` (no absolute paths, no ``..``, no
backslashes, no control characters). Symlinks, hard links, devices and FIFOs are refused, so
one refused member means nothing of the archive is stored. Files are then written one by one
through the store's writers (small ones by a few threads at once), so this works the same on
every store.

Folders carry nothing of their own (stores hold files only): an empty folder in the archive
writes nothing. If a member name repeats, the later member wins, as with ``tar -x``.
"""

from __future__ import annotations

import tarfile
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import IO

from shipyard.artifacts.local import LocalArtifactStore
from shipyard.artifacts.paths import join, safe_relative_path
from shipyard.artifacts.store import CHUNK_SIZE, ArtifactStore, read_chunks, write_all
from shipyard.domain.errors import InvalidParameter, LimitExceeded

GZIP_MAGIC = b"\x1f\x8b"
WRITERS = 4
"""Threads writing small files to the store at once."""
IN_FLIGHT = 16
"""Small files read from the archive and not yet written, at most."""
MAX_MEMBERS = 1_000_000
"""More members than this and the archive is refused (their headers are held in memory)."""


@dataclass(frozen=True, slots=True)
class Extracted:
    """What an archive put in the store: files written and their bytes."""

    files: int
    size: int


def _shown(name: str) -> str:
    return repr(name if len(name) <= 120 else name[:120] + "...")


def _kind(member: tarfile.TarInfo) -> str:
    if member.issym():
        return "a symbolic link"
    if member.islnk():
        return "a hard link"
    if member.ischr() or member.isblk():
        return "a device"
    if member.isfifo():
        return "a FIFO"
    return f"of tar type {member.type!r}"


def _open(source: IO[bytes]) -> tarfile.TarFile:
    source.seek(0)
    magic = source.read(2)
    source.seek(0)
    mode = "r:gz" if magic == GZIP_MAGIC else "r:"
    try:
        return tarfile.open(fileobj=source, mode=mode)  # type: ignore[call-overload,no-any-return]
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise InvalidParameter(
            f"The request body is not a tar archive (plain or gzip): {exc}"
        ) from exc


def _planned(archive: tarfile.TarFile, folder: str) -> list[tuple[tarfile.TarInfo, str]]:
    """Every file member with the store path it goes to; raise on anything refused."""
    plan: list[tuple[tarfile.TarInfo, str]] = []
    count = 0
    try:
        for member in archive:
            count += 1
            if count > MAX_MEMBERS:
                raise LimitExceeded(f"The archive has more than {MAX_MEMBERS:,} members.")
            if not (member.isreg() or member.isdir()):
                raise InvalidParameter(
                    f"Archive member {_shown(member.name)} is {_kind(member)}: only regular "
                    "files and folders are accepted."
                )
            try:
                relative = safe_relative_path(member.name, allow_empty=member.isdir())
            except InvalidParameter as exc:
                raise InvalidParameter(f"Archive member {_shown(member.name)}: {exc}") from exc
            if member.isreg():
                plan.append((member, join(folder, relative)))
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise InvalidParameter(f"The tar archive is corrupt or truncated: {exc}") from exc
    _check_no_clashes(plan)
    return _last_of_each(plan)


def _last_of_each(plan: list[tuple[tarfile.TarInfo, str]]) -> list[tuple[tarfile.TarInfo, str]]:
    """The plan with only the last member of each path, still in archive order."""
    seen: set[str] = set()
    kept = []
    for member, path in reversed(plan):
        if path not in seen:
            seen.add(path)
            kept.append((member, path))
    kept.reverse()
    return kept


def _check_no_clashes(plan: list[tuple[tarfile.TarInfo, str]]) -> None:
    """Refuse a file whose path is also a folder of another member (``a`` and ``a/b``)."""
    files = {path for _, path in plan}
    for member, path in plan:
        parent = path.rpartition("/")[0]
        while parent:
            if parent in files:
                raise InvalidParameter(
                    f"Archive member {_shown(member.name)} is below {parent!r}, which the "
                    "archive also holds as a file."
                )
            parent = parent.rpartition("/")[0]


def _write_whole(store: ArtifactStore, path: str, data: bytes) -> int:
    return write_all(store.writer(path), [data])


def extract_into(store: ArtifactStore, folder: str, source: IO[bytes]) -> Extracted:
    """Unpack the tar archive in ``source`` into ``folder`` (a safe relative path) of ``store``.

    Raises ``InvalidParameter`` (nothing written) when the body is not a tar archive or holds a
    member that is refused. The archive is read in order by this thread. On a store without
    local files (S3), small files (up to 1 MiB) are written by ``WRITERS`` threads at once,
    which hides a request's round trip per file, with at most ``IN_FLIGHT`` of them held in
    memory; on local disk threads only contend for the GIL, so one writes everything.
    """
    remote = not isinstance(store, LocalArtifactStore)
    with _open(source) as archive:
        plan = _planned(archive, folder)
        sizes: list[int] = []
        pending: deque[Future[int]] = deque()
        with ThreadPoolExecutor(WRITERS if remote else 1, "tar-upload") as pool:
            try:
                # members in archive order: a gzip stream rewinds once, then only reads forward
                for member, path in plan:
                    while len(pending) >= IN_FLIGHT:
                        sizes.append(pending.popleft().result())
                    handle = archive.extractfile(member)
                    if handle is None:  # only for non-files, which the plan leaves out
                        raise InvalidParameter(f"Archive member {_shown(member.name)} is empty.")
                    with handle:
                        try:
                            if member.size <= CHUNK_SIZE:
                                data = handle.read()
                                if remote:
                                    pending.append(pool.submit(_write_whole, store, path, data))
                                else:
                                    sizes.append(_write_whole(store, path, data))
                            else:
                                sizes.append(write_all(store.writer(path), read_chunks(handle)))
                        except (tarfile.TarError, EOFError) as exc:
                            raise InvalidParameter(
                                f"The tar archive is corrupt at member {_shown(member.name)}: {exc}"
                            ) from exc
                while pending:
                    sizes.append(pending.popleft().result())
            finally:
                for future in pending:
                    future.cancel()
    return Extracted(len(sizes), sum(sizes))
