"""The runs page in a real browser: the virtualised table, filters, sorting, columns, nested runs,
grouping, selection, bulk actions, CSV export, live refresh and the 10,000-run sweep."""

from __future__ import annotations

import csv
import io
import json
import uuid
from typing import Any
from urllib.parse import parse_qs, urlparse

from playwright.sync_api import expect

from .conftest import ConsoleWatch, LiveServer, screenshot

MLFLOW = "/api/2.0/mlflow"
ROWS = ".rt-window .rt-row"
LINKS = f"{ROWS} .rt-link"
T0 = 1_700_000_000_000


def _open(page: Any, live_server: LiveServer, experiment_ids: str, count: str) -> None:
    """Open a runs page and wait until every run has loaded."""
    page.goto(f"/experiments/{experiment_ids}")
    page.wait_for_function(
        "text => document.getElementById('run-count').textContent === text", arg=count
    )


def _experiment(
    live_server: LiveServer, runs: int, *, prefix: str = "ui-runs"
) -> tuple[str, list[str]]:
    """A fresh experiment of finished runs (run-0 oldest), each with a loss and an lr param."""
    experiment_id = live_server.api(
        "POST", f"{MLFLOW}/experiments/create", json={"name": f"{prefix}-{uuid.uuid4().hex[:8]}"}
    )["experiment_id"]
    ids = []
    for number in range(runs):
        run = live_server.api(
            "POST",
            f"{MLFLOW}/runs/create",
            json={
                "experiment_id": experiment_id,
                "run_name": f"run-{number}",
                "start_time": T0 + number,
            },
        )["run"]
        run_id = run["info"]["run_id"]
        live_server.api(
            "POST",
            f"{MLFLOW}/runs/log-batch",
            json={
                "run_id": run_id,
                "metrics": [{"key": "loss", "value": 1 - number / 10, "timestamp": T0, "step": 0}],
                "params": [{"key": "lr", "value": str(number)}],
            },
        )
        live_server.api(
            "POST",
            f"{MLFLOW}/runs/update",
            json={"run_id": run_id, "status": "FINISHED", "end_time": T0 + 60_000},
        )
        ids.append(run_id)
    return experiment_id, ids


# -- the table ----------------------------------------------------------------------------------


def test_nested_runs_start_collapsed_under_their_parents_and_expand(
    page: Any, live_server: LiveServer
) -> None:
    vision = live_server.data.vision_experiment
    _open(page, live_server, vision, "15 runs")

    expect(page.locator(LINKS)).to_have_text(["sweep-adamw", "sweep-sgd", "sweep-adam"])
    page.locator(f'{ROWS}:has(a:text-is("sweep-adam")) .rt-toggle').click()

    expect(page.locator(LINKS)).to_have_text(
        [
            "sweep-adamw",
            "sweep-sgd",
            "sweep-adam",
            "adam-lr0.003",
            "adam-lr0.01",
            "adam-lr0.03",
            "adam-lr0.1",
        ]
    )
    child = page.locator(f'{ROWS}:has(a:text-is("adam-lr0.1"))')
    assert child.get_attribute("aria-rowindex") == "8"
    page.get_by_role("button", name="Expand all").click()
    expect(page.locator(ROWS)).to_have_count(15)
    screenshot(page, "runs-table")


def test_dark_theme_renders_the_table_readably(page: Any, live_server: LiveServer) -> None:
    page.emulate_media(color_scheme="dark")
    _open(page, live_server, live_server.data.vision_experiment, "15 runs")
    page.get_by_role("button", name="Expand all").click()

    cell = page.locator(f"{ROWS} .rt-cell").first
    expect(cell).to_have_css("background-color", "rgb(13, 17, 23)")
    screenshot(page, "runs-table-dark")


def test_filter_with_or_shows_the_matching_row_count(page: Any, live_server: LiveServer) -> None:
    _open(page, live_server, live_server.data.vision_experiment, "15 runs")

    page.keyboard.press("/")
    page.keyboard.type("params.optimizer = 'adam' OR params.optimizer = 'sgd'")
    page.keyboard.press("Enter")

    page.wait_for_function("document.getElementById('run-count').textContent === '10 runs'")
    expect(page.locator(LINKS)).to_have_text(["sweep-sgd", "sweep-adam"])
    assert "q=params.optimizer" in page.url


def test_invalid_filter_shows_the_servers_message_with_its_caret(
    page: Any, live_server: LiveServer, console: ConsoleWatch
) -> None:
    console.allow("status of 400")
    _open(page, live_server, live_server.data.vision_experiment, "15 runs")

    page.fill("#run-filter", "metrics.loss < 1 OR oops")
    page.press("#run-filter", "Enter")

    error = page.locator("#filter-error .error-text")
    error.wait_for()
    lines = error.inner_text().splitlines()
    assert lines[0].startswith("Invalid filter: unknown attribute 'oops' at position 20")
    assert lines[-1].strip() == "^"
    assert lines[-1].index("^") == lines[-2].index("oops")
    assert page.locator("#run-filter").get_attribute("aria-invalid") == "true"
    assert "q=" not in page.url  # an invalid filter is never saved
    assert page.locator("#run-count").inner_text() == "15 runs"
    screenshot(page, "runs-filter-error")


