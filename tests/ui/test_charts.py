"""Metric charts in a real browser: sections, axes, smoothing, outliers, budget, zoom, exports.

Charts are read the way a person reads them, plus Plotly's own figure (``gd.data``,
``gd.layout``) for what the eye cannot measure; chart payloads are counted on the wire.
"""

from __future__ import annotations

import csv
import io
import itertools
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from .conftest import LiveServer, screenshot

BULK = "get-history-bulk-interval"
SPIKE_STEP = 61_234


def compare_url(run_ids: list[str], **params: str) -> str:
    extra = "".join(f"&{key}={value}" for key, value in params.items())
    return f"/compare?runs={','.join(run_ids)}{extra}"


def open_charts(page: Any, run_ids: list[str], **params: str) -> None:
    """The compare page's Charts view, with every chart drawn."""
    page.goto(compare_url(run_ids, **params))
    page.wait_for_selector(".metric-charts[data-ready=true]")
    page.wait_for_function(
        "[...document.querySelectorAll('.chart-card')].every(c => c.dataset.state === 'ready')"
    )


def figure(page: Any, metric: str, part: str = "data") -> Any:
    """Plotly's data or layout of a metric's chart."""
    return page.evaluate(
        f"key => document.querySelector(`[data-metric='${{key}}'] .chart-plot`).{part}", metric
    )


def wait_chart(page: Any, metric: str, condition: str) -> None:
    """Wait until a JS condition on the chart's graph div `gd` holds."""
    page.wait_for_function(
        f"key => {{ const gd = document.querySelector(`[data-metric='${{key}}'] .chart-plot`);"
        f" return gd && gd.data && ({condition}); }}",
        arg=metric,
    )


def wiggle(values: list[float]) -> float:
    """How far a line travels up and down."""
    return sum(abs(a - b) for a, b in itertools.pairwise(values))


def points_by_run(responses: list[Any]) -> list[dict[str, list[dict[str, Any]]]]:
    """Each bulk-interval response's points, grouped by run."""
    out = []
    for response in responses:
        grouped: dict[str, list[dict[str, Any]]] = {}
        for point in response.json()["metrics"]:
            grouped.setdefault(point["run_id"], []).append(point)
        out.append(grouped)
    return out


@pytest.fixture
def vision_runs(live_server: LiveServer) -> list[str]:
    return live_server.data.child_runs


@pytest.fixture
def mixed_runs(live_server: LiveServer) -> list[str]:
    """Runs of two experiments: the vision children and the long pre-training run."""
    return [*live_server.data.child_runs, live_server.data.long_run]


def test_charts_are_grouped_in_sections_by_metric_prefix(
    page: Any, live_server: LiveServer, mixed_runs: list[str]
) -> None:
    outside: list[str] = []
    page.on(
        "request",
        lambda r: outside.append(r.url) if not r.url.startswith(live_server.url) else None,
    )
    open_charts(page, mixed_runs)
    sections = page.locator(".chart-section")
    titles = sections.locator(".section-toggle").all_inner_texts()
    assert [" ".join(title.split()) for title in titles] == [
        "Model metrics 4",
        "System metrics 2",
    ]
    model = page.locator(".chart-section[data-section='']")
    assert model.locator(".chart-title").all_inner_texts() == [
        "accuracy",
        "loss",
        "train_loss",
        "val_loss",
    ]
    system = page.locator(".chart-section[data-section='system']")
    assert system.locator(".chart-card").count() == 2
    grouped = page.evaluate(
        """async () => {
            const { groupBySection } = await import('/static/js/components/chart_sections.js');
            return groupBySection(['eval/auc', 'loss', 'system/cpu', 'eval/f1', 'a/b/c', 'acc']);
        }"""
    )
    assert [(g["title"], g["keys"]) for g in grouped] == [
        ("Model metrics", ["acc", "loss"]),
        ("a", ["a/b/c"]),
        ("eval", ["eval/auc", "eval/f1"]),
        ("System metrics", ["system/cpu"]),
    ]
    page.locator(".section-toggle", has_text="System metrics").click()
    assert page.locator("#charts-system").is_hidden()
    page.locator(".section-toggle", has_text="System metrics").click()
    screenshot(page, "compare-charts")
    assert outside == [], "the charts reached outside the server"


