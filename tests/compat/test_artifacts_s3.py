"""The ``mlflow`` client's artifact calls against a live server that stores artifacts in S3.

This module starts its own S3 protocol server (moto's server mode on loopback) and its own
tracking server with ``--artifacts-destination s3://<bucket>/artifacts``; its ``tracking_server``
fixture replaces the session one for the tests here. ``TestArtifactsOnS3`` runs every test of
``test_artifacts.TestArtifacts`` again, plus the checks that only make sense with a bucket.
"""

from __future__ import annotations

import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from mlflow import MlflowClient
from mlflow.store.artifact.http_artifact_repo import HttpArtifactRepository

from . import test_artifacts as on_disk
from .conftest import (
    HOST,
    _console_script,
    _free_port,
    _server_env,
    _stderr_tail,
    _stop,
    _wait_until_healthy,
)

pytestmark = pytest.mark.compat

MOTO_STARTUP_TIMEOUT_S = 30.0
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@pytest.fixture(scope="module")
def s3_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """moto's S3 server on a free loopback port."""
    log_path = tmp_path_factory.mktemp("moto") / "moto.log"
    port = _free_port()
    endpoint = f"http://{HOST}:{port}"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [_console_script("moto_server"), "-H", HOST, "-p", str(port)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + MOTO_STARTUP_TIMEOUT_S
        while True:
            if process.poll() is not None:
                pytest.fail(f"moto exited early:\n{_stderr_tail(log_path)}")
            try:
                requests.get(endpoint, timeout=1)
                break
            except requests.RequestException:
                if time.monotonic() > deadline:
                    pytest.fail(f"moto did not answer within {MOTO_STARTUP_TIMEOUT_S:.0f}s")
                time.sleep(0.05)
        yield endpoint
    finally:
        _stop(process)


def _s3(endpoint: str) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=AWS_ENV["AWS_DEFAULT_REGION"],
        aws_access_key_id=AWS_ENV["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=AWS_ENV["AWS_SECRET_ACCESS_KEY"],
    )


@pytest.fixture(scope="module")
def bucket(s3_endpoint: str) -> str:
    """The bucket the tracking server stores artifacts in."""
    name = f"compat-{uuid.uuid4().hex[:20]}"
    _s3(s3_endpoint).create_bucket(Bucket=name)
    return name


def _server_command(target: str, port: int, data_dir: Path, destination: str) -> list[str]:
    common = ["--host", HOST, "--port", str(port), "--artifacts-destination", destination]
    if target == "shipyard":
        return [
            _console_script("shipyard"),
            "server",
            *common,
            "--backend-store-uri",
            f"sqlite:///{data_dir / 'db.sqlite'}",
        ]
    return [
        _console_script("mlflow"),
        "server",
        *common,
        "--backend-store-uri",
        f"sqlite:///{data_dir / 'mlflow.db'}",
        "--workers",
        "1",
    ]


@pytest.fixture(scope="module")
def tracking_server(
    target: str, s3_endpoint: str, bucket: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The target server, storing artifacts in ``s3://<bucket>/artifacts`` on moto."""
    data_dir = tmp_path_factory.mktemp(f"compat-{target}-s3-server")
    port = _free_port()
    url = f"http://{HOST}:{port}"
    command = _server_command(target, port, data_dir, f"s3://{bucket}/artifacts")
    env = {**_server_env(), **AWS_ENV, "AWS_CONFIG_FILE": str(data_dir / "no-aws-config")}
    env["AWS_SHARED_CREDENTIALS_FILE"] = env["AWS_CONFIG_FILE"]
    env.pop("AWS_PROFILE", None)
    if target == "shipyard":
        command += ["--s3-endpoint-url", s3_endpoint]
    else:
        env["MLFLOW_S3_ENDPOINT_URL"] = s3_endpoint
    stderr_path = data_dir / "server.stderr"
    with (data_dir / "server.stdout").open("wb") as stdout, stderr_path.open("wb") as stderr:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=stderr,
            env=env,
            cwd=data_dir,
            start_new_session=True,
        )
    try:
        _wait_until_healthy(process, url, stderr_path)
        yield url
    finally:
        died_early = process.poll() is not None
        _stop(process)
    if died_early:
        pytest.fail(f"the {target} S3 server died early:\n{_stderr_tail(stderr_path)}")


class TestArtifactsOnS3(on_disk.TestArtifacts):
    """Every on-disk artifact test, with the artifacts in a bucket."""

    def test_artifacts_land_in_the_bucket(
        self,
        client: MlflowClient,
        run_id: str,
        tmp_path: Path,
        s3_endpoint: str,
        bucket: str,
    ) -> None:
        source = tmp_path / "config.yaml"
        source.write_bytes(b"lr: 0.01\n")
        client.log_artifact(run_id, str(source), artifact_path="configs")

        run = client.get_run(run_id)
        key = f"artifacts/{run.info.experiment_id}/{run_id}/artifacts/configs/config.yaml"
        stored = _s3(s3_endpoint).get_object(Bucket=bucket, Key=key)["Body"].read()
        assert stored == source.read_bytes()

    def test_large_file_goes_through_multipart_upload(  # type: ignore[override]
        self,
        client: MlflowClient,
        run_id: str,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        completed = on_disk.upload_through_multipart(client, run_id, tmp_path, monkeypatch)

        assert completed == [[1, 2, 3]]

    def test_multipart_parts_go_straight_to_the_bucket(
        self,
        client: MlflowClient,
        run_id: str,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
        s3_endpoint: str,
        bucket: str,
    ) -> None:
        part_urls: list[str] = []
        upload_part = HttpArtifactRepository._upload_part

        def spy(credential, local_file, size, start_byte):  # type: ignore[no-untyped-def]
            part_urls.append(credential.url)
            return upload_part(credential, local_file, size, start_byte)

        monkeypatch.setattr(HttpArtifactRepository, "_upload_part", staticmethod(spy))

        on_disk.upload_through_multipart(client, run_id, tmp_path, monkeypatch)

        assert len(part_urls) == 3
        assert all(url.startswith(f"{s3_endpoint}/{bucket}/artifacts/") for url in part_urls)
