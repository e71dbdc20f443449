"""ASGI middleware that gzips large JSON answers for clients that accept gzip.

A chart of ten runs, a 1,000-run search page or the runs table of a big experiment are
megabytes of JSON that compress three- to eightfold; over a VPN or an office link that is most of
the wait. Small answers (every single-call route) are sent as they are: compressing them would
only add latency. Artifact downloads are never touched, streamed or whole, so their bytes,
Content-Length and Range handling stay exact. Compression runs on a worker thread (zlib
releases the GIL), so a large answer does not hold up the event loop.
"""

from __future__ import annotations

import gzip

import anyio.to_thread
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

DEFAULT_MINIMUM_BYTES = 64 * 1024
# zlib's fastest level: search pages shrink 5-8x at about 200 MB/s on one core, chart points
# (random-looking floats) about 3x at 30 MB/s.
COMPRESS_LEVEL = 1


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether an Accept-Encoding header value allows gzip (``gzip;q=0`` refuses it)."""
    for item in accept_encoding.split(","):
        name, _, params = item.partition(";")
        if name.strip().lower() not in ("gzip", "*"):
            continue
        params = params.strip().lower()
        if not params:
            return True
        try:
            return float(params.removeprefix("q=")) > 0
        except ValueError:
            return False
    return False


def _gzip(body: bytes) -> bytes:
    # mtime 0: the same body always compresses to the same bytes.
    return gzip.compress(body, COMPRESS_LEVEL, mtime=0)


def _compressible(start: Message) -> bool:
    """A 200 JSON answer that is not a file: artifact downloads (which offer byte ranges)
    keep their exact bytes and length, even when the file is JSON."""
    headers = Headers(raw=start["headers"])
    media_type = headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return (
        start["status"] == 200
        and media_type == "application/json"
        and "content-encoding" not in headers
        and "accept-ranges" not in headers
    )


class GzipJson:
    """Gzip JSON response bodies of at least ``minimum_bytes`` sent in one piece."""

    def __init__(self, app: ASGIApp, *, minimum_bytes: int = DEFAULT_MINIMUM_BYTES) -> None:
        self.app = app
        self.minimum_bytes = minimum_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not accepts_gzip(
            Headers(scope=scope).get("accept-encoding", "")
        ):
            await self.app(scope, receive, send)
            return
        held: Message | None = None

        async def send_compressed(message: Message) -> None:
            nonlocal held
            if message["type"] == "http.response.start":
                if _compressible(message):
                    held = message  # wait for the body to decide
                    return
                await send(message)
                return
            if held is None or message["type"] != "http.response.body":
                await send(message)
                return
            start, held = held, None
            body: bytes = message.get("body", b"")
            if message.get("more_body", False) or len(body) < self.minimum_bytes:
                await send(start)
                await send(message)
                return
            compressed = await anyio.to_thread.run_sync(_gzip, body)
            headers = MutableHeaders(raw=list(start["headers"]))
            headers["content-encoding"] = "gzip"
            headers["content-length"] = str(len(compressed))
            headers.add_vary_header("Accept-Encoding")
            await send({**start, "headers": headers.raw})
            await send({**message, "body": compressed})

        await self.app(scope, receive, send_compressed)
