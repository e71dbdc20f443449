"""The artifact browser, in a real browser: the folder tree, every preview kind, downloads,
large files, and model packages.

The browser is mounted the way the run page mounts it (``mountArtifactBrowser(container,
{runId})``) on the seeded artifact run, or on a scratch folder of the proxied store holding the
kinds the seed lacks (audio, SVG, a large log, raw HTML in Markdown); model packages are seen
on a registered version's page, where the version's files are browsed.
"""

from __future__ import annotations

import io
import math
import struct
import wave
import zipfile
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from .conftest import ConsoleWatch, LiveServer, screenshot
from .seed import ARTIFACTS

SCRATCH = "ui-tests/artifact-browser"
BIG_LOG_LINES = 100_000


def _wav() -> bytes:
    """One second of a 440 Hz tone, 8 kHz mono."""
    out = io.BytesIO()
    with wave.open(out, "wb") as sound:
        sound.setnchannels(1)
        sound.setsampwidth(2)
        sound.setframerate(8000)
        samples = (int(8000 * math.sin(2 * math.pi * 440 * i / 8000)) for i in range(8000))
        sound.writeframes(b"".join(struct.pack("<h", sample) for sample in samples))
    return out.getvalue()


# As mlflow.sklearn.save_model (MLflow 3.17) writes it for a DataFrame: PyYAML folds the long
# signature string over two lines, and the example is in pandas' "split" orient.
MLFLOW_MLMODEL = b"""flavors:
  python_function:
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: mlflow.sklearn
    model_path: model.skops
    predict_fn: predict
    python_version: 3.11.7
  sklearn:
    code: null
    pickled_model: model.skops
    serialization_format: skops
    sklearn_version: 1.9.1
    skops_trusted_types: null
is_signature_from_type_hint: false
mlflow_version: 3.17.2
model_id: null
model_size_bytes: 10779
model_uuid: 3e1637e141b94d03925014fe022d0eb0
prompts: null
saved_input_example_info:
  artifact_path: input_example.json
  pandas_orient: split
  serving_input_path: serving_input_example.json
  type: dataframe
signature:
  inputs: '[{"type": "double", "name": "sepal length (cm)", "required": true}, {"type":
    "double", "name": "petal width (cm)", "required": true}]'
  outputs: '[{"type": "long", "required": true}]'
  params: null
type_hint_from_example: false
utc_time_created: '2026-11-28 23:38:35.043177'
"""

SCRATCH_FILES: dict[str, bytes] = {
    "iris-model/MLmodel": MLFLOW_MLMODEL,
    "iris-model/input_example.json": (
        b'{"columns": ["sepal length (cm)", "petal width (cm)"], "data": [[5.1, 0.2], [4.9, 0.2]]}'
    ),
    "notes.md": (
        b"# Notes\n\n<script>document.title='from-markdown'</script>\n\n"
        b"[unsafe](javascript:alert(1)) and [docs](https://example.org/docs)\n\n"
        b"| metric | value |\n|---|--:|\n| auc | 0.91 |\n"
    ),
    "big.log": b"".join(b"step %07d loss 0.1234 of a long run\n" % i for i in range(BIG_LOG_LINES)),
    "clip.wav": _wav(),
    "diagram.svg": (
        b'<svg xmlns="http://www.w3.org/2000/svg" width="120" height="60">'
        b'<script>document.title="from-svg"</script>'
        b'<rect width="120" height="60" fill="#4493f8"/></svg>'
    ),
    "weights.pkl": b"\x80\x04K\x01.",
    "clip.webm": b"\x1aE\xdf\xa3 not really a video",
}


@pytest.fixture(scope="module")
def scratch(live_server: LiveServer) -> Iterator[str]:
    """Files of the kinds the seed lacks, uploaded through the proxied artifact service."""
    for name, content in SCRATCH_FILES.items():
        url = f"{live_server.url}/api/2.0/mlflow-artifacts/artifacts/{SCRATCH}/{name}"
        httpx.put(url, content=content, timeout=60).raise_for_status()
    yield f"mlflow-artifacts:/{SCRATCH}"


