"""Streaming artifacts out and in: single files with Range support, folders as zip archives,
and uploads written to the store as they arrive.

Files are always sent as attachments with ``nosniff`` and a sandboxing Content-Security-Policy,
so an uploaded HTML or SVG file cannot run in the server's origin.
"""

from __future__ import annotations

import mimetypes
import posixpath
import re
import tempfile
import time
import zipfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import IO
from urllib.parse import quote

from fastapi import Request
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
from starlette.responses import FileResponse, Response, StreamingResponse

from shipyard.artifacts.store import ArtifactStore, ArtifactWriter, FileInfo, write_all
from shipyard.artifacts.tar_upload import Extracted, extract_into
from shipyard.domain.errors import InvalidParameter, NotFound

UPLOAD_BUFFER = 4 * 1024 * 1024
SMALL_BODY = 1024 * 1024
DOWNLOAD_CHUNK = 1024 * 1024


class _FileResponse(FileResponse):
    # Starlette reads 64 KiB per thread hop; 1 MiB cuts the hops per GiB from 16,384 to 1,024.
    chunk_size = DOWNLOAD_CHUNK


_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")

SAFE_DOWNLOAD_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cache-Control": "private, no-cache",
}


def _disposition(name: str) -> str:
    ascii_name = name.encode("ascii", "replace").decode().replace('"', "")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"


def _media_type(name: str) -> str:
    guessed, _ = mimetypes.guess_type(name)
    return guessed or "application/octet-stream"


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The byte range ``[start, end)`` a Range header asks for, or None for the whole file."""
    if not header:
        return None
    match = _RANGE.match(header.strip())
    if match is None:
        return None  # multiple or malformed ranges: send the whole file, which is allowed
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:
        length = int(last)
        return (max(0, size - length), size) if length else (size, size)
    start = int(first)
    end = min(size, int(last) + 1) if last else size
    return start, end


def _look_up(
    store: ArtifactStore, path: str, whole: bool
) -> tuple[FileInfo, Path | None, bytes | None]:
    """In one thread hop: the file's info, its local path, and its bytes if it is small."""
    info = store.stat(path)
    if info is None:
        raise NotFound(f"No artifact at {path!r}")
    if info.is_dir:
        raise InvalidParameter(f"{path!r} is a folder: list it, or download it as a zip archive.")
    local = store.local_path(path)
    if whole and (info.size or 0) <= SMALL_BODY:
        data = local.read_bytes() if local is not None else b"".join(store.read(path))
        return info, local, data
    return info, local, None


async def file_response(store: ArtifactStore, path: str, request: Request) -> Response:
    """Send the file at ``path`` (Range requests answered with 206)."""
    ranged = "range" in request.headers
    info, local, data = await run_in_threadpool(_look_up, store, path, not ranged)
    name = posixpath.basename(path)
    headers = {**SAFE_DOWNLOAD_HEADERS, "Content-Disposition": _disposition(name)}
    if data is not None:
        # a small file was read whole in the same hop: no streaming machinery needed
        headers["Accept-Ranges"] = "bytes"
        return Response(data, media_type=_media_type(name), headers=headers)
    if local is not None:
        return _FileResponse(local, media_type=_media_type(name), headers=headers)
    size = info.size or 0
    wanted = parse_range(request.headers.get("range"), size)
    headers["Accept-Ranges"] = "bytes"
    if wanted is None:
        headers["Content-Length"] = str(size)
        chunks = await run_in_threadpool(store.read, path)
        return StreamingResponse(
            iterate_in_threadpool(chunks), media_type=_media_type(name), headers=headers
        )
    start, end = wanted
    if start >= size or start >= end:
        return Response(
            status_code=416, headers={**SAFE_DOWNLOAD_HEADERS, "Content-Range": f"bytes */{size}"}
        )
    headers["Content-Range"] = f"bytes {start}-{end - 1}/{size}"
    headers["Content-Length"] = str(end - start)
    chunks = await run_in_threadpool(store.read, path, start, end)
    return StreamingResponse(
        iterate_in_threadpool(chunks),
        status_code=206,
        media_type=_media_type(name),
        headers=headers,
    )


def _declared_length(request: Request) -> int | None:
    try:
        return int(request.headers["content-length"])
    except (KeyError, ValueError):
        return None


