"""The UI behind a reverse proxy that serves Shipyard under a sub-path (``--root-path``).

The proxy is a real one on loopback: it answers only under ``/shipyard/``, strips that prefix
and forwards to a second server process on the seeded database, the way nginx's
``location /shipyard/ { proxy_pass http://shipyard:5000/; }`` does. A page that asked for
anything outside the prefix would get a 404 from the proxy and fail the test.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from playwright.sync_api import expect

from .conftest import LiveServer, _free_port, start_server, stop_server

PREFIX = "/shipyard"


class StrippingProxy:
    """An ASGI reverse proxy: ``PREFIX/<path>`` goes to ``upstream/<path>``, the rest is 404."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.client = httpx.AsyncClient(base_url=upstream, timeout=60)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        path: str = scope["path"]
        if not path.startswith(f"{PREFIX}/"):
            await send({"type": "http.response.start", "status": 404, "headers": []})
            await send({"type": "http.response.body", "body": b"outside the prefix"})
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = [(k, v) for k, v in scope["headers"] if k.lower() != b"host"]
        request = self.client.build_request(
            scope["method"],
            path[len(PREFIX) :],
            params=scope["query_string"].decode(),
            headers=headers,
            content=body,
        )
        response = await self.client.send(request, stream=True)
        try:
            await send(
                {
                    "type": "http.response.start",
                    "status": response.status_code,
                    "headers": list(response.headers.raw),
                }
            )
            async for chunk in response.aiter_raw():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        finally:
            await response.aclose()


@pytest.fixture(scope="module")
def proxied(live_server: LiveServer) -> Iterator[str]:
    """The URL of the proxy, in front of a server started with ``--root-path /shipyard``."""
    process, port = start_server(
        live_server.folder, live_server.database, live_server.artifacts, "--root-path", PREFIX
    )
    proxy_port = _free_port()
    config = uvicorn.Config(
        StrippingProxy(f"http://127.0.0.1:{port}"),
        host="127.0.0.1",
        port=proxy_port,
        log_level="warning",
        lifespan="off",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{proxy_port}{PREFIX}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        stop_server(process)


def test_every_page_works_under_the_sub_path(
    browser: Any, live_server: LiveServer, proxied: str
) -> None:
    data = live_server.data
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    problems: list[str] = []
    requests: list[str] = []
    try:
        tab = context.new_page()
        tab.set_default_timeout(15_000)
        tab.on("request", lambda r: requests.append(r.url))
        tab.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        tab.on("pageerror", lambda e: problems.append(str(e)))

        tab.goto(f"{proxied}/")
        tab.get_by_role("link", name="image-classification").click()
        tab.wait_for_url(f"{proxied}/experiments/{data.vision_experiment}")
        tab.wait_for_function("document.getElementById('run-count').textContent === '15 runs'")

        tab.goto(f"{proxied}/runs/{data.artifact_run}")
        tab.get_by_role("tab", name="Artifacts").click()
        tab.locator('.ab-tree [role="treeitem"][data-path="plots"] > .ab-row').click()
        tab.locator('.ab-tree [role="treeitem"][data-path="plots/roc.png"] > .ab-row').click()
        tab.locator(".ab-preview img.ab-image").wait_for()

        tab.goto(f"{proxied}/compare?runs={data.long_run}")
        tab.wait_for_selector(".metric-charts[data-ready=true]")
        tab.wait_for_selector("[data-metric=train_loss][data-state=ready]")

        tab.goto(f"{proxied}/models")
        expect(tab.get_by_role("link", name=data.model_name)).to_be_visible()
        tab.get_by_role("link", name=data.model_name).click()
        tab.wait_for_url(f"{proxied}/models/{data.model_name}")
    finally:
        context.close()

    assert problems == []
    outside = [u for u in requests if not u.startswith((f"{proxied}/", "blob:", "data:"))]
    assert outside == []
    assert any("/ajax-api/" in u or "/api/2.0/" in u for u in requests)