def mount(page: Any, **options: str) -> None:
    """Mount the artifact browser on an empty page of the UI, as the run page does."""
    page.goto("/models")
    page.wait_for_selector(".models-table")
    page.evaluate(
        """async (options) => {
            const base = document.querySelector('meta[name="shipyard-base"]').content;
            const module = await import(`${base}/static/js/components/artifact_browser.js`);
            const host = document.createElement("div");
            document.getElementById("main").replaceChildren(host);
            const browser = module.mountArtifactBrowser(host, options);
            if (browser) await browser.ready;
        }""",
        options,
    )


def mount_run(page: Any, live_server: LiveServer) -> None:
    mount(page, runId=live_server.data.artifact_run)


def item(page: Any, path: str) -> Any:
    """The tree row of ``path``."""
    return page.locator(f'.ab-tree [role="treeitem"][data-path="{path}"] > .ab-row')


def open_path(page: Any, path: str) -> None:
    """Click through the tree to ``path``, opening each folder on the way."""
    parts = path.split("/")
    for index in range(1, len(parts)):
        folder = "/".join(parts[:index])
        if page.locator(f'[data-path="{folder}"]').get_attribute("aria-expanded") != "true":
            item(page, folder).click()
    item(page, path).click()


def preview(page: Any) -> Any:
    return page.locator(".ab-preview-body")


# -- the tree ----------------------------------------------------------------------------------


def test_the_run_page_artifacts_tab_shows_the_browser(page: Any, live_server: LiveServer) -> None:
    page.goto(f"/runs/{live_server.data.artifact_run}")
    page.get_by_role("tab", name="Artifacts").click()
    item(page, "plots").click()
    item(page, "plots/roc.png").click()
    page.locator(".ab-preview img.ab-image").wait_for()


def test_folders_are_listed_only_when_opened(page: Any, live_server: LiveServer) -> None:
    listings: list[str] = []
    page.on("request", lambda r: listings.append(r.url) if "/artifacts/list" in r.url else None)
    mount_run(page, live_server)
    assert len(listings) == 1
    names = page.locator(".ab-tree > li > ul > li > .ab-row .ab-name").all_inner_texts()
    assert names == [
        "code",
        "config",
        "data",
        "logs",
        "plots",
        "README.md",
        "report.html",
        "report.pdf",
    ]
    assert page.locator('[data-path="plots/roc.png"]').count() == 0
    item(page, "plots").click()
    page.locator('[data-path="plots/roc.png"]').wait_for()
    assert len(listings) == 2 and "path=plots" in listings[1]
    assert item(page, "plots/roc.png").locator(".ab-size").inner_text() == "8.0 KB"
    assert item(page, "plots").locator(".ab-size").inner_text() == "2 items"


def test_a_folder_shows_its_contents_and_closes_again(page: Any, live_server: LiveServer) -> None:
    mount_run(page, live_server)
    item(page, "data").click()
    page.locator(".ab-preview-name", has_text="data/").wait_for()
    assert preview(page).locator(".ab-listing tbody tr").all_inner_texts() == [
        "features.tsv\t52 B",
        "predictions.csv\t2.3 KB",
    ]
    assert page.locator('[data-path="data"]').get_attribute("aria-expanded") == "true"
    item(page, "data").click()
    assert page.locator('[data-path="data"]').get_attribute("aria-expanded") == "false"
    assert not page.locator('[data-path="data/predictions.csv"]').is_visible()


def test_the_tree_works_from_the_keyboard(page: Any, live_server: LiveServer) -> None:
    mount_run(page, live_server)
    page.locator('.ab-tree [data-path=""]').focus()
    page.keyboard.press("ArrowDown")  # code
    page.keyboard.press("ArrowRight")  # open it
    page.locator('[data-path="code/train.py"]').wait_for()
    page.keyboard.press("ArrowDown")  # code/train.py
    page.keyboard.press("Enter")
    assert "def train(model, data):" in preview(page).locator(".ab-code").inner_text()
    assert page.evaluate("document.activeElement.dataset.path") == "code/train.py"


# -- previews ----------------------------------------------------------------------------------