def test_a_metric_logged_once_per_run_is_drawn_as_bars(page: Any, vision_runs: list[str]) -> None:
    open_charts(page, vision_runs)
    bars = figure(page, "accuracy")
    assert [trace["type"] for trace in bars] == ["bar"]
    assert len(bars[0]["x"]) == 12 and "adam-lr0.1" in bars[0]["x"]


def test_switching_the_x_axis_changes_the_axis_title(page: Any, vision_runs: list[str]) -> None:
    open_charts(page, vision_runs)
    assert figure(page, "loss", "layout")["xaxis"]["title"]["text"] == "Step"
    page.get_by_label("X axis").select_option(label="Wall time")
    wait_chart(page, "loss", "gd.layout.xaxis.title.text === 'Wall time'")
    assert figure(page, "loss", "layout")["xaxis"]["type"] == "date"
    assert page.locator("[data-metric=loss] .xtitle").text_content() == "Wall time"
    page.get_by_label("X axis").select_option(label="Relative time")
    wait_chart(page, "loss", "gd.layout.xaxis.title.text.startsWith('Relative time')")
    layout = figure(page, "loss", "layout")
    assert layout["xaxis"]["title"]["text"] == "Relative time (s)"
    relative = figure(page, "loss")[0]["x"]
    assert relative[0] >= 0 and relative[-1] == pytest.approx(relative[0] + 99)
    assert "xaxis=relative" in page.url


def test_log_scale_and_outlier_clipping_change_the_y_axis(
    page: Any, vision_runs: list[str]
) -> None:
    open_charts(page, vision_runs)
    page.get_by_label("Y axis").select_option(label="Log")
    wait_chart(page, "loss", "gd.layout.yaxis.type === 'log'")
    assert page.locator("[data-metric=loss] .ytick").count() > 0
    page.get_by_label("Y axis").select_option(label="Linear")
    wait_chart(page, "loss", "gd.layout.yaxis.type === 'linear'")
    full = figure(page, "loss")
    values = [v for trace in full for v in trace["y"]]
    page.get_by_label("Ignore outliers").check()
    wait_chart(page, "loss", "gd.layout.yaxis.autorange === false")
    low, high = figure(page, "loss", "layout")["yaxis"]["range"]
    assert low < min(values) + 0.05 and high < max(values), "the highest values are cut off"
    assert "outliers=true" in page.url


def test_smoothing_changes_the_plotted_line(page: Any, vision_runs: list[str]) -> None:
    open_charts(page, vision_runs[:2])
    raw = figure(page, "loss")
    assert {trace["meta"]["role"] for trace in raw} == {"raw"}
    page.get_by_label("Smoothing").fill("0.9")
    wait_chart(page, "loss", "gd.data.some(t => t.meta.role === 'smoothed')")
    traces = figure(page, "loss")
    smoothed = [t for t in traces if t["meta"]["role"] == "smoothed"]
    faded = [t for t in traces if t["meta"]["role"] == "raw"]
    assert len(smoothed) == len(faded) == 2
    assert faded[0]["y"] == raw[0]["y"], "the raw line stays, faded"
    assert smoothed[0]["y"] != raw[0]["y"]
    # an EMA flattens the sine wiggles: the smoothed line moves less from point to point
    assert wiggle(smoothed[0]["y"]) < wiggle(raw[0]["y"])
    assert page.locator(".chart-toolbar output").inner_text() == "0.90"
    assert "smoothing=0.9" in page.url


def test_the_long_metric_chart_gets_at_most_the_point_budget_and_shows_the_spike(
    page: Any, live_server: LiveServer
) -> None:
    responses: list[Any] = []
    page.on("response", lambda r: responses.append(r) if BULK in r.url else None)
    open_charts(page, [live_server.data.long_run])
    [first] = points_by_run(responses)
    [points] = first.values()
    assert parse_qs(urlparse(responses[0].url).query)["max_results"] == ["1000"]
    assert 900 <= len(points) <= 1000
    spike = [p for p in points if p["step"] == SPIKE_STEP]
    assert spike and spike[0]["value"] > 2.5, "min/max buckets keep the spike"
    plotted = figure(page, "train_loss")[0]
    assert max(plotted["y"]) > 2.5 and SPIKE_STEP in plotted["x"]

    page.get_by_label("Points per run").select_option("200")
    wait_chart(page, "train_loss", "gd.data[0].x.length <= 200")
    [points] = points_by_run(responses[1:])[-1].values()
    assert len(points) <= 200 and any(p["step"] == SPIKE_STEP for p in points)
    assert "points=200" in page.url


