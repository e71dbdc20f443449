"""The registry pages, in a real browser: the models list and its search, a model's page
(versions, aliases and their history, approval, description, tags), a version's page, and
the comparison of versions.

Pages that only read use the seeded ``fraud-detector`` (3 versions; ``champion`` moved from
v1 to v2 by bo, ``challenger`` on v3; v2 approved and v1 rejected by cy). Tests that change
things work on ``payments-ranker``, a model of this module registered from the same packages,
so the seeded model keeps its state for every other test.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from .conftest import ConsoleWatch, LiveServer, screenshot

MODEL = "fraud-detector"
SCRATCH_MODEL = "payments-ranker"
MLFLOW = "/api/2.0/mlflow"


@pytest.fixture(scope="module")
def scratch_model(live_server: LiveServer) -> Iterator[str]:
    """A model with three versions, registered from the seeded model's packages."""
    live_server.api("POST", f"{MLFLOW}/registered-models/create", json={"name": SCRATCH_MODEL})
    found = live_server.api(
        "GET", f"{MLFLOW}/model-versions/search", params={"filter": f"name = '{MODEL}'"}
    )["model_versions"]
    for version in sorted(found, key=lambda v: int(v["version"])):
        body = {"name": SCRATCH_MODEL, "source": version["source"], "run_id": version["run_id"]}
        live_server.api("POST", f"{MLFLOW}/model-versions/create", json=body)
    yield SCRATCH_MODEL


def model_row(page: Any, name: str) -> Any:
    return page.locator(f'.models-table tr[data-model="{name}"]')


def version_row(page: Any, version: int) -> Any:
    return page.locator(f'.versions-table tr[data-version="{version}"]')


# -- models list -------------------------------------------------------------------------------


def test_models_list_shows_versions_and_aliases(page: Any) -> None:
    page.goto("/models")
    row = model_row(page, MODEL)
    row.wait_for()
    assert row.locator(".versions-count").inner_text() == "3"
    assert row.locator(".alias-chip").all_inner_texts() == ["@challenger → v3", "@champion → v2"]
    assert row.locator(".tag-chip").inner_text() == "domain: payments"
    assert model_row(page, "churn-model").locator(".versions-count").inner_text() == "0"
    row.get_by_role("link", name="@champion → v2").click()
    page.wait_for_url(f"**/models/{MODEL}/versions/2")
    page.goto("/models")
    model_row(page, MODEL).wait_for()
    screenshot(page, "models-list")


def test_models_search_by_a_word_matches_names(page: Any) -> None:
    page.goto("/models")
    model_row(page, "churn-model").wait_for()
    page.get_by_role("searchbox").fill("FRAUD")
    page.keyboard.press("Enter")
    page.locator("#models-filter-help", has_text="name ILIKE '%FRAUD%'").wait_for()
    page.wait_for_function("document.querySelectorAll('.models-table tbody tr').length === 1")
    assert model_row(page, MODEL).is_visible()
    assert "filter=FRAUD" in page.url


def test_models_search_takes_the_filter_grammar(page: Any) -> None:
    page.goto("/models?filter=" + "tags.domain = 'payments'")
    model_row(page, MODEL).wait_for()
    assert page.locator(".models-table tbody tr").count() == 1
    page.get_by_role("searchbox").fill("name = 'churn-model' OR name LIKE 'fraud%'")
    page.keyboard.press("Enter")
    page.wait_for_function("document.querySelectorAll('.models-table tbody tr').length === 2")


def test_a_filter_the_grammar_refuses_shows_its_error_inline(
    page: Any, console: ConsoleWatch
) -> None:
    console.allow("400 (Bad Request)")
    page.goto("/models")
    model_row(page, MODEL).wait_for()
    page.get_by_role("searchbox").fill("name = ")
    page.keyboard.press("Enter")
    error = page.locator("#models-filter-error [role=alert]")
    error.wait_for()
    assert "INVALID_PARAMETER_VALUE" in error.inner_text()
    assert "invalid" in (page.get_by_role("searchbox").get_attribute("class") or "")


# -- model page --------------------------------------------------------------------------------


def test_model_page_lists_versions_with_aliases_approval_and_source_run(
    page: Any, live_server: LiveServer
) -> None:
    page.goto(f"/models/{MODEL}")
    version_row(page, 1).wait_for()
    assert page.locator(".versions-table tbody tr").count() == 3
    expected = {
        1: ([], "Rejected"),
        2: (["@champion"], "Approved"),
        3: (["@challenger"], "Pending approval"),
    }
    for version, (aliases, approval) in expected.items():
        row = version_row(page, version)
        assert row.locator(".alias-chip").all_inner_texts() == aliases
        assert row.locator(".approval-badge").inner_text() == approval
        run_id = live_server.data.child_runs[version - 1]
        assert row.locator(f'a[href="/runs/{run_id}"]').inner_text() == run_id[:8]
    assert page.locator("#description").inner_text().startswith("Flags card transactions")
    assert (
        page.locator('.tags-table tr[data-tag="domain"]').inner_text() == "domain\tpayments\tRemove"
    )
    screenshot(page, "model-page")


