"""Headless Chromium (Debian's, driven by Playwright) timing pages of both UIs.

Every measurement opens a fresh browser context (empty cache, no local storage), so each load
fetches the page, its scripts and its data as a first visit does. An init script, installed
before navigation, checks a condition on every animation frame from the document's start and
records ``performance.now()`` when it first holds: that is milliseconds since navigation start,
the same clock for both UIs, and it does not depend on when Playwright polls.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [  # as tests/ui/conftest.py
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
VIEWPORT = {"width": 1440, "height": 900}
BULK = "get-history-bulk-interval"

# Checks `window.__uibenchCondition()` every frame; records the first time it is true.
WATCH_SCRIPT = """
(() => {
  const started = performance.now();
  const tick = () => {
    let ok = false;
    try { ok = !!(window.__uibenchCondition && window.__uibenchCondition()); } catch (e) {}
    if (ok) { window.__uibenchAt = performance.now(); return; }
    requestAnimationFrame(tick);
  };
  window.__uibenchStarted = started;
  requestAnimationFrame(tick);
})();
"""


# The API requests that had started by the time the condition held, with when they started
# and ended (ms since navigation start): where a page's time to first render goes.
API_TIMINGS_JS = """
(until) => performance.getEntriesByType('resource')
  .filter(e => e.name.includes('api/') && e.startTime <= until)
  .map(e => ({
    path: new URL(e.name).pathname.replace(/^.*?api\\/[0-9.]+\\/(mlflow|shipyard)\\//, ''),
    start_ms: Math.round(e.startTime),
    end_ms: Math.round(e.responseEnd),
    bytes: e.encodedBodySize,
  }))
"""


@dataclass
class BulkResponse:
    """One get-history-bulk-interval response as the browser received it."""

    url: str
    body_bytes: int  # decoded body
    wire_bytes: int  # body bytes on the wire (compressed, if the server compressed it)
    encoding: str
    points_per_run: dict[str, int]

    def max_points(self) -> int:
        return max(self.points_per_run.values(), default=0)


@dataclass
class PageLoad:
    """What one load of a page measured."""

    ms: float  # navigation start to the condition holding
    bulk: list[BulkResponse] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def bulk_wire_bytes(self) -> int:
        return sum(r.wire_bytes for r in self.bulk)

    def bulk_body_bytes(self) -> int:
        return sum(r.body_bytes for r in self.bulk)

    def max_points_per_run(self) -> int:
        return max((r.max_points() for r in self.bulk), default=0)


class Browser:
    """One Chromium process for the whole run."""

    def __init__(self, executable: str = CHROMIUM, timeout_s: float = 180.0) -> None:
        from playwright.sync_api import sync_playwright

        self._manager = sync_playwright()
        self._playwright = self._manager.start()
        self._browser = self._playwright.chromium.launch(
            executable_path=executable, args=CHROMIUM_ARGS
        )
        self.timeout_ms = timeout_s * 1000
        self.version = self._browser.version

    def close(self) -> None:
        try:
            self._browser.close()
        finally:
            self._manager.__exit__(None, None, None)

    @contextmanager
    def page(self, condition_js: str) -> Iterator[tuple[Any, list[Any]]]:
        """A fresh context and page watching ``condition_js`` (a JS expression); the page and
        the list that collects its bulk-interval responses."""
        context = self._browser.new_context(viewport=VIEWPORT)
        context.add_init_script(f"window.__uibenchCondition = () => ({condition_js});")
        context.add_init_script(WATCH_SCRIPT)
        responses: list[Any] = []
        context.on("response", lambda r: responses.append(r) if BULK in r.url else None)
        page = context.new_page()
        page.set_default_timeout(self.timeout_ms)
        try:
            yield page, responses
        finally:
            context.close()

    def load(self, url: str, condition_js: str, after: Any = None) -> PageLoad:
        """Open ``url`` fresh; time until ``condition_js`` holds. ``after(page)`` may measure
        more on the loaded page and returns a dict for ``PageLoad.extra``; bulk-interval
        responses that arrive during ``after`` are kept apart, in ``extra["later_bulk"]``."""
        with self.page(condition_js) as (page, responses):
            page.goto(url, wait_until="commit")
            page.wait_for_function("window.__uibenchAt !== undefined", polling=100)
            ms = float(page.evaluate("window.__uibenchAt"))
            page.wait_for_load_state("load")
            initial = list(responses)
            api_calls = page.evaluate(API_TIMINGS_JS, ms)
            extra = after(page) if after is not None else {}
            later = [bulk_response(r) for r in responses[len(initial) :]]
            if later:
                extra["later_bulk"] = [asdict(r) for r in later]
                extra["later_max_points"] = max(r.max_points() for r in later)
                extra["later_wire_bytes"] = sum(r.wire_bytes for r in later)
            extra["api_calls"] = api_calls
            return PageLoad(ms, [bulk_response(r) for r in initial], extra)


def bulk_response(response: Any) -> BulkResponse:
    body = response.body()
    sizes = response.request.sizes()
    per_run: dict[str, int] = {}
    try:
        for point in json.loads(body).get("metrics", []):
            run_id = str(point.get("run_id", ""))
            per_run[run_id] = per_run.get(run_id, 0) + 1
    except ValueError:
        pass
    return BulkResponse(
        url=response.url,
        body_bytes=len(body),
        wire_bytes=int(sizes.get("responseBodySize") or len(body)),
        encoding=response.headers.get("content-encoding", ""),
        points_per_run=per_run,
    )


# -- conditions: what "rendered" means on each UI --------------------------------------------------


def shipyard_table_ready(first_run: str) -> str:
    """Shipyard's virtualised runs table shows its first row, the newest run."""
    return (
        "(() => { const link = document.querySelector('.rt-window .rt-row .rt-link');"
        f" return !!link && link.textContent.trim() === {json.dumps(first_run)}"
        " && link.getBoundingClientRect().height > 0; })()"
    )


def mlflow_table_ready(first_run: str) -> str:
    """MLflow's ag-grid runs table shows a row naming the newest run."""
    return (
        "[...document.querySelectorAll('.ag-row')].some(row =>"
        f" row.textContent.includes({json.dumps(first_run)})"
        " && row.getBoundingClientRect().height > 0)"
    )


def shipyard_charts_ready() -> str:
    """Every chart card on Shipyard's compare page is drawn."""
    return (
        "(() => { const cards = [...document.querySelectorAll('.chart-card')];"
        " return !!document.querySelector('.metric-charts[data-ready=true]') && cards.length > 0"
        " && cards.every(c => c.dataset.state === 'ready'); })()"
    )


def mlflow_charts_ready(runs: int) -> str:
    """A Plotly chart on MLflow's chart view has a non-empty line for each run."""
    return (
        "[...document.querySelectorAll('.js-plotly-plot')].some(gd => Array.isArray(gd.data)"
        f" && gd.data.filter(d => d.x && d.x.length > 0).length >= {runs})"
    )


# -- measurements on a loaded page ---------------------------------------------------------------

SCROLL_JS = """
async (selector) => {
  const grid = document.querySelector(selector);
  if (!grid) return null;
  const frame = () => new Promise(r => requestAnimationFrame(() => r()));
  const times = [];
  for (const f of [1 / 3, 1 / 2, 1]) {
    const start = performance.now();
    grid.scrollTop = grid.scrollHeight * f;
    await frame(); await frame();
    times.push(performance.now() - start);
  }
  return Math.max(...times);
}
"""


def scroll_frame_ms(page: Any, selector: str) -> float | None:
    """The slowest of three jumps (to 1/3, 1/2 and the bottom of the list) until painted."""
    value = page.evaluate(SCROLL_JS, selector)
    return None if value is None else float(value)


ZOOM_JS = """
async ([metric, lo, hi]) => {
  const card = document.querySelector(`[data-metric='${metric}']`);
  const plot = card.querySelector('.chart-plot');
  const want = `${lo}-${hi}`;
  const start = performance.now();
  await Plotly.relayout(plot, {'xaxis.range': [lo, hi]});
  const frame = () => new Promise(r => requestAnimationFrame(() => r()));
  while (!(card.dataset.window === want && card.dataset.state === 'ready')) await frame();
  return performance.now() - start;
}
"""


def shipyard_zoom_ms(page: Any, metric: str, lo: int, hi: int) -> float:
    """Zoom Shipyard's chart of ``metric`` to steps lo..hi; ms until the finer data is drawn."""
    return float(page.evaluate(ZOOM_JS, [metric, lo, hi]))
