"""``shipyard ui``: a real process serving the embedded store on loopback, opening a browser,
stopping on Ctrl-C; refusals to start run in process."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import Result

from shipyard.client.tracking import Client

# conftest.ServerProcess: .url, .port, .process, .stdout(), .stderr(), .terminate()
ServerProcess = Any
LaunchUI = Callable[..., ServerProcess]
Shipyard = Callable[..., Result]


def test_serves_health_and_the_ui_page_on_loopback(launch_ui: LaunchUI, unused_port: int) -> None:
    ui = launch_ui("--no-browser", "--port", str(unused_port))

    assert ui.url == f"http://127.0.0.1:{unused_port}"
    assert httpx.get(f"{ui.url}/health").status_code == 200
    page = httpx.get(f"{ui.url}/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "<html" in page.text.lower()


def test_stops_with_status_0_on_ctrl_c(launch_ui: LaunchUI) -> None:
    ui = launch_ui("--no-browser", "--port", "0")

    assert ui.terminate(signal.SIGINT) == 0
    assert "Stopped." in ui.stdout()
    assert "Traceback" not in ui.stderr()
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{ui.url}/health", timeout=2)


def test_uses_the_default_data_dir_of_shipyard_server(launch_ui: LaunchUI, tmp_path: Path) -> None:
    home = tmp_path / "home"  # launch_ui's SHIPYARD_HOME
    ui = launch_ui("--no-browser", "--port", "0")

    assert (home / "shipyard.db").is_file()
    assert f"on the store in {home.resolve()}" in ui.stdout()


def test_serves_what_the_client_logged_in_the_data_dir(launch_ui: LaunchUI, tmp_path: Path) -> None:
    data = tmp_path / "data"
    with Client(str(data)) as client:
        experiment_id = client.create_experiment("logged-before-ui")
        run_id = client.create_run(experiment_id, run_name="seen-by-ui").info.run_id

    ui = launch_ui("--no-browser", "--port", "0", "--data-dir", str(data))

    found = httpx.get(f"{ui.url}/api/2.0/mlflow/runs/get", params={"run_id": run_id})
    assert found.status_code == 200
    assert found.json()["run"]["info"]["run_name"] == "seen-by-ui"


def test_opens_the_browser_at_its_address(launch_ui: LaunchUI, tmp_path: Path) -> None:
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "browser.py"
    browser.write_text(
        f"import sys\nopen({str(opened)!r}, 'a').write(sys.argv[1] + '\\n')\n",
    )
    # Python's webbrowser runs $BROWSER ("%s" is the address) before any browser it finds.
    ui = launch_ui("--port", "0", env={"BROWSER": f"{sys.executable} {browser} %s"})

    deadline = time.monotonic() + 30
    while not opened.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert opened.read_text().splitlines() == [ui.url]
    assert httpx.get(f"{ui.url}/health").status_code == 200


def test_refuses_a_port_in_use_with_what_to_do(shipyard: Shipyard) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]

        result = shipyard("ui", "--no-browser", "--port", str(port))

    assert result.exit_code == 1
    assert f"Cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "--port" in result.stderr
    assert result.stderr.count("\n") == 1


def test_refuses_a_data_dir_that_is_a_file(shipyard: Shipyard, tmp_path: Path) -> None:
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("x")

    result = shipyard("ui", "--no-browser", "--port", "0", "--data-dir", str(not_a_folder))

    assert result.exit_code == 2
    assert "is a file" in result.stderr


def test_names_the_server_extra_when_the_server_is_not_installed(
    shipyard_without_server_packages: Callable[..., subprocess.CompletedProcess[str]],
    tmp_path: Path,
) -> None:
    result = shipyard_without_server_packages("ui", "--no-browser", "--port", "0")

    assert result.returncode == 1
    assert "pip install 'shipyard[server]'" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "light-home").exists()