def test_model_page_in_the_dark_theme(page: Any) -> None:
    page.emulate_media(color_scheme="dark")
    page.goto(f"/models/{MODEL}")
    version_row(page, 1).wait_for()
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(13, 17, 23)"
    screenshot(page, "model-page-dark")


def test_alias_history_shows_who_moved_which_alias_from_where_to_where(page: Any) -> None:
    page.goto(f"/models/{MODEL}")
    history = page.locator(".alias-history tbody tr")
    history.first.wait_for()
    rows = [row.locator("td").all_inner_texts()[1:] for row in history.all()]
    assert rows == [
        ["@challenger", "set", "—", "v3", "bo"],
        ["@champion", "moved", "v1", "v2", "bo"],
        ["@champion", "set", "—", "v1", "ana"],
    ]
    page.get_by_label("Show the history of").select_option("champion")
    assert history.count() == 2


def test_setting_and_moving_an_alias_shows_in_the_alias_history(
    page: Any, scratch_model: str
) -> None:
    page.goto(f"/models/{scratch_model}")
    form = page.get_by_role("form", name="Set or move an alias")
    form.wait_for()
    form.get_by_label("Alias").fill("champion")
    form.get_by_label("Version").select_option("1")
    form.get_by_role("button", name="Set alias").click()
    page.locator('.aliases-table tr[data-alias="champion"]', has_text="Version 1").wait_for()
    assert version_row(page, 1).locator(".alias-chip").all_inner_texts() == ["@champion"]
    # moved with the keyboard: Enter submits the form
    form = page.get_by_role("form", name="Set or move an alias")
    form.get_by_label("Version").select_option("3")
    form.get_by_label("Alias").fill("champion")
    form.get_by_label("Alias").press("Enter")
    page.locator('.aliases-table tr[data-alias="champion"]', has_text="Version 3").wait_for()
    assert version_row(page, 1).locator(".alias-chip").count() == 0
    latest = page.locator(".alias-history tbody tr").first.locator("td").all_inner_texts()
    assert latest[1:5] == ["@champion", "moved", "v1", "v3"]
    page.get_by_role("button", name="Remove alias champion").click()
    page.locator(".alias-history tbody tr", has_text="removed").wait_for()
    assert page.locator(".aliases-table").count() == 0


def test_approving_a_version_shows_the_badge_and_the_decision(
    page: Any, scratch_model: str
) -> None:
    page.goto(f"/models/{scratch_model}")
    version_row(page, 2).wait_for()
    assert version_row(page, 2).locator(".approval-badge").inner_text() == "Pending approval"
    page.get_by_role("button", name="Review version 2").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Comment for the approval of version 2").fill("AUC 0.93 on the holdout.")
    dialog.get_by_role("button", name="Approve").click()
    dialog.locator('.approval-panel[data-status="Approved"]').wait_for()
    decision = dialog.locator("table.kv").inner_text()
    assert "AUC 0.93 on the holdout." in decision
    assert "Decided at\t20" in decision
    page.keyboard.press("Escape")
    assert version_row(page, 2).locator(".approval-badge").inner_text() == "Approved"
    # the version page shows the same decision
    page.goto(f"/models/{scratch_model}/versions/2")
    page.locator('#approval .approval-panel[data-status="Approved"]').wait_for()
    assert page.locator("#version-badges .approval-badge").inner_text() == "Approved"
    assert "AUC 0.93 on the holdout." in page.locator("#approval").inner_text()


def test_rejecting_then_resetting_an_approval(page: Any, scratch_model: str) -> None:
    page.goto(f"/models/{scratch_model}/versions/3")
    panel = page.locator("#approval")
    panel.get_by_role("button", name="Reject").click()
    panel.locator('.approval-panel[data-status="Rejected"]').wait_for()
    assert page.locator("#version-badges .approval-badge").inner_text() == "Rejected"
    panel.get_by_role("button", name="Reset to pending").click()
    panel.locator('.approval-panel[data-status="PendingManualApproval"]').wait_for()
    assert panel.get_by_role("button", name="Reset to pending").count() == 0


def test_editing_the_description_renders_markdown_and_persists(
    page: Any, scratch_model: str
) -> None:
    page.goto(f"/models/{scratch_model}")
    page.get_by_role("button", name="Edit description").click()
    page.get_by_label("Description (Markdown)").fill("Ranks **payments** by risk.")
    page.get_by_role("button", name="Save").click()
    page.locator("#description strong", has_text="payments").wait_for()
    page.reload()
    page.locator("#description strong", has_text="payments").wait_for()