def test_an_image_shows_as_an_img_from_a_blob(page: Any, live_server: LiveServer) -> None:
    mount_run(page, live_server)
    open_path(page, "plots/confusion_matrix.png")
    image = preview(page).locator("img.ab-image")
    image.wait_for()
    page.wait_for_function("document.querySelector('img.ab-image').naturalWidth > 0")
    assert image.get_attribute("src").startswith("blob:")
    assert image.evaluate("i => [i.naturalWidth, i.naturalHeight]") == [64, 48]
    assert "64 \u00d7 48 px" in preview(page).inner_text()
    screenshot(page, "artifacts-image")


def test_csv_and_tsv_show_as_tables(page: Any, live_server: LiveServer) -> None:
    mount_run(page, live_server)
    open_path(page, "data/predictions.csv")
    table = preview(page).locator("table.ab-table")
    table.wait_for()
    assert table.locator("thead th").all_inner_texts() == ["#", "id", "label", "score"]
    assert table.locator("tbody tr").count() == 200
    assert table.locator("tbody tr").nth(1).locator("td").all_inner_texts() == [
        "2",
        "1",
        "1",
        "0.370",
    ]
    assert "200 rows · 3 columns" in preview(page).inner_text()
    screenshot(page, "artifacts-csv")
    open_path(page, "data/features.tsv")
    preview(page).get_by_text("3 rows · 2 columns").wait_for()
    assert preview(page).locator("thead th").all_inner_texts() == ["#", "feature", "importance"]


def test_json_shows_as_a_collapsible_tree(page: Any, live_server: LiveServer) -> None:
    mount_run(page, live_server)
    open_path(page, "config/params.json")
    tree = preview(page).locator(".json-tree")
    tree.wait_for()
    assert '"lr": 0.01' in tree.inner_text()
    layers = tree.locator("details", has_text='"layers"').last
    assert layers.get_attribute("open") is not None and "64" in layers.inner_text()
    layers.locator("summary").click()
    assert layers.get_attribute("open") is None
    assert not layers.locator(".jt-children").is_visible()
    preview(page).get_by_role("button", name="Show raw").click()
    assert '"layers": [' in preview(page).locator(".ab-code").inner_text()


def test_yaml_text_and_code_show_numbered_lines(page: Any, live_server: LiveServer) -> None:
    mount_run(page, live_server)
    open_path(page, "config/train.yaml")
    code = preview(page).locator(".ab-code")
    code.wait_for()
    assert code.locator(".ln").count() == 4
    assert code.locator(".tok-key").all_inner_texts() == ["optimizer", "epochs", "augment", "flip"]
    # the numbers are CSS counters: the text itself holds the file, line by line
    assert code.inner_text().splitlines() == [
        "optimizer: adam",
        "epochs: 20",
        "augment:",
        "  flip: true",
    ]
    open_path(page, "logs/train.log")
    preview(page).get_by_text("50 lines").wait_for()
    open_path(page, "code/train.py")
    preview(page).get_by_text("2 lines").wait_for()


def test_markdown_is_rendered(page: Any, live_server: LiveServer) -> None:
    mount_run(page, live_server)
    item(page, "README.md").click()
    rendered = preview(page).locator(".markdown")
    rendered.locator("h1").wait_for()
    assert rendered.locator("h1").inner_text() == "Evaluation"
    assert rendered.locator("strong").inner_text() == "4 points"
    assert rendered.locator("li").inner_text() == "AUC 0.91"


def test_markdown_shows_raw_html_as_text_and_drops_unsafe_links(page: Any, scratch: str) -> None:
    mount(page, artifactUri=scratch)
    item(page, "notes.md").click()
    rendered = preview(page).locator(".markdown")
    rendered.locator("h1").wait_for()
    assert "<script>document.title='from-markdown'</script>" in rendered.inner_text()
    assert rendered.locator("script").count() == 0
    assert page.title() == "Models · Shipyard"
    assert rendered.locator("a").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"
    ) == ["https://example.org/docs"]
    assert rendered.locator("table td").all_inner_texts() == ["auc", "0.91"]


def test_html_runs_in_a_sandboxed_frame_where_its_script_does_not_run(
    page: Any, live_server: LiveServer, console: ConsoleWatch
) -> None:
    console.allow("Blocked script execution")  # Chromium reports the sandbox at work
    mount_run(page, live_server)
    title = page.title()
    item(page, "report.html").click()
    frame_element = preview(page).locator("iframe.ab-frame")
    frame_element.wait_for()
    assert frame_element.get_attribute("sandbox") == ""
    assert frame_element.get_attribute("src").startswith("blob:")
    frame = frame_element.element_handle().content_frame()
    frame.wait_for_selector("h1")
    assert frame.inner_text("h1") == "Report"
    assert frame.evaluate("document.title") == ""  # the report's script would have set 'x'
    assert page.title() == title