def test_clicking_headers_sorts_by_a_metric_and_by_run_name(
    page: Any, live_server: LiveServer
) -> None:
    experiment_id, _ids = _experiment(live_server, 4)  # losses 1.0, 0.9, 0.8, 0.7
    _open(page, live_server, experiment_id, "4 runs")
    expect(page.locator(LINKS)).to_have_text(["run-3", "run-2", "run-1", "run-0"])

    header = page.locator('.rt-head[data-column="metrics.loss"]')
    header.locator(".rt-sort").click()
    expect(header).to_have_attribute("aria-sort", "ascending")
    expect(page.locator(LINKS)).to_have_text(["run-3", "run-2", "run-1", "run-0"])
    assert "sort=metrics.loss" in page.url

    header.locator(".rt-sort").click()
    expect(header).to_have_attribute("aria-sort", "descending")
    expect(page.locator(LINKS)).to_have_text(["run-0", "run-1", "run-2", "run-3"])

    page.get_by_role("button", name="Run", exact=True).click()
    expect(page.locator(LINKS)).to_have_text(["run-0", "run-1", "run-2", "run-3"])
    expect(page.locator('[data-column="attributes.run_name"]')).to_have_attribute(
        "aria-sort", "ascending"
    )
    assert "sort=attributes.run_name" in page.url


def _column_menu(page: Any, column: str, action: str) -> None:
    page.locator(f'.rt-head[data-column="{column}"]').hover()
    page.locator(f'.rt-head[data-column="{column}"] .rt-menu').click()
    page.locator(f'.rt-popup [data-menu-action="{action}"]').click()


def _headers(page: Any) -> list[str]:
    return page.locator(".rt-header .rt-head").evaluate_all(
        "cells => cells.map(c => c.dataset.column)"
    )


def test_hidden_and_pinned_columns_persist_and_travel_in_the_link(
    page: Any, live_server: LiveServer, browser: Any
) -> None:
    vision = live_server.data.vision_experiment
    _open(page, live_server, vision, "15 runs")

    _column_menu(page, "metrics.loss", "hide")
    _column_menu(page, "params.lr", "pin")

    def check(tab: Any) -> None:
        headers = _headers(tab)
        assert "metrics.loss" not in headers
        assert headers[0] == "params.lr"
        assert "rt-sticky" in (
            tab.locator('.rt-head[data-column="params.lr"]').get_attribute("class") or ""
        )

    check(page)
    page.reload()
    page.wait_for_function("document.getElementById('run-count').textContent === '15 runs'")
    check(page)
    query = parse_qs(urlparse(page.url).query)
    assert json.loads(query["pin"][0]) == ["params.lr"]

    other = browser.new_context(viewport={"width": 1440, "height": 900}, base_url=live_server.url)
    try:
        fresh = other.new_page()
        fresh.goto(page.url)
        fresh.wait_for_function("document.getElementById('run-count').textContent === '15 runs'")
        fresh.wait_for_selector('.rt-head[data-column="params.lr"]')
        check(fresh)
    finally:
        other.close()


def test_column_chooser_adds_reorders_and_applies_columns(
    page: Any, live_server: LiveServer
) -> None:
    _open(page, live_server, live_server.data.vision_experiment, "15 runs")

    page.get_by_role("button", name="Columns…").click()
    dialog = page.locator("dialog.column-chooser")
    dialog.get_by_label("Find a column").fill("quality")
    dialog.locator("label.cc-option:has-text('quality') input").check()
    dialog.get_by_role("button", name="Move quality up").click()
    dialog.get_by_role("button", name="Apply").click()

    columns = json.loads(parse_qs(urlparse(page.url).query)["cols"][0])
    assert columns.index("tags.quality") == len(columns) - 2
    page.locator(".rt-scroll").evaluate("grid => grid.scrollLeft = grid.scrollWidth")
    expect(page.locator(".rt-head").nth(-2)).to_have_attribute("data-column", "tags.quality")
    page.get_by_role("button", name="Expand all").click()
    quality = page.locator(f'{ROWS}:has(a:text-is("adam-lr0.1")) .rt-cell:has-text("check")')
    expect(quality).to_have_count(1)