def test_zooming_into_a_step_range_fetches_finer_points_of_that_range(
    page: Any, live_server: LiveServer
) -> None:
    responses: list[Any] = []
    page.on("response", lambda r: responses.append(r) if BULK in r.url else None)
    open_charts(page, [live_server.data.long_run])
    coarse = len(figure(page, "train_loss")[0]["x"])
    page.evaluate(
        """() => Plotly.relayout(document.querySelector("[data-metric='train_loss'] .chart-plot"),
                                 {'xaxis.range': [61000, 61500]})"""
    )
    page.wait_for_selector("[data-metric=train_loss][data-window='61000-61500'][data-state=ready]")
    zoomed = responses[-1]
    query = parse_qs(urlparse(zoomed.url).query)
    assert query["start_step"] == ["61000"] and query["end_step"] == ["61500"]
    [points] = points_by_run([zoomed])[0].values()
    assert len(points) == 501, "every step of the range: finer than the whole-history sample"
    assert all(61_000 <= p["step"] <= 61_500 for p in points)
    x = figure(page, "train_loss")[0]["x"]
    assert x[0] == 61_000 and x[-1] == 61_500 and SPIKE_STEP in x
    assert figure(page, "train_loss", "layout")["xaxis"]["range"] == [61000, 61500]
    assert coarse <= 1000
    assert page.locator("[data-metric=train_loss] .chart-status").inner_text() == (
        "steps 61000\u201361500"
    )
    screenshot(page, "long-metric-zoom")

    # a double click (Plotly's "autoscale") goes back to the whole history
    page.evaluate(
        """() => Plotly.relayout(document.querySelector("[data-metric='train_loss'] .chart-plot"),
                                 {'xaxis.autorange': true, 'yaxis.autorange': true})"""
    )
    page.wait_for_selector("[data-metric=train_loss][data-window=''][data-state=ready]")
    assert len(figure(page, "train_loss")[0]["x"]) == coarse


def test_dragging_a_zoom_box_refetches_the_visible_steps(
    page: Any, live_server: LiveServer
) -> None:
    responses: list[Any] = []
    page.on("response", lambda r: responses.append(r) if BULK in r.url else None)
    open_charts(page, [live_server.data.long_run])
    box = page.locator("[data-metric=train_loss] .nsewdrag").bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * 0.55, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.6, y + 2, steps=5)
    page.mouse.up()
    page.wait_for_selector("[data-metric=train_loss][data-state=ready]:not([data-window=''])")
    start, end = map(int, page.get_attribute("[data-metric=train_loss]", "data-window").split("-"))
    assert 50_000 < start < end < 65_000
    query = parse_qs(urlparse(responses[-1].url).query)
    assert query["start_step"] == [str(start)] and query["end_step"] == [str(end)]
    [points] = points_by_run(responses[-1:])[0].values()
    assert all(start <= p["step"] <= end for p in points)


def test_a_typed_step_range_zooms_every_chart(page: Any, live_server: LiveServer) -> None:
    responses: list[Any] = []
    page.on("response", lambda r: responses.append(r) if BULK in r.url else None)
    open_charts(page, [live_server.data.long_run])
    page.get_by_label("Steps from").fill("61000")
    page.get_by_label("Steps to").fill("61500")
    page.get_by_label("Steps to").press("Enter")
    page.wait_for_selector("[data-metric=train_loss][data-window='61000-61500'][data-state=ready]")
    [points] = points_by_run(responses[-1:])[0].values()
    assert all(61_000 <= p["step"] <= 61_500 for p in points)
    assert parse_qs(urlparse(page.url).query)["steps"] == ["[61000,61500]"]
    page.get_by_label("Steps from").fill("9")
    page.get_by_label("Steps to").fill("3")
    page.locator(".step-range button[type=submit]").click()
    assert "first not greater" in page.locator(".step-error").inner_text()
    page.get_by_role("button", name="All steps").click()
    page.wait_for_selector("[data-metric=train_loss][data-window=''][data-state=ready]")


