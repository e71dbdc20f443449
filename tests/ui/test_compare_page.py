"""The compare page in a real browser: runs of several experiments side by side in parallel
coordinates, scatter, contour and box plots, and a diff table; choices kept in the link."""

from __future__ import annotations

import csv
import io
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

from .conftest import LiveServer, screenshot


def open_view(page: Any, run_ids: list[str], view: str, **params: str) -> None:
    extra = "".join(f"&{key}={value}" for key, value in params.items())
    page.goto(f"/compare?runs={','.join(run_ids)}&view={view}{extra}")
    page.wait_for_selector("#compare[data-ready=true]")


def plot(page: Any, view: str, part: str = "data") -> Any:
    """Plotly's data or layout of a compare view's chart."""
    return page.evaluate(
        f"view => document.querySelector(`#panel-${{view}} .chart-plot`).{part}", view
    )


def wait_plot(page: Any, view: str, condition: str) -> None:
    page.wait_for_function(
        f"view => {{ const gd = document.querySelector(`#panel-${{view}} .chart-plot`);"
        f" return gd && gd.data && ({condition}); }}",
        arg=view,
    )


@pytest.fixture
def vision_runs(live_server: LiveServer) -> list[str]:
    return live_server.data.child_runs


def test_the_header_lists_runs_of_several_experiments(
    page: Any, live_server: LiveServer, vision_runs: list[str]
) -> None:
    open_view(page, [*vision_runs, live_server.data.long_run], "diff")
    assert page.locator("h1").inner_text() == "Compare 13 runs from 2 experiments"
    assert page.locator(".breadcrumbs a").all_inner_texts() == [
        "Experiments",
        "image-classification",
        "long-training",
    ]
    runs = page.locator(".compare-runs li")
    assert runs.count() == 13
    assert "pretrain-1m" in runs.last.inner_text() and "long-training" in runs.last.inner_text()
    href = runs.last.locator("a").get_attribute("href")
    assert href == f"/runs/{live_server.data.long_run}"


def test_parallel_coordinates_draw_the_chosen_params_and_metrics(
    page: Any, vision_runs: list[str]
) -> None:
    open_view(page, vision_runs, "parallel")
    wait_plot(page, "parallel", "gd.data.length === 1")
    [trace] = plot(page, "parallel")
    assert trace["type"] == "parcoords"
    labels = [dimension["label"] for dimension in trace["dimensions"]]
    assert labels == ["batch_size", "lr", "optimizer", "accuracy", "loss", "val_loss"]
    optimizer = trace["dimensions"][2]
    assert optimizer["ticktext"] == ["adam", "adamw", "sgd"]
    assert len(optimizer["values"]) == 12
    assert page.locator("#panel-parallel .parcoords .axis-title").count() == 6
    assert (
        page.locator("#panel-parallel .chart-plot").get_by_text("WebGL is not supported").count()
        == 0
    ), "parcoords needs WebGL, allowed by the page's CSP"
    page.locator("#panel-parallel summary").click()
    page.locator("#panel-parallel").get_by_role("checkbox", name="loss", exact=True).uncheck()
    page.locator("#panel-parallel").get_by_role("checkbox", name="epochs").check()
    page.locator("#panel-parallel summary").click()
    wait_plot(page, "parallel", "gd.data[0].dimensions.length === 6")
    labels = [d["label"] for d in plot(page, "parallel")[0]["dimensions"]]
    assert labels == ["batch_size", "epochs", "lr", "optimizer", "accuracy", "val_loss"]
    page.get_by_label("Color by").select_option(label="accuracy")
    wait_plot(page, "parallel", "gd.data[0].line.colorbar.title.text === 'accuracy'")
    screenshot(page, "compare-parallel")