def test_grouping_by_optimizer_shows_min_mean_max_of_metrics(
    page: Any, live_server: LiveServer
) -> None:
    _open(page, live_server, live_server.data.vision_experiment, "15 runs")

    page.select_option("#group-by", "params.optimizer")

    groups = page.locator(f"{ROWS}.rt-group")
    groups.first.wait_for()
    assert groups.count() == 3
    adam = page.locator(f'{ROWS}.rt-group:has(strong:text-is("adam"))')
    assert "5 runs" in adam.inner_text()
    assert "0.7 · 0.775 · 0.85" in adam.inner_text()  # accuracy of adam's four children
    adam.locator(".rt-toggle").click()
    expect(page.locator(ROWS)).to_have_count(8)
    assert "group=params.optimizer" in page.url
    screenshot(page, "runs-grouped")


def test_shift_click_selects_a_range_and_reaches_the_compare_link(
    page: Any, live_server: LiveServer
) -> None:
    _open(page, live_server, live_server.data.vision_experiment, "15 runs")
    page.get_by_role("button", name="Expand all").click()

    boxes = page.locator(f"{ROWS} input[data-action=select]")
    boxes.nth(1).click()
    boxes.nth(3).click(modifiers=["Shift"])

    assert page.locator("#selection-count").inner_text() == "3 runs selected"
    link = page.locator("#compare-link")
    selected = page.locator(f"{ROWS}.selected").evaluate_all(
        "rows => rows.map(r => r.dataset.runId)"
    )
    assert len(selected) == 3
    href = link.get_attribute("href") or ""
    assert urlparse(href).path == "/compare"
    assert parse_qs(urlparse(href).query)["runs"][0].split(",") == selected
    assert link.inner_text() == "Compare 3"


def test_delete_restore_and_purge_runs(page: Any, live_server: LiveServer) -> None:
    experiment_id, ids = _experiment(live_server, 3)
    artifact = live_server.artifacts / experiment_id / ids[0] / "artifacts" / "model.txt"
    artifact.parent.mkdir(parents=True)
    artifact.write_text("weights")
    _open(page, live_server, experiment_id, "3 runs")

    page.locator(f'{ROWS}:has(a:text-is("run-0")) input[data-action=select]').check()
    page.get_by_role("button", name="Delete", exact=True).click()
    page.wait_for_function("document.getElementById('run-count').textContent === '2 runs'")

    page.select_option("#view-type", "DELETED_ONLY")
    page.wait_for_function("document.getElementById('run-count').textContent === '1 run'")
    page.locator(f'{ROWS}:has(a:text-is("run-0")) input[data-action=select]').check()
    page.get_by_role("button", name="Restore").click()
    page.wait_for_function("document.getElementById('run-count').textContent === '0 runs'")
    page.select_option("#view-type", "ACTIVE_ONLY")
    page.wait_for_function("document.getElementById('run-count').textContent === '3 runs'")

    page.locator(f'{ROWS}:has(a:text-is("run-0")) input[data-action=select]').check()
    page.get_by_role("button", name="Delete", exact=True).click()
    page.wait_for_function("document.getElementById('run-count').textContent === '2 runs'")
    page.select_option("#view-type", "DELETED_ONLY")
    page.wait_for_function("document.getElementById('run-count').textContent === '1 run'")
    page.locator(f"{ROWS} input[data-action=select]").check()
    page.get_by_role("button", name="Delete permanently…").click()
    dialog = page.get_by_role("dialog", name="Delete permanently?")
    assert "cannot be undone" in dialog.inner_text()
    dialog.get_by_role("button", name="Delete permanently").click()

    page.wait_for_function("document.getElementById('run-count').textContent === '0 runs'")
    remaining = live_server.api(
        "POST",
        "/api/2.0/shipyard/runs/table",
        json={"experiment_ids": [experiment_id], "run_view_type": "ALL"},
    )["rows"]
    assert sorted(row[0] for row in remaining) == sorted(ids[1:])
    assert not artifact.exists()


def test_export_csv_downloads_the_current_view(page: Any, live_server: LiveServer) -> None:
    _open(page, live_server, live_server.data.vision_experiment, "15 runs")
    page.fill("#run-filter", "params.optimizer = 'adam'")
    page.press("#run-filter", "Enter")
    page.wait_for_function("document.getElementById('run-count').textContent === '5 runs'")

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Export CSV").click()
    download = download_info.value

    assert download.suggested_filename == f"runs-{live_server.data.vision_experiment}.csv"
    with open(download.path(), encoding="utf-8") as handle:
        rows = list(csv.DictReader(io.StringIO(handle.read())))
    assert len(rows) == 5
    by_name = {row["run_name"]: row for row in rows}
    assert float(by_name["adam-lr0.1"]["metrics.accuracy"]) == 0.7
    assert by_name["adam-lr0.1"]["params.lr"] == "0.1"
    assert by_name["adam-lr0.1"]["parent_run_id"] == by_name["sweep-adam"]["run_id"]


# -- keyboard ------------------------------------------------------------------------------------


