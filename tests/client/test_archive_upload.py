"""``log_artifacts`` of a folder of many files: one tar archive to Shipyard, one PUT per file to
MLflow. Both against live servers; the requests the client sends are counted with httpx's
event hooks, and every file is downloaded back and compared.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

import shipyard
from shipyard.client.artifacts import ARCHIVE_MIN_FILES
from shipyard.client.rest import RestTracking

FILES = 40


def make_folder(root: Path) -> dict[str, bytes]:
    """40 files of 0-64 KiB in nested folders; their bytes by relative path."""
    rng = random.Random(40)
    files: dict[str, bytes] = {}
    for index in range(FILES):
        relative = f"level{index % 3}/sub{index % 2}/file-{index}.bin"
        if index == 0:
            relative = "top \u00e9t\u00e9.txt"
        files[relative] = rng.randbytes(rng.randint(0, 64 * 1024))
    for relative, data in files.items():
        path = root.joinpath(*relative.split("/"))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return files


@pytest.mark.parametrize(
    "server", ["shipyard", pytest.param("mlflow", marks=pytest.mark.xdist_group("mlflow"))]
)
def test_log_artifacts_of_a_folder_of_many_files_stores_every_file(
    server: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    unique_name: Callable[[str], str],
) -> None:
    uri: str = request.getfixturevalue(
        "tracking_server" if server == "shipyard" else "mlflow_server"
    )
    files = make_folder(tmp_path / "folder")
    assert len(files) >= ARCHIVE_MIN_FILES
    puts: list[str] = []
    sent: list[int] = []

    def count(req: httpx.Request) -> None:
        if req.method == "PUT":
            puts.append(req.url.path)

    with shipyard.Client(uri) as client:
        assert isinstance(client.backend, RestTracking)
        client.backend.http.http.event_hooks["request"] = [count]
        experiment_id = client.create_experiment(unique_name("archive-upload"))
        run_id = client.create_run(experiment_id).info.run_id

        client.log_artifacts(run_id, tmp_path / "folder", "up", progress=sent.append)

        out = Path(client.download_artifacts(run_id, "up", tmp_path / "out"))
        listed = sorted(entry.path for entry in client.walk_artifacts(run_id, "up"))

    assert listed == sorted(f"up/{relative}" for relative in files)
    for relative, data in files.items():
        assert out.joinpath(*relative.split("/")).read_bytes() == data, relative
    assert sum(sent) == sum(map(len, files.values()))
    archive_puts = [path for path in puts if "/shipyard/artifacts/archive/" in path]
    if server == "shipyard":
        # the probe (an empty archive), then the folder in one request
        assert len(archive_puts) == 2
        assert len(puts) == 2
    else:
        # the probe is refused by MLflow, then one request per file
        assert len(archive_puts) == 1
        assert len(puts) == 1 + FILES
