"""ASGI middleware that refuses request bodies over a size limit, before they are read.

A declared Content-Length over the limit is refused at once with 413; a chunked body is counted
as it streams and cut off when it passes the limit. Some routes have their own limit (MLflow
holds log-batch to 1 MB); artifact uploads, which are streamed to storage, have none.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shipyard.domain.errors import LimitExceeded


class BodyTooLarge(LimitExceeded):
    """A streamed request body passed its limit (answered with 413)."""


def _too_large(limit: int) -> bytes:
    return orjson.dumps(
        {
            "error_code": "INVALID_PARAMETER_VALUE",
            "message": f"The request body is larger than this endpoint accepts ({limit} bytes).",
        }
    )


class BodyLimit:
    """Limit request bodies to ``default_limit`` bytes, or per route by ``rules``.

    ``rules`` pairs a regular expression (searched in the path) with a limit, None meaning
    unlimited; the first match wins.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        default_limit: int,
        rules: Sequence[tuple[str, int | None]] = (),
    ) -> None:
        self.app = app
        self.default_limit = default_limit
        self.rules = [(re.compile(pattern), limit) for pattern, limit in rules]

    def limit_for(self, path: str) -> int | None:
        """The body limit of the route at ``path`` (None: unlimited)."""
        for pattern, limit in self.rules:
            if pattern.search(path):
                return limit
        return self.default_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        if limit is None:
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared > limit:
                    await self._refuse(send, limit)
                    return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(
                        f"The request body is larger than this endpoint accepts ({limit} bytes)."
                    )
            return message

        await self.app(scope, counted, send)

    @staticmethod
    async def _refuse(send: Send, limit: int) -> None:
        body = _too_large(limit)
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
