"""Documentation that must keep up with the code."""

from __future__ import annotations

from pathlib import Path

import pytest

from shipyard.server.settings import SETTINGS, Setting

DOCS = Path(__file__).resolve().parents[1] / "docs"
README = Path(__file__).resolve().parents[1] / "README.md"


@pytest.mark.parametrize("setting", SETTINGS, ids=[s.name for s in SETTINGS])
def test_every_server_setting_is_documented(setting: Setting) -> None:
    page = (DOCS / "configuration.md").read_text()
    row = next((line for line in page.splitlines() if line.startswith(f"| {setting.name} |")), "")
    assert row, f"docs/configuration.md has no row for the setting {setting.name!r}"
    for flag in setting.flag.split("/"):
        assert f"`{flag}`" in row, f"the row of {setting.name!r} does not name {flag}"
    for envvar in setting.envvars:
        assert envvar in row, f"the row of {setting.name!r} does not name {envvar}"


def test_readme_opens_with_the_install_and_test_commands() -> None:
    blocks = README.read_text().split("```")
    assert 'pip install ".[server]" && shipyard server' in blocks[1]
    assert 'pip install -e ".[test]"' in blocks[3] and "pytest" in blocks[3]
    assert "apt-get install -y chromium" in blocks[3], "the browser tests need Debian's chromium"


def test_ci_runs_the_readme_test_command() -> None:
    test_command = README.read_text().split("```")[3].strip().splitlines()[-1]
    ci = (README.parent / ".ci" / "run").read_text()
    assert test_command in ci


def test_every_doc_page_linked_from_the_readme_exists() -> None:
    text = README.read_text()
    for link in [part.split(")")[0] for part in text.split("](")[1:]]:
        if link.startswith("docs/"):
            assert (README.parent / link.split("#")[0]).exists(), f"README links to {link}"
