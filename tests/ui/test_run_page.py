"""The run page in a real browser: overview, params, metrics with sparklines, tags, datasets,
logged models, the Markdown description, tabs, live refresh and errors."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from .conftest import ConsoleWatch, LiveServer, screenshot

MLFLOW = "/api/2.0/mlflow"
COMPONENTS = Path(__file__).resolve().parents[2] / "src/shipyard/server/ui/static/js/components"
T0 = 1_700_000_000_000


def _detail(page: Any, label: str) -> Any:
    return page.locator(f'#details-table tr:has(td:first-child:text-is("{label}")) td:last-child')


def _own_run(live_server: LiveServer, **fields: Any) -> str:
    """A run of its own (tests that write must not change the shared seed)."""
    experiment_id = live_server.api(
        "POST", f"{MLFLOW}/experiments/create", json={"name": f"ui-run-{uuid.uuid4().hex[:8]}"}
    )["experiment_id"]
    run = live_server.api(
        "POST", f"{MLFLOW}/runs/create", json={"experiment_id": experiment_id, **fields}
    )["run"]
    run_id: str = run["info"]["run_id"]
    return run_id


def test_overview_shows_details_params_metrics_and_tags(page: Any, live_server: LiveServer) -> None:
    data = live_server.data
    child = data.child_runs[0]
    page.goto(f"/runs/{child}")

    expect(page.locator("#run-title")).to_have_text("adam-lr0.1")
    expect(page.locator("#run-badges")).to_contain_text("FINISHED")
    expect(_detail(page, "Parent run").get_by_role("link")).to_have_attribute(
        "href", f"/runs/{data.parent_runs[0]}"
    )
    expect(_detail(page, "Parent run")).to_have_text("sweep-adam")
    expect(_detail(page, "Duration")).to_have_text("45s")
    expect(_detail(page, "User")).to_have_text("ana")
    expect(page.locator("#params tr:has-text('lr')")).to_contain_text("0.1")
    loss = page.locator("#metrics tr:has(td.metric-key:text-is('loss'))")
    expect(loss.locator("td.num").first).to_have_text("0.00861053")
    expect(loss.locator("svg.sparkline polyline")).to_have_count(1)
    expect(page.locator("#metrics details")).to_contain_text("System metrics (2)")
    expect(page.locator("#tags > table")).to_contain_text("resnet18")
    system = page.locator("#tags details.system-tags")
    expect(system).to_contain_text("System tags (3)")
    expect(system.locator("table")).to_be_hidden()
    expect(page.locator("#models")).to_contain_text("model")
    expect(page.locator("#models")).to_contain_text(data.logged_model_id)
    screenshot(page, "run-overview")


def test_parent_run_shows_children_source_commit_and_datasets(
    page: Any, live_server: LiveServer
) -> None:
    data = live_server.data
    page.emulate_media(color_scheme="dark")
    page.goto(f"/runs/{data.parent_runs[0]}")

    children = _detail(page, "Child runs")
    expect(children.get_by_role("link")).to_have_count(4)
    expect(children).to_contain_text("4: adam-lr0.1, adam-lr0.03")
    expect(_detail(page, "Source")).to_have_text("train.py")
    expect(_detail(page, "Git commit")).to_contain_text("9f3c2ab")
    dataset = page.locator("#datasets tbody tr")
    expect(dataset).to_contain_text("photos-v3")
    expect(dataset).to_contain_text("training")
    expect(dataset).to_contain_text("/data/photos-v3")
    expect(page.locator("#compare-run")).to_have_text("Compare with 4 child runs")
    screenshot(page, "run-overview-dark")


def test_description_is_edited_and_rendered_as_safe_markdown(
    page: Any, live_server: LiveServer
) -> None:
    run_id = _own_run(live_server, run_name="described")
    page.goto(f"/runs/{run_id}")
    expect(page.locator("#description")).to_contain_text("No description")

    page.get_by_role("button", name="Edit").click()
    editor = page.get_by_label("Description (Markdown)")
    editor.fill(
        "# Result\n\nBeats the **baseline**; see [the report](https://example.org/r).\n\n"
        "- fast\n- small\n\n<script>window.hacked = 1</script>\n"
        '<img src=x onerror="window.hacked = 2">\n[bad](javascript:alert(1))'
    )
    page.get_by_role("button", name="Save").click()

    text = page.locator("#description .markdown")
    expect(text.locator("h1")).to_have_text("Result")
    expect(text.locator("strong")).to_have_text("baseline")
    expect(text.locator("li")).to_have_count(2)
    expect(text.get_by_role("link", name="the report")).to_have_attribute(
        "href", "https://example.org/r"
    )
    expect(text).to_contain_text("<script>window.hacked = 1</script>")
    assert text.locator("script, img").count() == 0
    assert text.get_by_role("link", name="bad").count() == 0
    assert page.evaluate("window.hacked") is None
    page.reload()
    expect(page.locator("#description .markdown h1")).to_have_text("Result")
    run = live_server.api("GET", f"{MLFLOW}/runs/get", params={"run_id": run_id})["run"]
    notes = [tag["value"] for tag in run["data"]["tags"] if tag["key"] == "mlflow.note.content"]
    assert notes[0].startswith("# Result\n\nBeats the **baseline**")


def test_tabs_switch_with_the_keyboard_and_mount_the_artifact_browser(
    page: Any, live_server: LiveServer, console: ConsoleWatch
) -> None:
    data = live_server.data
    has_browser = (COMPONENTS / "artifact_browser.js").exists()
    if not has_browser:
        console.allow("status of 404")
    page.goto(f"/runs/{data.artifact_run}")
    expect(page.locator("#run-title")).to_have_text("adam-lr0.1")

    page.get_by_role("tab", name="Overview").focus()
    page.keyboard.press("End")

    expect(page.get_by_role("tab", name="Artifacts")).to_have_attribute("aria-selected", "true")
    assert page.url.endswith("#artifacts")
    browser = page.locator("#artifact-browser")
    expect(browser).to_have_attribute("data-run-id", data.artifact_run)
    assert (browser.get_attribute("data-artifact-uri") or "").endswith(
        f"/{data.artifact_run}/artifacts"
    )
    expect(page.locator("#panel-overview")).to_be_hidden()
    if has_browser:
        expect(browser.locator(":scope > *").first).to_be_visible()
    else:
        expect(browser).to_contain_text("could not be loaded")
    page.keyboard.press("ArrowLeft")
    expect(page.get_by_role("tab", name="Charts")).to_have_attribute("aria-selected", "true")


def test_a_running_run_refreshes_live(page: Any, live_server: LiveServer) -> None:
    run_id = _own_run(live_server, run_name="live-run")
    page.goto(f"/runs/{run_id}")
    expect(page.locator("#live-status")).to_contain_text("Live")
    expect(page.locator("#metrics")).to_contain_text("No metrics logged.")

    live_server.api(
        "POST",
        f"{MLFLOW}/runs/log-metric",
        json={"run_id": run_id, "key": "loss", "value": 0.5, "timestamp": T0, "step": 3},
    )
    live_server.api("POST", f"{MLFLOW}/runs/update", json={"run_id": run_id, "status": "FINISHED"})

    expect(page.locator("#run-badges")).to_contain_text("FINISHED", timeout=10_000)
    expect(page.locator("#metrics tr:has-text('loss')")).to_contain_text("0.5")
    expect(page.locator("#live-status")).to_be_hidden()


def test_an_unknown_run_shows_a_readable_error(
    page: Any, live_server: LiveServer, console: ConsoleWatch
) -> None:
    console.allow("status of 404")
    page.goto(f"/runs/{'0' * 32}")

    expect(page.locator("#run-error .error-text")).to_contain_text(
        f"Run with id={'0' * 32} not found"
    )


def test_a_running_runs_charts_follow_new_points(page: Any, live_server: LiveServer) -> None:
    run_id = _own_run(live_server, run_name="live-charts")
    point = {"run_id": run_id, "key": "loss", "timestamp": T0}
    live_server.api("POST", f"{MLFLOW}/runs/log-metric", json={**point, "value": 1.0, "step": 0})
    page.goto(f"/runs/{run_id}")
    page.get_by_role("tab", name="Charts").click()
    page.wait_for_selector("[data-metric=loss][data-state=ready]")

    live_server.api("POST", f"{MLFLOW}/runs/log-metric", json={**point, "value": 0.5, "step": 1})

    page.wait_for_function(
        "() => document.querySelector(\"[data-metric='loss'] .chart-plot\").data[0].x.length === 2",
        timeout=10_000,
    )
    live_server.api("POST", f"{MLFLOW}/runs/update", json={"run_id": run_id, "status": "FINISHED"})
    expect(page.locator("#live-status")).to_be_hidden(timeout=10_000)