async def receive_upload(store: ArtifactStore, path: str, request: Request) -> int:
    """Write the request body to ``path`` as it arrives; return the size written.

    A small body (declared under 1 MiB) is read whole and written in one thread hop; a larger
    one streams to storage in 4 MiB pieces, so memory stays flat whatever its size.
    """
    declared = _declared_length(request)
    if declared is not None and declared <= SMALL_BODY:
        body = await request.body()
        return await run_in_threadpool(lambda: write_all(store.writer(path), [body]))
    writer = await run_in_threadpool(store.writer, path)
    return await stream_into(writer, request)


async def _body_pieces(request: Request) -> AsyncIterator[bytes]:
    """The request body in pieces of about ``UPLOAD_BUFFER`` bytes: few thread hops per body,
    and memory bounded by one piece."""
    pieces: list[bytes] = []
    pending = 0
    async for chunk in request.stream():
        pieces.append(chunk)
        pending += len(chunk)
        if pending >= UPLOAD_BUFFER:
            yield b"".join(pieces)
            pieces.clear()
            pending = 0
    if pieces:
        yield b"".join(pieces)


async def stream_into(writer: ArtifactWriter, request: Request) -> int:
    """Feed the request body to a store writer in pieces of about 4 MiB, then commit it."""
    try:
        async for piece in _body_pieces(request):
            await run_in_threadpool(writer.write, piece)
        size: int = await run_in_threadpool(writer.commit)
    except BaseException:
        await run_in_threadpool(writer.abort)
        raise
    return size


class _Sink:
    """A write-only file object that hands what zipfile writes to the response stream."""

    def __init__(self) -> None:
        self.pending = bytearray()
        self.position = 0

    def write(self, data: bytes) -> int:
        self.pending += data
        self.position += len(data)
        return len(data)

    def tell(self) -> int:
        return self.position

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = bytes(self.pending)
        self.pending.clear()
        return data


def _zip_chunks(store: ArtifactStore, folder: str) -> Iterator[bytes]:
    sink = _Sink()
    with zipfile.ZipFile(sink, mode="w", compression=zipfile.ZIP_STORED) as archive:  # type: ignore[call-overload]
        for item in store.walk(folder):
            entry = zipfile.ZipInfo(item.path, date_time=time.localtime()[:6])
            entry.file_size = item.size or 0
            entry.compress_type = zipfile.ZIP_STORED
            full = posixpath.join(folder, item.path) if folder else item.path
            with archive.open(entry, mode="w", force_zip64=(item.size or 0) > 2**31) as member:
                for data in store.read(full):
                    member.write(data)
                    if len(sink.pending) >= DOWNLOAD_CHUNK:
                        yield sink.take()
            # small members accumulate: one response chunk carries many of them
            if len(sink.pending) >= DOWNLOAD_CHUNK:
                yield sink.take()
    yield sink.take()


async def archive_response(store: ArtifactStore, folder: str, name: str) -> Response:
    """A folder (and everything below it) as a zip archive, streamed as it is built."""
    info = await run_in_threadpool(store.stat, folder)
    if info is None:
        raise NotFound(f"No artifact folder at {folder!r}")
    if not info.is_dir:
        raise InvalidParameter(f"{folder!r} is a file: download it directly.")
    headers = {**SAFE_DOWNLOAD_HEADERS, "Content-Disposition": _disposition(f"{name}.zip")}
    return StreamingResponse(
        _async(iterate_in_threadpool(_zip_chunks(store, folder))),
        media_type="application/zip",
        headers=headers,
    )


async def _async(chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    async for data in chunks:
        if data:
            yield data


def _extract_spooled(store: ArtifactStore, folder: str, spool: IO[bytes]) -> Extracted:
    try:
        return extract_into(store, folder, spool)
    finally:
        spool.close()


async def receive_archive(store: ArtifactStore, folder: str, request: Request) -> Extracted:
    """Spool a tar archive (plain or gzip) from the request body, then unpack it into ``folder``.

    The body goes to a temporary file as it arrives (in memory up to 1 MiB, then on disk), in
    pieces of about 4 MiB; the archive is checked whole and unpacked in a worker thread.
    """
    spool: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=SMALL_BODY)  # noqa: SIM115
    try:
        async for piece in _body_pieces(request):
            await run_in_threadpool(spool.write, piece)
    except BaseException:
        spool.close()
        raise
    return await run_in_threadpool(_extract_spooled, store, folder, spool)