def test_adding_and_removing_a_tag(page: Any, scratch_model: str) -> None:
    page.goto(f"/models/{scratch_model}")
    page.get_by_label("Tag key").fill("team")
    page.get_by_label("Tag value").fill("risk")
    page.get_by_role("button", name="Set tag").click()
    page.locator('.tags-table tr[data-tag="team"]').wait_for()
    page.reload()
    page.locator('.tags-table tr[data-tag="team"]').wait_for()
    page.get_by_role("button", name="Remove tag team").click()
    page.locator(".tags-table").wait_for(state="detached")


def test_selected_versions_open_the_comparison(page: Any) -> None:
    page.goto(f"/models/{MODEL}")
    page.get_by_label("Select version 3").check()
    assert page.locator("#compare-link").get_attribute("aria-disabled") == "true"
    page.get_by_label("Select version 1").check()
    page.get_by_role("link", name="Compare selected").click()
    page.wait_for_url(f"**/models/{MODEL}/compare?versions=1,3")


def test_an_unknown_model_is_a_readable_error(page: Any, console: ConsoleWatch) -> None:
    console.allow("404 (Not Found)")
    page.goto("/models/no-such-model")
    error = page.locator("#model-error [role=alert]")
    error.wait_for()
    assert "no-such-model" in error.inner_text() and "RESOURCE_DOES_NOT_EXIST" in error.inner_text()


# -- version page ------------------------------------------------------------------------------


def test_version_page_shows_source_run_signature_metrics_and_params(
    page: Any, live_server: LiveServer
) -> None:
    page.goto(f"/models/{MODEL}/versions/2")
    run_id = live_server.data.child_runs[1]
    link = page.locator(f'#overview a[href="/runs/{run_id}"]')
    link.wait_for()
    assert link.inner_text() == f"adam-lr0.03 ({run_id[:8]})"
    experiment = page.locator(
        f'#overview a[href="/experiments/{live_server.data.vision_experiment}"]'
    )
    expect(experiment).to_have_text("image-classification")
    signature = page.locator('#signature table[data-schema="inputs"] td')
    assert signature.all_inner_texts()[:2] == ["#0", "float64 tensor (-1, 2)"]
    assert page.locator('#run-params tr[data-key="lr"]').inner_text() == "lr\t0.03"
    assert page.locator('#run-metrics tr[data-key="accuracy"]').inner_text() == "accuracy\t0.75"
    approval = page.locator("#approval table.kv").inner_text()
    assert "Approved" in approval and "cy" in approval and "Beats v1 on AUC." in approval
    assert page.locator("#version-badges .alias-chip").all_inner_texts() == ["@champion"]
    page.locator("#files").get_by_test_id("model-package").wait_for()
    screenshot(page, "version-page")


# -- compare versions --------------------------------------------------------------------------


def test_compare_versions_highlights_differing_params_and_metrics(page: Any) -> None:
    page.goto(f"/models/{MODEL}/compare?versions=1,2")
    params = page.locator('[data-section="parameters"]')
    params.locator("tbody tr").first.wait_for()
    differing = params.locator("tr.diff th").all_inner_texts()
    assert differing == ["batch_size", "lr"]
    assert params.locator('tr[data-key="lr"] td').all_inner_texts() == ["0.1", "0.03"]
    assert params.locator('tr[data-key="epochs"]').get_attribute("class") is None
    metrics = page.locator('[data-section="metrics"]')
    assert "accuracy" in metrics.locator("tr.diff th").all_inner_texts()
    inputs = page.locator('[data-section="signature inputs"]')
    assert inputs.locator("tr.diff").count() == 0
    assert inputs.locator("td").all_inner_texts() == ["float64 tensor (-1, 2)"] * 2
    head = page.locator(".compare-head")
    assert head.locator(".approval-badge").all_inner_texts() == ["Rejected", "Approved"]
    screenshot(page, "versions-compare")
    page.get_by_label("Show only differences").check()
    assert not params.locator('tr[data-key="epochs"]').is_visible()
    assert params.locator('tr[data-key="lr"]').is_visible()


def test_compare_versions_adds_a_version_from_the_picker(page: Any) -> None:
    page.goto(f"/models/{MODEL}/compare?versions=1,2")
    page.locator('[data-section="parameters"] tbody tr').first.wait_for()
    page.locator(".version-toggle", has_text="v3").locator("input").check()
    page.locator(".compare-head th a", has_text="Version 3").wait_for()
    assert page.url.endswith("versions=1,2,3")
    lr = page.locator('[data-section="parameters"] tr[data-key="lr"] td').all_inner_texts()
    assert lr == ["0.1", "0.03", "0.01"]
