"""The ``mlflow`` client's artifact calls against a live server that stores artifacts on disk.

``TestArtifacts`` is run again by ``test_artifacts_s3.py`` against a server whose artifacts go to
S3, so each test here holds for both destinations.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest
from mlflow import MlflowClient
from mlflow.store.artifact.http_artifact_repo import HttpArtifactRepository

pytestmark = pytest.mark.compat

MiB = 1024 * 1024
TREE = {
    "a.txt": b"alpha",
    "sub/b.txt": b"beta",
    "sub/deeper/c.bin": bytes(range(256)) * 400,
}


def write_tree(root: Path, files: dict[str, bytes]) -> Path:
    for relative, data in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def read_tree(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def listing(client: MlflowClient, run_id: str, path: str | None = None) -> list[tuple]:
    return [(f.path, f.is_dir, f.file_size) for f in client.list_artifacts(run_id, path)]


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(MiB):
            digest.update(block)
    return digest.hexdigest()


def write_random_file(path: Path, size: int) -> Path:
    with path.open("wb") as handle:
        for _ in range(size // MiB):
            handle.write(os.urandom(MiB))
        handle.write(os.urandom(size % MiB))
    return path


def upload_through_multipart(
    client: MlflowClient, run_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> list[list[int]]:
    """Log a 12 MiB file with 5 MiB parts; return the part numbers of each completed upload.

    The client asks /server-info whether the server takes multipart uploads, and sends files of
    at least MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE through mpu/create, the part URLs and
    mpu/complete; the spy records what it completed.
    """
    monkeypatch.setenv("MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE", str(5 * MiB))
    monkeypatch.setenv("MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE", str(5 * MiB))
    completed: list[list[int]] = []
    complete = HttpArtifactRepository.complete_multipart_upload

    def spy(self, local_file, upload_id, parts=None, artifact_path=None):  # type: ignore[no-untyped-def]
        completed.append([part.part_number for part in parts or []])
        return complete(self, local_file, upload_id, parts, artifact_path)

    monkeypatch.setattr(HttpArtifactRepository, "complete_multipart_upload", spy)
    source = write_random_file(tmp_path / "weights.bin", 12 * MiB)

    client.log_artifact(run_id, str(source), artifact_path="models")

    downloaded = Path(client.download_artifacts(run_id, "models/weights.bin", str(tmp_path / "d")))
    assert sha256_of(downloaded) == sha256_of(source)
    return completed


class TestArtifacts:
    """Artifact round trips through the server with the unmodified ``mlflow`` client."""

    @pytest.fixture
    def run_id(self, client: MlflowClient, experiment_id: str) -> str:
        return client.create_run(experiment_id).info.run_id

    @pytest.fixture
    def logged_tree(self, client: MlflowClient, run_id: str, tmp_path: Path) -> str:
        """The run with TREE logged at its artifact root; returns the run id."""
        client.log_artifacts(run_id, str(write_tree(tmp_path / "tree", TREE)))
        return run_id

    def test_run_artifact_uri_is_a_proxied_uri(self, client: MlflowClient, run_id: str) -> None:
        assert client.get_run(run_id).info.artifact_uri.startswith("mlflow-artifacts:/")

    def test_log_artifact_round_trips(
        self, client: MlflowClient, run_id: str, tmp_path: Path
    ) -> None:
        source = tmp_path / "config.yaml"
        source.write_bytes(b"lr: 0.01\nlayers: [64, 64]\n")

        client.log_artifact(run_id, str(source), artifact_path="configs")

        downloaded = client.download_artifacts(run_id, "configs/config.yaml", str(tmp_path / "d"))
        assert Path(downloaded).read_bytes() == source.read_bytes()

    def test_log_artifacts_keeps_nested_folders(
        self, client: MlflowClient, run_id: str, tmp_path: Path
    ) -> None:
        client.log_artifacts(run_id, str(write_tree(tmp_path / "tree", TREE)), "outputs")

        downloaded = client.download_artifacts(run_id, "outputs", str(tmp_path / "d"))
        assert read_tree(Path(downloaded)) == TREE

    def test_list_artifacts_of_the_run_root(self, client: MlflowClient, logged_tree: str) -> None:
        assert listing(client, logged_tree) == [("a.txt", False, 5), ("sub", True, None)]

    def test_list_artifacts_of_a_folder_names_paths_from_the_run_root(
        self, client: MlflowClient, logged_tree: str
    ) -> None:
        assert listing(client, logged_tree, "sub") == [
            ("sub/b.txt", False, 4),
            ("sub/deeper", True, None),
        ]

    def test_list_artifacts_of_a_file_is_empty(
        self, client: MlflowClient, logged_tree: str
    ) -> None:
        assert listing(client, logged_tree, "a.txt") == []

    def test_list_artifacts_of_a_missing_folder_is_empty(
        self, client: MlflowClient, logged_tree: str
    ) -> None:
        assert listing(client, logged_tree, "nothing") == []

    def test_download_artifacts_of_the_whole_run(
        self, client: MlflowClient, logged_tree: str, tmp_path: Path
    ) -> None:
        downloaded = client.download_artifacts(logged_tree, "", str(tmp_path / "d"))

        assert read_tree(Path(downloaded)) == TREE

    def test_download_artifacts_of_a_subfolder(
        self, client: MlflowClient, logged_tree: str, tmp_path: Path
    ) -> None:
        downloaded = client.download_artifacts(logged_tree, "sub", str(tmp_path / "d"))

        assert Path(downloaded) == tmp_path / "d" / "sub"
        assert read_tree(Path(downloaded)) == {
            "b.txt": b"beta",
            "deeper/c.bin": TREE["sub/deeper/c.bin"],
        }

    def test_log_dict_round_trips(self, client: MlflowClient, run_id: str, tmp_path: Path) -> None:
        config = {"lr": 0.01, "layers": [64, 64], "name": "résumé"}

        client.log_dict(run_id, config, "meta/config.json")

        downloaded = client.download_artifacts(run_id, "meta/config.json", str(tmp_path))
        assert json.loads(Path(downloaded).read_text()) == config

    def test_log_text_round_trips(self, client: MlflowClient, run_id: str, tmp_path: Path) -> None:
        text = "héllo\nwörld ✓\n"

        client.log_text(run_id, text, "notes/readme.txt")

        downloaded = client.download_artifacts(run_id, "notes/readme.txt", str(tmp_path))
        assert Path(downloaded).read_text(encoding="utf-8") == text

    def test_log_figure_stores_a_png(
        self, client: MlflowClient, run_id: str, tmp_path: Path
    ) -> None:
        matplotlib = pytest.importorskip("matplotlib")
        matplotlib.use("Agg")
        from matplotlib import pyplot

        figure, axes = pyplot.subplots()
        axes.plot([0, 1, 2], [0, 1, 4])
        try:
            client.log_figure(run_id, figure, "plots/curve.png")
        finally:
            pyplot.close(figure)

        downloaded = client.download_artifacts(run_id, "plots/curve.png", str(tmp_path))
        assert Path(downloaded).read_bytes().startswith(b"\x89PNG\r\n\x1a\n")

    def test_file_name_with_space_and_unicode_round_trips(
        self, client: MlflowClient, run_id: str, tmp_path: Path
    ) -> None:
        source = tmp_path / "café au lait.txt"
        source.write_bytes(b"with milk")
        client.log_artifact(run_id, str(source), artifact_path="drinks")

        assert listing(client, run_id, "drinks") == [("drinks/café au lait.txt", False, 9)]
        downloaded = client.download_artifacts(
            run_id, "drinks/café au lait.txt", str(tmp_path / "d")
        )
        assert Path(downloaded).read_bytes() == b"with milk"

    def test_50_mb_file_round_trips_byte_identical(
        self, client: MlflowClient, run_id: str, tmp_path: Path
    ) -> None:
        source = write_random_file(tmp_path / "big.bin", 50 * MiB)

        client.log_artifact(run_id, str(source), artifact_path="data")

        downloaded = client.download_artifacts(run_id, "data/big.bin", str(tmp_path / "d"))
        assert Path(downloaded).stat().st_size == 50 * MiB
        assert sha256_of(Path(downloaded)) == sha256_of(source)

    def test_large_file_goes_through_multipart_upload(
        self,
        shipyard_only: None,
        client: MlflowClient,
        run_id: str,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        # MLflow serves multipart uploads only for cloud destinations; Shipyard on local disk too.
        completed = upload_through_multipart(client, run_id, tmp_path, monkeypatch)

        assert completed == [[1, 2, 3]]