def test_choosing_metrics_changes_the_charts_and_is_kept_in_the_link(
    page: Any, vision_runs: list[str]
) -> None:
    open_charts(page, vision_runs)
    page.locator(".metric-picker summary").click()
    page.get_by_role("checkbox", name="val_loss").uncheck()
    page.get_by_role("checkbox", name="system/gpu_memory_usage_megabytes").uncheck()
    assert page.locator(".metric-picker summary").inner_text() == "Metrics (3 of 5)"
    assert page.locator(".chart-title").all_inner_texts() == [
        "accuracy",
        "loss",
        "system/cpu_utilization_percentage",
    ]
    page.get_by_placeholder("Filter metrics").fill("system")
    page.get_by_role("button", name="None").click()
    assert page.locator(".chart-section").count() == 1
    link = page.url
    page.goto(link)
    page.wait_for_selector(".metric-charts[data-ready=true]")
    assert page.locator(".chart-title").all_inner_texts() == ["accuracy", "loss"]


def test_charts_export_png_and_csv(page: Any, vision_runs: list[str]) -> None:
    open_charts(page, vision_runs)
    card = page.locator("[data-metric=loss]")
    with page.expect_download() as png:
        card.get_by_role("button", name="PNG", exact=True).click()
    assert png.value.suggested_filename == "loss.png"
    assert Path(png.value.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with page.expect_download() as data:
        card.get_by_role("button", name="CSV", exact=True).click()
    assert data.value.suggested_filename == "loss.csv"
    rows = list(csv.reader(io.StringIO(Path(data.value.path()).read_text())))
    assert rows[0] == ["run_id", "run_name", "metric", "step", "timestamp", "value"]
    assert len(rows) == 1 + 12 * 100
    assert {row[0] for row in rows[1:]} == set(vision_runs)


def test_charts_follow_the_dark_theme(page: Any, mixed_runs: list[str]) -> None:
    open_charts(page, mixed_runs)
    light = figure(page, "loss", "layout")["paper_bgcolor"]
    page.locator("#theme-toggle").click()  # system -> light
    page.locator("#theme-toggle").click()  # light -> dark
    wait_chart(page, "loss", f"gd.layout.paper_bgcolor !== '{light}'")
    layout = figure(page, "loss", "layout")
    assert layout["paper_bgcolor"] == "#0d1117" and layout["font"]["color"] == "#e6edf3"
    screenshot(page, "compare-charts-dark")


def test_mount_metric_charts_finds_the_metrics_of_runs_it_is_given(
    page: Any, live_server: LiveServer
) -> None:
    """The run page's Charts tab: mountMetricCharts with runs only, no keys."""
    run = live_server.data.child_runs[0]
    page.goto(compare_url([]))
    page.wait_for_selector("#compare .empty")
    titles = page.evaluate(
        """async (runId) => {
            const { mountMetricCharts } = await import('/static/js/components/charts.js');
            const box = document.createElement('div');
            document.querySelector('main').append(box);
            const charts = mountMetricCharts(box, { runs: [{ run_id: runId, name: 'one' }] });
            await charts.ready;
            const titles = [...box.querySelectorAll('.chart-title')].map(t => t.textContent);
            const legend = box.querySelectorAll('.run-legend').length;
            charts.destroy();
            return { titles, legend, left: box.children.length };
        }""",
        run,
    )
    assert titles == {
        "titles": [
            "accuracy",
            "loss",
            "val_loss",
            "system/cpu_utilization_percentage",
            "system/gpu_memory_usage_megabytes",
        ],
        "legend": 0,
        "left": 0,
    }


def test_a_failed_fetch_is_explained_in_its_chart(
    page: Any, console: Any, vision_runs: list[str]
) -> None:
    console.allow("status of 400")
    body = '{"error_code": "INVALID_PARAMETER_VALUE", "message": "No such metric range."}'
    page.route(
        "**/get-history-bulk-interval*",
        lambda route: route.fulfill(status=400, content_type="application/json", body=body),
    )
    page.goto(compare_url(vision_runs[:1]))
    page.wait_for_selector("[data-metric=loss][data-state=error]")
    message = page.locator("[data-metric=loss] [role=alert]").inner_text()
    assert message == "No such metric range. (INVALID_PARAMETER_VALUE)"
