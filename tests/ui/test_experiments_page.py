"""The experiments page in a real browser: list, run counts, name filter, create, rename,
delete and restore, and opening the runs of several experiments together."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from playwright.sync_api import expect

from .conftest import LiveServer, screenshot

MLFLOW = "/api/2.0/mlflow"
ROWS = "#experiments-body tr[data-experiment-id]"


def _row(page: Any, name: str) -> Any:
    return page.locator(f'{ROWS}:has(a:text-is("{name}"))')


def test_list_shows_each_experiment_with_its_run_counts(page: Any, live_server: LiveServer) -> None:
    page.goto("/")

    vision = _row(page, "image-classification")
    expect(vision.locator("td.num")).to_have_text("15 (+1 deleted)")
    expect(_row(page, "hyperparameter-sweep").locator("td.num")).to_have_text("10,000")
    assert "CNNs on the product photos." in vision.inner_text()
    link = vision.get_by_role("link", name="image-classification")
    assert link.get_attribute("href") == f"/experiments/{live_server.data.vision_experiment}"
    screenshot(page, "experiments")


def test_slash_focuses_the_filter_and_typing_narrows_the_list(
    page: Any, live_server: LiveServer
) -> None:
    page.goto("/")
    expect(_row(page, "image-classification")).to_be_visible()

    page.keyboard.press("/")
    page.keyboard.type("SWEEP")

    expect(page.locator(ROWS)).to_have_count(1)
    expect(page.locator(ROWS).first).to_contain_text("hyperparameter-sweep")
    assert "q=SWEEP" in page.url
    page.keyboard.press("Tab")  # leaves the filter for the next control; Enter on a link opens it
    _row(page, "hyperparameter-sweep").get_by_role("link").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/experiments/{live_server.data.sweep_experiment}")


def test_create_rename_delete_and_restore_an_experiment(page: Any, live_server: LiveServer) -> None:
    name = f"ui-exp-{uuid.uuid4().hex[:8]}"
    page.goto("/")

    page.get_by_role("button", name="New experiment").click()
    dialog = page.get_by_role("dialog", name="New experiment")
    dialog.get_by_label("Name").fill(name)
    dialog.get_by_role("button", name="Create").click()
    page.wait_for_url("**/experiments/*")
    expect(page.locator("#runs-title")).to_have_text(name)

    page.goto(f"/?q={name}")
    expect(page.locator(ROWS)).to_have_count(1)
    page.get_by_role("button", name=f"Rename {name}").click()
    dialog = page.get_by_role("dialog", name=f"Rename {name}")
    dialog.get_by_label("New name").fill(f"{name}-renamed")
    dialog.get_by_role("button", name="Rename").click()
    expect(_row(page, f"{name}-renamed")).to_be_visible()

    page.get_by_role("button", name=f"Delete {name}-renamed").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    expect(page.locator(ROWS)).to_have_count(0)

    page.get_by_label("Show deleted").check()
    expect(_row(page, f"{name}-renamed")).to_be_visible()
    page.get_by_role("button", name=f"Restore {name}-renamed").click()
    expect(page.locator(ROWS)).to_have_count(0)
    page.get_by_label("Show deleted").uncheck()
    expect(_row(page, f"{name}-renamed")).to_be_visible()


def test_a_taken_name_shows_the_servers_error(
    page: Any, live_server: LiveServer, console: Any
) -> None:
    console.allow("status of 400")
    page.goto("/")

    page.get_by_role("button", name="New experiment").click()
    page.get_by_role("dialog").get_by_label("Name").fill("image-classification")
    page.get_by_role("dialog").get_by_role("button", name="Create").click()

    expect(page.locator(".toast.error")).to_contain_text("already exists")


def test_selected_experiments_open_their_runs_together(page: Any, live_server: LiveServer) -> None:
    data = live_server.data
    page.goto("/")

    _row(page, "image-classification").get_by_role("checkbox").check()
    _row(page, "long-training").get_by_role("checkbox").check()
    link = page.locator("#open-selected")
    expect(link).to_have_text("Open runs of 2 selected")
    link.click()

    page.wait_for_url(f"**/experiments/{data.long_experiment},{data.vision_experiment}")
    page.wait_for_function("document.getElementById('run-count').textContent === '16 runs'")
    expect(page.locator("#runs-title")).to_have_text("long-training, image-classification")
    expect(page.locator('.rt-head[data-column="attributes.experiment_id"]')).to_be_visible()
    first = page.locator(".rt-window .rt-row").first
    expect(first).to_contain_text("long-training")


def test_a_deleted_experiment_is_purged_with_its_runs(page: Any, live_server: LiveServer) -> None:
    name = f"ui-purge-{uuid.uuid4().hex[:8]}"
    experiment_id = live_server.api("POST", f"{MLFLOW}/experiments/create", json={"name": name})[
        "experiment_id"
    ]
    run = live_server.api("POST", f"{MLFLOW}/runs/create", json={"experiment_id": experiment_id})[
        "run"
    ]["info"]["run_id"]
    live_server.api("POST", f"{MLFLOW}/experiments/delete", json={"experiment_id": experiment_id})
    page.goto(f"/?deleted=true&q={name}")
    expect(page.locator(ROWS)).to_have_count(1)

    page.get_by_role("button", name=f"Delete {name} permanently").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("cannot be undone")
    dialog.get_by_role("button", name="Delete permanently").click()

    expect(page.locator(".toast")).to_contain_text(f"Permanently deleted {name}, 1 run(s)")
    expect(page.locator(ROWS)).to_have_count(0)
    gone = httpx.get(f"{live_server.url}{MLFLOW}/runs/get", params={"run_id": run})
    assert gone.status_code == 404
    # the name can be used again
    live_server.api("POST", f"{MLFLOW}/experiments/create", json={"name": name})