def test_scatter_plots_any_two_columns(page: Any, vision_runs: list[str]) -> None:
    open_view(page, vision_runs, "scatter")
    page.get_by_label("X", exact=True).select_option(label="lr")
    page.get_by_label("Y", exact=True).select_option(label="val_loss")
    wait_plot(page, "scatter", "gd.layout.xaxis.title.text === 'lr'")
    [trace] = plot(page, "scatter")
    assert len(trace["x"]) == 12 and sorted(set(trace["x"])) == [0.003, 0.01, 0.03, 0.1]
    assert plot(page, "scatter", "layout")["yaxis"]["title"]["text"] == "val_loss"
    page.get_by_label("Log X").check()
    wait_plot(page, "scatter", "gd.layout.xaxis.type === 'log'")
    screenshot(page, "compare-scatter")
    page.get_by_label("X", exact=True).select_option(label="optimizer")
    wait_plot(page, "scatter", "gd.layout.xaxis.type === 'category'")


def test_contour_shows_a_metric_over_two_params(page: Any, vision_runs: list[str]) -> None:
    open_view(
        page, vision_runs, "contour", cx="param:lr", cy="param:optimizer", cz="metric:accuracy"
    )
    wait_plot(page, "contour", "gd.data.length === 2")
    contour, runs = plot(page, "contour")
    assert contour["type"] == "contour" and len(contour["z"]) == 12
    assert max(contour["z"]) == pytest.approx(0.87)
    layout = plot(page, "contour", "layout")
    assert layout["yaxis"]["ticktext"] == ["adam", "adamw", "sgd"]
    assert layout["xaxis"]["title"]["text"] == "lr"
    assert len(runs["x"]) == 12, "the runs are drawn over the surface"
    screenshot(page, "compare-contour")
    page.get_by_label("Y", exact=True).select_option(label="epochs")
    assert (
        "at least two distinct values" in page.locator("#panel-contour .chart-message").inner_text()
    )


def test_box_plots_group_a_metric_by_a_param(page: Any, vision_runs: list[str]) -> None:
    open_view(page, vision_runs, "box")
    page.get_by_label("Group by").select_option(label="optimizer")
    page.get_by_label("Metric").select_option(label="accuracy")
    wait_plot(page, "box", "gd.data.length === 3")
    boxes = plot(page, "box")
    assert [box["name"] for box in boxes] == ["adam", "adamw", "sgd"]
    assert [len(box["y"]) for box in boxes] == [4, 4, 4]
    assert page.locator("#panel-box .boxlayer .trace").count() == 3
    screenshot(page, "compare-box")


def test_the_diff_table_can_show_only_differences(
    page: Any, live_server: LiveServer, vision_runs: list[str]
) -> None:
    open_view(page, vision_runs, "diff")
    table = page.locator(".diff-table")
    assert table.locator("thead th").count() == 13
    keys = table.locator("tbody th.diff-key")
    for row in ("epochs", "model", "lr", "accuracy", "Experiment"):
        assert keys.get_by_text(row, exact=True).count() == 1
    lr = table.locator("tr[data-key=lr]")
    assert "differs" in (lr.get_attribute("class") or "")
    assert lr.locator("td").all_inner_texts()[:4] == ["0.1", "0.03", "0.01", "0.003"]
    page.get_by_label("Only differences").check()
    for row in ("epochs", "model", "Experiment", "User"):
        assert keys.get_by_text(row, exact=True).count() == 0, f"{row} is equal everywhere"
    for row in ("lr", "batch_size", "accuracy", "Status", "quality"):
        assert keys.get_by_text(row, exact=True).count() == 1
    assert "diffonly=true" in page.url
    screenshot(page, "compare-diff")
    with page.expect_download() as download:
        page.locator("#panel-diff").get_by_role("button", name="CSV").click()
    rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text())))
    assert rows[0][:3] == ["section", "name", "adam-lr0.1"]
    assert ["Params", "epochs"] not in [row[:2] for row in rows]


def test_compare_views_export_png_and_csv(page: Any, vision_runs: list[str]) -> None:
    open_view(page, vision_runs, "scatter", sx="param:lr", sy="metric:accuracy")
    wait_plot(page, "scatter", "gd.data.length === 1")
    card = page.locator("#panel-scatter .chart-card")
    with page.expect_download() as png:
        card.get_by_role("button", name="PNG", exact=True).click()
    assert png.value.suggested_filename == "scatter-lr-accuracy.png"
    assert Path(png.value.path()).read_bytes()[:4] == b"\x89PNG"
    with page.expect_download() as data:
        card.get_by_role("button", name="CSV", exact=True).click()
    rows = list(csv.reader(io.StringIO(Path(data.value.path()).read_text())))
    assert rows[0] == ["run_id", "run_name", "lr", "accuracy"] and len(rows) == 13


