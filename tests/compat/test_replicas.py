"""Two ``shipyard server`` replicas on one PostgreSQL database and one S3 bucket.

The deployment for teams that outgrow one machine: stateless servers behind a load balancer,
sharing the database and the artifact store. Both replicas start at the same moment on an
empty schema (one creates it, the other waits for it), then the ``mlflow`` client writes
through one and reads through the other, and writes through both at once.
"""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from mlflow import MlflowClient
from mlflow.entities import Metric

import pgschema

from .conftest import (
    HOST,
    _console_script,
    _free_port,
    _server_env,
    _stderr_tail,
    _stop,
    _wait_until_healthy,
)
from .test_artifacts_s3 import AWS_ENV, bucket, s3_endpoint

pytestmark = [pytest.mark.compat, pytest.mark.postgres]

# The S3 fixtures of test_artifacts_s3, registered for this module by being bound here.
s3_endpoint = s3_endpoint
bucket = bucket

REPLICAS = 2


@pytest.fixture(scope="module")
def empty_schema_uri(postgres_schema_uri: str) -> Iterator[str]:
    """A new, empty PostgreSQL schema (no tables: the replicas create them)."""
    with pgschema.new_schema(postgres_schema_uri, "shipyard_replicas") as uri:
        yield uri


@pytest.fixture(scope="module")
def replicas(
    empty_schema_uri: str,
    s3_endpoint: str,
    bucket: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[list[str]]:
    """The replicas' URLs; they are all started before any is waited for."""
    env = {**_server_env(), **AWS_ENV}
    started: list[tuple[subprocess.Popen[bytes], str, Path]] = []
    try:
        for number in range(REPLICAS):
            folder = tmp_path_factory.mktemp(f"replica-{number}")
            env["AWS_CONFIG_FILE"] = env["AWS_SHARED_CREDENTIALS_FILE"] = str(folder / "none")
            port = _free_port()
            stderr_path = folder / "server.stderr"
            with stderr_path.open("wb") as stderr:
                process = subprocess.Popen(
                    [
                        _console_script("shipyard"),
                        "server",
                        "--host",
                        HOST,
                        "--port",
                        str(port),
                        "--backend-store-uri",
                        empty_schema_uri,
                        "--artifacts-destination",
                        f"s3://{bucket}/shared",
                        "--s3-endpoint-url",
                        s3_endpoint,
                    ],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=stderr,
                    env=env,
                    cwd=folder,
                    start_new_session=True,
                )
            started.append((process, f"http://{HOST}:{port}", stderr_path))
        for process, url, stderr_path in started:
            _wait_until_healthy(process, url, stderr_path)
        yield [url for _, url, _ in started]
    finally:
        died = [path for process, _, path in started if process.poll() is not None]
        for process, _, _ in started:
            _stop(process)
    if died:
        pytest.fail("a replica died early:\n" + "\n".join(_stderr_tail(path) for path in died))


@pytest.fixture(scope="module")
def tracking_server(replicas: list[str]) -> str:
    """The first replica stands in for the session server (the fluent API's target here)."""
    return replicas[0]


def test_an_experiment_created_on_one_replica_is_found_on_the_other(
    replicas: list[str],
) -> None:
    first, second = (MlflowClient(tracking_uri=url) for url in replicas)
    name = f"replicated-{uuid.uuid4().hex}"

    experiment_id = first.create_experiment(name)

    found = second.get_experiment_by_name(name)
    assert found is not None
    assert found.experiment_id == experiment_id
    defaults = [MlflowClient(tracking_uri=url).get_experiment("0").name for url in replicas]
    assert defaults == ["Default", "Default"]


def test_runs_logged_through_both_replicas_at_once_are_all_searchable_on_each(
    replicas: list[str],
) -> None:
    experiment_id = MlflowClient(tracking_uri=replicas[0]).create_experiment(
        f"both-{uuid.uuid4().hex}"
    )

    def log_runs(url: str) -> list[str]:
        client = MlflowClient(tracking_uri=url)
        run_ids = []
        for number in range(5):
            run = client.create_run(experiment_id, run_name=f"{url[-5:]}-{number}")
            points = [Metric("loss", 1.0 / (step + 1), 0, step) for step in range(100)]
            client.log_batch(run.info.run_id, metrics=points)
            client.log_param(run.info.run_id, "replica", url)
            client.set_terminated(run.info.run_id)
            run_ids.append(run.info.run_id)
        return run_ids

    with ThreadPoolExecutor(REPLICAS) as pool:
        logged = [run_id for ids in pool.map(log_runs, replicas) for run_id in ids]

    for url in replicas:
        client = MlflowClient(tracking_uri=url)
        runs = client.search_runs([experiment_id], max_results=100)
        assert sorted(run.info.run_id for run in runs) == sorted(logged)
        assert {run.data.params["replica"] for run in runs} == set(replicas)
        assert all(run.info.status == "FINISHED" for run in runs)
        history = client.get_metric_history(logged[-1], "loss")
        assert sorted(point.step for point in history) == list(range(100))


def test_an_artifact_uploaded_through_one_replica_downloads_through_the_other(
    replicas: list[str], tmp_path: Path
) -> None:
    first, second = (MlflowClient(tracking_uri=url) for url in replicas)
    experiment_id = first.create_experiment(f"files-{uuid.uuid4().hex}")
    run_id = first.create_run(experiment_id).info.run_id
    local = tmp_path / "weights.bin"
    payload = uuid.uuid4().bytes * 4096
    local.write_bytes(payload)

    first.log_artifact(run_id, str(local), "model")

    assert [entry.path for entry in second.list_artifacts(run_id, "model")] == ["model/weights.bin"]
    downloaded = Path(second.download_artifacts(run_id, "model/weights.bin", str(tmp_path / "out")))
    assert downloaded.read_bytes() == payload


def test_an_alias_set_on_one_replica_resolves_on_the_other(replicas: list[str]) -> None:
    first, second = (MlflowClient(tracking_uri=url) for url in replicas)
    experiment_id = first.create_experiment(f"registry-{uuid.uuid4().hex}")
    run_id = first.create_run(experiment_id).info.run_id
    name = f"replicated-model-{uuid.uuid4().hex[:8]}"
    first.create_registered_model(name)
    version = first.create_model_version(name, f"runs:/{run_id}/model", run_id=run_id)

    second.set_registered_model_alias(name, "champion", version.version)

    assert first.get_model_version_by_alias(name, "champion").version == version.version