def test_pdf_shows_in_a_frame_of_a_blob(page: Any, live_server: LiveServer) -> None:
    mount_run(page, live_server)
    item(page, "report.pdf").click()
    frame = preview(page).locator("iframe.ab-pdf")
    frame.wait_for()
    assert frame.get_attribute("src").startswith("blob:")
    assert frame.get_attribute("sandbox") is None  # the PDF viewer refuses sandboxed frames


def test_svg_shows_only_as_an_image(page: Any, scratch: str) -> None:
    mount(page, artifactUri=scratch)
    item(page, "diagram.svg").click()
    image = preview(page).locator("img.ab-image")
    image.wait_for()
    page.wait_for_function("document.querySelector('img.ab-image').naturalWidth === 120")
    assert image.get_attribute("src").startswith("blob:")
    assert preview(page).locator("svg").count() == 0
    assert page.title() == "Models · Shipyard"


def test_audio_streams_from_the_file_url(page: Any, scratch: str) -> None:
    mount(page, artifactUri=scratch)
    item(page, "clip.wav").click()
    audio = preview(page).locator("audio")
    audio.wait_for()
    assert audio.get_attribute("src").endswith(f"/mlflow-artifacts/artifacts/{SCRATCH}/clip.wav")
    page.wait_for_function("document.querySelector('audio').readyState >= 1")
    assert audio.evaluate("a => Math.round(a.duration)") == 1


def test_video_streams_from_the_file_url(page: Any, scratch: str) -> None:
    mount(page, artifactUri=scratch)
    item(page, "clip.webm").click()
    video = preview(page).locator("video")
    video.wait_for()
    assert video.get_attribute("src").endswith(f"/mlflow-artifacts/artifacts/{SCRATCH}/clip.webm")
    assert video.get_attribute("controls") is not None


def test_a_binary_file_offers_a_download_and_no_preview(page: Any, scratch: str) -> None:
    mount(page, artifactUri=scratch)
    item(page, "weights.pkl").click()
    assert "no preview" in preview(page).inner_text()
    assert page.locator(".ab-preview-head a[data-action=download]").is_visible()


def test_a_large_file_shows_its_size_and_is_not_fetched(page: Any, scratch: str) -> None:
    fetched: list[dict[str, str]] = []
    page.on("request", lambda r: fetched.append(r.headers) if r.url.endswith("/big.log") else None)
    mount(page, artifactUri=scratch)
    item(page, "big.log").click()
    notice = preview(page).get_by_test_id("too-large")
    notice.wait_for()
    size = f"{len(SCRATCH_FILES['big.log']) / 1024 / 1024:.1f} MB"
    assert f"big.log is {size}: too large to preview here." in notice.inner_text()
    assert notice.get_by_role("link", name="Download the whole file").is_visible()
    page.wait_for_timeout(300)
    assert fetched == []
    # asked for, only the head is read, with a Range request
    notice.get_by_role("button", name="Show the first 256 KB").click()
    preview(page).locator(".ab-code").wait_for()
    assert len(fetched) == 1 and fetched[0]["range"] == "bytes=0-262143"
    assert "Showing the first part of the file only" in preview(page).inner_text()
    lines = preview(page).locator(".ab-code .ln")
    assert 6000 < lines.count() < BIG_LOG_LINES
    assert lines.first.inner_text() == "step 0000000 loss 0.1234 of a long run"


# -- downloads ---------------------------------------------------------------------------------


def test_download_a_file(page: Any, live_server: LiveServer) -> None:
    mount_run(page, live_server)
    open_path(page, "plots/roc.png")
    with page.expect_download() as download:
        page.locator(".ab-preview-head a[data-action=download]").click()
    assert download.value.suggested_filename == "roc.png"
    with open(download.value.path(), "rb") as saved:
        assert saved.read() == ARTIFACTS["plots/roc.png"]


