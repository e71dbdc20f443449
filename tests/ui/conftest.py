"""The UI tests: one seeded live server and one headless Chromium, shared by the whole module set.

All UI tests run in one xdist group (one worker) so the 10,000-run seed is written once. The
browser is Debian's ``/usr/bin/chromium`` driven by Playwright (no browser download); without
it the tests are skipped with a message, except under CI (``CI=true``), where that fails.

``page`` is a fresh browser page that records console errors and failed requests; a test fails
if any happened (``expect_console_errors`` lets a test declare the ones it provokes).
``screenshot(page, name)`` saves ``docs/screenshots/<name>.png``.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from shipyard.store.migrate import upgrade

from .seed import Seeded, seed

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"
CHROMIUM = os.environ.get("SHIPYARD_TEST_CHROMIUM", "/usr/bin/chromium")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every UI test in one xdist group: one seeded server, one browser."""
    for item in items:
        if "tests/ui/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.xdist_group("ui"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LiveServer:
    """A ``shipyard server`` process on seeded data."""

    def __init__(self, url: str, data: Seeded, artifacts: Path) -> None:
        self.url = url
        self.data = data
        self.artifacts = artifacts
        self.database = ""
        self.folder = artifacts.parent

    def api(self, method: str, path: str, **kwargs: Any) -> Any:
        """A JSON call to the server (``path`` starts with /api/...)."""
        response = httpx.request(method, f"{self.url}{path}", timeout=60, **kwargs)
        response.raise_for_status()
        return response.json() if response.content else {}


def start_server(
    folder: Path, database: str, artifacts: Path, *extra: str
) -> tuple[subprocess.Popen[bytes], int]:
    """A ``shipyard server`` process on ``database``, answering /health; its port."""
    port = _free_port()
    log_path = folder / f"server-{port}.log"
    command = [
        str(Path(sys.executable).parent / "shipyard"), "server", "--host", "127.0.0.1",
        "--port", str(port), "--backend-store-uri", database,
        "--artifacts-destination", str(artifacts), "--log-level", "warning", *extra,
    ]  # fmt: skip
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the UI test server died: {log_path.read_text()[-3000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).text == "OK":
                return process, port
        except httpx.TransportError:
            time.sleep(0.2)
    stop_server(process)
    pytest.fail("the UI test server did not start within 60 s")


def stop_server(process: subprocess.Popen[bytes]) -> None:
    """Stop a server started by ``start_server``."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server on a database seeded with realistic data (see seed.py)."""
    folder = tmp_path_factory.mktemp("ui-server")
    database = f"sqlite:///{folder / 'shipyard.db'}"
    artifacts = folder / "artifacts"
    upgrade(database)
    data = seed(database, artifacts)
    process, port = start_server(folder, database, artifacts)
    server = LiveServer(f"http://127.0.0.1:{port}", data, artifacts)
    server.database = database
    server.folder = folder
    try:
        yield server
    finally:
        stop_server(process)


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    """Headless Chromium (Debian's), driven by Playwright.

    Package-scoped, not session-scoped: Playwright's sync API keeps its event loop marked as running
    on this thread for as long as it is open, so an xdist worker that goes on to async tests after
    the UI group would find "another loop running" in every one of them.
    """
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        message = f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


class ConsoleWatch:
    """Console errors and failed requests of a page."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.expected: list[str] = []

    def allow(self, fragment: str) -> None:
        """Declare an error the test provokes on purpose."""
        self.expected.append(fragment)

    def unexpected(self) -> list[str]:
        return [e for e in self.errors if not any(f in e for f in self.expected)]


@pytest.fixture
def console() -> ConsoleWatch:
    """What the page logged as errors (checked at the end of the test)."""
    return ConsoleWatch()


@pytest.fixture
def page(browser: Any, live_server: LiveServer, console: ConsoleWatch) -> Iterator[Any]:
    """A fresh page (1440x900, light theme unless the test changes it) on the live server."""
    context = browser.new_context(viewport={"width": 1440, "height": 900}, base_url=live_server.url)
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    tab.on("console", lambda m: console.errors.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda e: console.errors.append(f"page error: {e}"))
    # No page may reach outside this server: every asset is served locally. (Chromium's own
    # PDF viewer is an extension page with built-in resources, not network requests.)
    local = (live_server.url, "blob:", "data:", "about:", "chrome-extension://", "chrome://")
    tab.on(
        "request",
        lambda r: (
            None if r.url.startswith(local) else console.errors.append(f"external request: {r.url}")
        ),
    )
    tab.on(
        "requestfailed",
        lambda r: (
            console.errors.append(f"request failed: {r.url} {r.failure}")
            if r.failure != "net::ERR_ABORTED"
            else None
        ),
    )
    try:
        yield tab
        assert console.unexpected() == [], f"console errors: {console.unexpected()}"
    finally:
        context.close()


def screenshot(page: Any, name: str) -> Path:
    """Save a full-page screenshot as docs/screenshots/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    target = SCREENSHOTS / f"{name}.png"
    # from the top, so a sticky header is where a person sees it, not halfway down the image
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(target), full_page=True)
    return target