def test_a_comparison_is_a_shareable_link(
    page: Any, browser: Any, live_server: LiveServer, vision_runs: list[str]
) -> None:
    open_view(page, vision_runs, "diff")
    page.get_by_role("tab", name="Scatter").click()
    page.get_by_label("X", exact=True).select_option(label="batch_size")
    page.get_by_label("Log Y").check()
    link = page.url
    query = parse_qs(urlparse(link).query)
    assert query["view"] == ["scatter"] and query["sx"] == ["param:batch_size"]
    # another person: a fresh browser context, nothing remembered locally
    other = browser.new_context(viewport={"width": 1200, "height": 800}, base_url=live_server.url)
    try:
        tab = other.new_page()
        tab.goto(link)
        tab.wait_for_selector("#compare[data-ready=true]")
        assert tab.get_by_role("tab", name="Scatter").get_attribute("aria-selected") == "true"
        wait_plot(tab, "scatter", "gd.layout.yaxis.type === 'log'")
        assert plot(tab, "scatter", "layout")["xaxis"]["title"]["text"] == "batch_size"
    finally:
        other.close()


def test_views_are_reachable_with_the_keyboard(page: Any, vision_runs: list[str]) -> None:
    open_view(page, vision_runs, "contour")
    page.get_by_role("tab", name="Contour").focus()
    page.keyboard.press("ArrowRight")
    box = page.get_by_role("tab", name="Box plot")
    assert box.get_attribute("aria-selected") == "true"
    assert page.evaluate("document.activeElement.id") == "tab-box"
    assert page.locator("#panel-box").is_visible() and page.locator("#panel-contour").is_hidden()
    page.keyboard.press("ArrowRight")
    assert page.get_by_role("tab", name="Diff").get_attribute("aria-selected") == "true"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == "only-differences"


def test_unknown_runs_are_named_and_left_out(
    page: Any, console: Any, vision_runs: list[str]
) -> None:
    console.allow("404")
    open_view(page, [vision_runs[0], "0" * 32], "diff")
    assert page.locator(".notice").inner_text() == f"Not found, left out: {'0' * 32}"
    assert page.locator(".diff-table thead th").count() == 2


def test_without_runs_the_page_says_how_to_choose_them(page: Any, console: Any) -> None:
    console.allow("404")
    page.goto("/compare")
    assert "No runs to compare" in page.locator("#compare .empty").inner_text()
    page.goto(f"/compare?runs={'f' * 32}")
    page.wait_for_selector("#compare [role=alert]")
    assert "None of the runs were found" in page.locator("#compare [role=alert]").inner_text()


def test_running_runs_refresh_live(page: Any, live_server: LiveServer) -> None:
    mlflow = "/api/2.0/mlflow"
    experiment_id = live_server.api(
        "POST", f"{mlflow}/experiments/create", json={"name": f"ui-live-{uuid.uuid4().hex[:8]}"}
    )["experiment_id"]
    run_id = live_server.api(
        "POST", f"{mlflow}/runs/create", json={"experiment_id": experiment_id}
    )["run"]["info"]["run_id"]
    point = {"run_id": run_id, "key": "loss", "timestamp": 1_791_000_000_000}
    live_server.api("POST", f"{mlflow}/runs/log-metric", json={**point, "value": 1.0, "step": 0})
    page.goto(f"/compare?runs={run_id}")
    page.wait_for_selector("[data-metric=loss][data-state=ready]")
    expect(page.locator("#live-status")).to_contain_text("1 running")

    live_server.api("POST", f"{mlflow}/runs/log-metric", json={**point, "value": 0.5, "step": 1})
    live_server.api("POST", f"{mlflow}/runs/update", json={"run_id": run_id, "status": "FINISHED"})

    page.wait_for_function(
        "() => document.querySelector(\"[data-metric='loss'] .chart-plot\").data[0].x.length === 2",
        timeout=10_000,
    )
    expect(page.locator(".compare-runs")).not_to_contain_text("RUNNING")
    expect(page.locator("#live-status")).to_be_hidden()