def test_keyboard_moves_expands_and_opens_a_run(page: Any, live_server: LiveServer) -> None:
    _open(page, live_server, live_server.data.vision_experiment, "15 runs")

    page.locator(".rt-scroll").focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")  # sweep-adam
    page.keyboard.press("ArrowRight")  # expand it
    page.keyboard.press("ArrowDown")  # its first child
    active = page.locator(f"{ROWS}.active .rt-link")
    assert active.inner_text() == "adam-lr0.003"
    page.keyboard.press("Enter")

    page.wait_for_url("**/runs/*")
    page.locator("#run-title").filter(has_text="adam-lr0.003").wait_for()


# -- scale ---------------------------------------------------------------------------------------


def test_ten_thousand_runs_scroll_to_the_bottom_with_few_rows_in_the_dom(
    page: Any, live_server: LiveServer
) -> None:
    # How fast this is, is bench/ui.py's business; here: it works, with few rows in the DOM.
    _open(page, live_server, live_server.data.sweep_experiment, "10,000 runs")

    grid = page.locator(".rt-scroll")
    grid.evaluate(
        """async grid => {
            const frame = () => new Promise(r => requestAnimationFrame(() => r()));
            for (const top of [grid.scrollHeight / 3, grid.scrollHeight / 2, grid.scrollHeight]) {
                grid.scrollTop = top;
                await frame(); await frame();
            }
        }"""
    )
    last = page.locator(f"{ROWS}").last
    assert last.get_attribute("aria-rowindex") == "10001"
    assert last.locator(".rt-link").inner_text() == "trial-00000"
    assert page.locator(ROWS).count() < 60
    grid.focus()
    page.keyboard.press("Home")
    page.locator(f"{ROWS}.active .rt-link").filter(has_text="trial-09999").wait_for()
    screenshot(page, "runs-table-10k")


def test_a_thousand_columns_render_only_the_visible_cells(
    page: Any, live_server: LiveServer
) -> None:
    experiment_id, (run_id,) = _experiment(live_server, 1, prefix="ui-wide")
    metrics = [{"key": f"k{n:04d}", "value": n, "timestamp": T0, "step": 0} for n in range(1200)]
    for start in range(0, 1200, 600):
        live_server.api(
            "POST",
            f"{MLFLOW}/runs/log-batch",
            json={"run_id": run_id, "metrics": metrics[start : start + 600]},
        )
    _open(page, live_server, experiment_id, "1 run")

    page.get_by_role("button", name="Columns…").click()
    dialog = page.locator("dialog.column-chooser")
    dialog.get_by_label("Find a column").fill("metrics.k")
    assert "Showing 300 of 1,200 columns" in dialog.inner_text()
    dialog.get_by_role("button", name="Add all matching").click()
    dialog.get_by_role("button", name="Apply").click()
    page.locator('.rt-head[data-column="metrics.k0000"]').wait_for()

    assert page.locator(".rt-header .rt-head").count() < 40
    page.locator(".rt-scroll").evaluate("grid => grid.scrollLeft = grid.scrollWidth")
    page.locator('.rt-head[data-column="metrics.k1199"]').wait_for()
    assert page.locator(f"{ROWS} .rt-text:text-is('1199')").count() == 1
    assert page.locator(".rt-header .rt-head").count() < 40


# -- live refresh ----------------------------------------------------------------------------------


def test_running_runs_refresh_in_place(page: Any, live_server: LiveServer) -> None:
    experiment_id = live_server.api(
        "POST", f"{MLFLOW}/experiments/create", json={"name": f"ui-live-{uuid.uuid4().hex[:8]}"}
    )["experiment_id"]
    run_id = live_server.api(
        "POST",
        f"{MLFLOW}/runs/create",
        json={"experiment_id": experiment_id, "run_name": "training"},
    )["run"]["info"]["run_id"]
    live_server.api(
        "POST",
        f"{MLFLOW}/runs/log-metric",
        json={"run_id": run_id, "key": "loss", "value": 0.9, "timestamp": T0},
    )
    _open(page, live_server, experiment_id, "1 run")
    status = page.locator("#live-status")
    status.filter(has_text="Live").wait_for()
    assert page.locator(f"{ROWS} .badge").first.inner_text() == "RUNNING"

    live_server.api(
        "POST",
        f"{MLFLOW}/runs/log-metric",
        json={"run_id": run_id, "key": "loss", "value": 0.25, "timestamp": T0, "step": 1},
    )
    live_server.api("POST", f"{MLFLOW}/runs/update", json={"run_id": run_id, "status": "FINISHED"})

    page.locator(f"{ROWS} .badge:text-is('FINISHED')").wait_for(timeout=10_000)
    assert page.locator(f"{ROWS} .rt-text:text-is('0.25')").count() == 1
    status.wait_for(state="hidden")