def test_download_a_folder_as_a_zip(page: Any, live_server: LiveServer) -> None:
    mount_run(page, live_server)
    item(page, "plots").click()
    link = page.get_by_role("link", name="Download folder (.zip)")
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == "plots.zip"
    with zipfile.ZipFile(download.value.path()) as archive:
        assert sorted(archive.namelist()) == ["confusion_matrix.png", "roc.png"]
        assert archive.read("roc.png") == ARTIFACTS["plots/roc.png"]


def test_download_everything_as_a_zip(page: Any, live_server: LiveServer) -> None:
    mount_run(page, live_server)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download all (.zip)").click()
    with zipfile.ZipFile(download.value.path()) as archive:
        assert sorted(archive.namelist()) == sorted(ARTIFACTS)


# -- model packages ----------------------------------------------------------------------------


def test_a_model_package_shows_flavors_signature_example_and_snippets(page: Any) -> None:
    page.goto("/models/fraud-detector/versions/1")
    package = page.locator("#files").get_by_test_id("model-package")
    package.wait_for()
    flavors = package.locator(".flavor")
    assert flavors.locator(".flavor-name").all_inner_texts() == ["sklearn", "python_function"]
    assert "loader_module\tmlflow.sklearn" in flavors.nth(1).inner_text()
    inputs = package.locator('table[data-schema="inputs"] tbody tr td')
    assert inputs.all_inner_texts()[:2] == ["#0", "float64 tensor (-1, 2)"]
    outputs = package.locator('table[data-schema="outputs"] tbody tr td')
    assert outputs.all_inner_texts()[:2] == ["#0", "int64 tensor (-1)"]
    example = package.locator(".ab-table tbody tr")
    assert example.count() == 3
    assert example.first.locator("td").all_inner_texts() == ["1", "0.1", "1"]
    snippets = package.locator(".snippet-code").all_inner_texts()
    assert 'shipyard.pyfunc.load_model("models:/fraud-detector/1")' in snippets[0]
    assert 'mlflow.pyfunc.load_model("models:/fraud-detector/1")' in snippets[1]
    assert f'mlflow.set_tracking_uri("{page.evaluate("location.origin")}")' in snippets[1]
    assert page.locator('.ab-tree [data-path=""] .ab-package-badge').inner_text() == "model"
    screenshot(page, "artifacts-mlmodel")


def test_a_package_saved_by_mlflow_shows_its_named_columns(page: Any, scratch: str) -> None:
    mount(page, artifactUri=scratch)
    item(page, "iris-model").click()
    package = preview(page).get_by_test_id("model-package")
    package.wait_for()
    assert item(page, "iris-model").locator(".ab-package-badge").is_visible()
    inputs = package.locator('table[data-schema="inputs"] tbody tr')
    assert [row.locator("td").all_inner_texts() for row in inputs.all()] == [
        ["sepal length (cm)", "double", "yes"],
        ["petal width (cm)", "double", "yes"],
    ]
    outputs = package.locator('table[data-schema="outputs"] td').all_inner_texts()
    assert outputs == ["#0", "long", "yes"]
    example = package.locator(".ab-table")
    assert example.locator("thead th").all_inner_texts() == [
        "#",
        "sepal length (cm)",
        "petal width (cm)",
    ]
    assert example.locator("tbody tr").count() == 2
    assert (
        f'load_model("{scratch}/iris-model")' in package.locator(".snippet-code").first.inner_text()
    )


def test_a_package_in_a_run_loads_from_a_runs_uri(page: Any, live_server: LiveServer) -> None:
    mount_run(page, live_server)
    uri = page.evaluate(
        """async (runId) => {
            const base = document.querySelector('meta[name="shipyard-base"]').content;
            const url = `${base}/static/js/components/artifact_source.js`;
            const { artifactSource } = await import(url);
            return artifactSource({ runId }).modelUri("model");
        }""",
        live_server.data.artifact_run,
    )
    assert uri == f"runs:/{live_server.data.artifact_run}/model"


def test_a_location_outside_the_store_is_a_readable_error(page: Any) -> None:
    mount(page, artifactUri="s3://elsewhere/models/1")
    error = page.locator("#main .error-text")
    assert "only mlflow-artifacts:/ locations are served by this server" in error.inner_text()
