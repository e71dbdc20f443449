"""ASGI middleware that refuses request bodies over a size limit, before they are read.

A declared Content-Length over the limit is refused at once with 413; a chunked body is counted
as it streams and cut off when it passes the limit. Some routes have their own limit (MLflow
holds log-batch to 1 MB).
"""

from __future__ import annotations

from collections.abc import Mapping

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shipyard.domain.errors import LimitExceeded


def _too_large(limit: int) -> bytes:
    return orjson.dumps(
        {
            "error_code": "INVALID_PARAMETER_VALUE",
            "message": f"The request body is larger than this endpoint accepts ({limit} bytes).",
        }
    )


class BodyLimit:
    """Limit request bodies to ``default_limit`` bytes, or to ``limits[path suffix]``."""

    def __init__(
        self, app: ASGIApp, *, default_limit: int, limits: Mapping[str, int] | None = None
    ) -> None:
        self.app = app
        self.default_limit = default_limit
        self.limits = dict(limits or {})

    def limit_for(self, path: str) -> int:
        """The body limit of the route at ``path``."""
        for suffix, limit in self.limits.items():
            if path.endswith(suffix):
                return limit
        return self.default_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
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
                    raise LimitExceeded(
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
