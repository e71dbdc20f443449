"""``shipyard models`` against a live server, on a model registered by ``mlflow.sklearn``."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from mlflow import MlflowClient
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException

# conftest.LiveServer: .url, .backend_store_uri, .artifacts_destination
LiveServer = Any
Shipyard = Callable[..., Result]
Models = Callable[..., Result]


@contextmanager
def mlflow_pointed_at(url: str) -> Iterator[None]:
    """The mlflow fluent API (tracking and registry) on ``url`` for a while, failing fast."""
    import mlflow

    with pytest.MonkeyPatch.context() as env:
        env.setenv("MLFLOW_TRACKING_URI", url)
        env.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
        env.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
        # The registry follows the tracking URI; mlflow.set_registry_uri would also write
        # MLFLOW_REGISTRY_URI into os.environ, where it outlives this block.
        mlflow.set_tracking_uri(url)
        try:
            yield
        finally:
            mlflow.set_tracking_uri(None)


@pytest.fixture(scope="module")
def registered(live_server: LiveServer) -> ModelVersion:
    """Version 1 of a model logged and registered by ``mlflow.sklearn.log_model``; read only."""
    import mlflow
    import mlflow.sklearn
    import numpy as np
    from sklearn.linear_model import LinearRegression

    features = np.arange(20, dtype=float).reshape(-1, 2)
    model = LinearRegression().fit(features, features.sum(axis=1))
    name = f"sk-{uuid.uuid4().hex[:8]}"
    with mlflow_pointed_at(live_server.url), mlflow.start_run():
        mlflow.sklearn.log_model(
            model,
            name="model",
            registered_model_name=name,
            pip_requirements=["scikit-learn"],  # skips the slow requirement inference
        )
    return MlflowClient(tracking_uri=live_server.url).get_model_version(name, "1")


@pytest.fixture
def client(live_server: LiveServer) -> MlflowClient:
    return MlflowClient(tracking_uri=live_server.url)


@pytest.fixture
def fresh(client: MlflowClient, registered: ModelVersion) -> str:
    """A model of this test's own with versions 1 and 2, made from the registered files."""
    name = f"m-{uuid.uuid4().hex[:8]}"
    client.create_registered_model(name)
    for _ in range(2):
        client.create_model_version(name, registered.source, run_id=registered.run_id)
    return name


@pytest.fixture
def models(shipyard: Shipyard, live_server: LiveServer) -> Models:
    """``models(subcommand, *args)``: ``shipyard models`` on the live server."""

    def invoke(subcommand: str, *args: str) -> Result:
        return shipyard("models", subcommand, "--tracking-uri", live_server.url, *args)

    return invoke


def ok(result: Result) -> Result:
    assert result.exit_code == 0, result.output
    return result


def json_of(result: Result) -> Any:
    return json.loads(ok(result).stdout)


def read_tree(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


# -- list ---------------------------------------------------------------------------------------


def test_models_list_table_shows_the_model_with_its_latest_version(
    models: Models, registered: ModelVersion
) -> None:
    result = ok(models("list"))

    row = next(line for line in result.stdout.splitlines() if registered.name in line)
    assert row.split()[:2] == [registered.name, "1"]


def test_models_list_table_shows_the_aliases_of_a_model(
    models: Models, client: MlflowClient, fresh: str
) -> None:
    client.set_registered_model_alias(fresh, "champion", "2")

    result = ok(models("list", "--filter", f"name = '{fresh}'"))

    assert "@champion=v2" in result.stdout


def test_models_list_json_is_a_list_of_the_servers_model_objects(
    models: Models, registered: ModelVersion
) -> None:
    found = json_of(models("list", "-o", "json"))

    model = next(m for m in found if m["name"] == registered.name)
    assert [v["version"] for v in model["latest_versions"]] == ["1"]


def test_models_list_filter_limits_the_models_listed(
    models: Models, registered: ModelVersion, fresh: str
) -> None:
    found = json_of(models("list", "--filter", f"name = '{fresh}'", "-o", "json"))

    assert [m["name"] for m in found] == [fresh]


# -- versions -----------------------------------------------------------------------------------


def test_models_versions_table_shows_the_aliases_of_each_version(
    models: Models, client: MlflowClient, fresh: str
) -> None:
    client.set_registered_model_alias(fresh, "champion", "1")
    client.set_registered_model_alias(fresh, "challenger", "2")

    result = ok(models("versions", fresh))

    lines = result.stdout.splitlines()
    assert any(line.split()[:2] == ["1", "champion"] for line in lines), result.stdout
    assert any(line.split()[:2] == ["2", "challenger"] for line in lines), result.stdout


def test_models_versions_table_shows_the_stage_of_each_version(
    models: Models, client: MlflowClient, fresh: str
) -> None:
    client.transition_model_version_stage(fresh, "2", "Staging")

    result = ok(models("versions", fresh))

    assert "Staging" in result.stdout


def test_models_versions_table_shows_the_full_approval_status(models: Models, fresh: str) -> None:
    ok(models("approve", fresh, "2"))

    result = ok(models("versions", fresh))

    assert "Approved" in result.stdout
    assert "PendingManualApproval" in result.stdout


def test_models_versions_json_gives_the_approval_of_each_version(
    models: Models, fresh: str
) -> None:
    ok(models("reject", fresh, "1"))

    found = json_of(models("versions", fresh, "-o", "json"))

    assert {v["version"]: v["approval"]["status"] for v in found} == {
        "1": "Rejected",
        "2": "PendingManualApproval",
    }


def test_models_versions_lists_newest_first_after_an_older_version_changed(
    models: Models, fresh: str
) -> None:
    time.sleep(0.01)  # the change is then later than version 2's creation, to the millisecond
    ok(models("approve", fresh, "1"))

    found = json_of(models("versions", fresh, "-o", "json"))

    assert [v["version"] for v in found] == ["2", "1"]


def test_models_versions_json_gives_aliases_and_stage(
    models: Models, client: MlflowClient, fresh: str
) -> None:
    client.set_registered_model_alias(fresh, "champion", "1")

    found = json_of(models("versions", fresh, "-o", "json"))

    version_1 = next(v for v in found if v["version"] == "1")
    assert (version_1["aliases"], version_1["current_stage"]) == (["champion"], "None")


# -- aliases and their history ------------------------------------------------------------------


def test_models_set_alias_points_the_alias_at_the_version(
    models: Models, client: MlflowClient, fresh: str
) -> None:
    result = ok(models("set-alias", fresh, "champion", "2"))

    assert f"{fresh}@champion -> version 2" in result.stdout
    assert client.get_model_version_by_alias(fresh, "champion").version == "2"


def test_models_set_alias_moves_an_alias_that_exists(
    models: Models, client: MlflowClient, fresh: str
) -> None:
    ok(models("set-alias", fresh, "champion", "1"))

    ok(models("set-alias", fresh, "champion", "2"))

    assert client.get_model_version_by_alias(fresh, "champion").version == "2"


def test_models_delete_alias_removes_the_alias(
    models: Models, client: MlflowClient, fresh: str
) -> None:
    ok(models("set-alias", fresh, "champion", "1"))

    ok(models("delete-alias", fresh, "champion"))

    with pytest.raises(MlflowException, match="champion"):
        client.get_model_version_by_alias(fresh, "champion")


def test_models_set_alias_to_a_version_that_does_not_exist_fails_with_a_message(
    models: Models, fresh: str
) -> None:
    result = models("set-alias", fresh, "champion", "9")

    assert result.exit_code == 1
    assert "version=9" in result.stderr


def test_models_alias_history_json_gives_every_move_oldest_first(
    models: Models, fresh: str
) -> None:
    ok(models("set-alias", fresh, "champion", "1"))
    ok(models("set-alias", fresh, "champion", "2"))
    ok(models("delete-alias", fresh, "champion"))

    changes = json_of(models("alias-history", fresh, "-o", "json"))

    assert [(c["alias"], c["from_version"], c["to_version"]) for c in changes] == [
        ("champion", None, "1"),
        ("champion", "1", "2"),
        ("champion", "2", None),
    ]


def test_models_alias_history_json_gives_a_time_of_each_move(models: Models, fresh: str) -> None:
    before = int(time.time() * 1000)
    ok(models("set-alias", fresh, "champion", "1"))
    after = int(time.time() * 1000)

    (change,) = json_of(models("alias-history", fresh, "-o", "json"))

    assert before - 1000 <= change["timestamp"] <= after + 1000


def test_models_alias_history_table_marks_a_first_set_and_a_removal(
    models: Models, fresh: str
) -> None:
    ok(models("set-alias", fresh, "champion", "1"))
    ok(models("delete-alias", fresh, "champion"))

    result = ok(models("alias-history", fresh))

    moves = [line.split()[3:6] for line in result.stdout.splitlines() if "champion" in line]
    assert moves == [["champion", "-", "1"], ["champion", "1", "(removed)"]]


def test_models_alias_history_alias_option_gives_only_that_alias(
    models: Models, fresh: str
) -> None:
    ok(models("set-alias", fresh, "champion", "1"))
    ok(models("set-alias", fresh, "challenger", "2"))

    changes = json_of(models("alias-history", fresh, "--alias", "challenger", "-o", "json"))

    assert [(c["alias"], c["to_version"]) for c in changes] == [("challenger", "2")]


# -- approval -----------------------------------------------------------------------------------


def test_models_approval_of_a_new_version_is_pending(models: Models, fresh: str) -> None:
    (approval,) = json_of(models("approval", fresh, "1", "-o", "json"))

    assert approval["status"] == "PendingManualApproval"


def test_models_approve_records_the_status_and_comment(models: Models, fresh: str) -> None:
    (decision,) = json_of(models("approve", fresh, "2", "-m", "passed review", "-o", "json"))

    assert (decision["name"], decision["version"]) == (fresh, "2")
    assert (decision["status"], decision["comment"]) == ("Approved", "passed review")


def test_models_reject_records_the_status_and_comment(models: Models, fresh: str) -> None:
    ok(models("reject", fresh, "1", "--comment", "drifted"))

    (approval,) = json_of(models("approval", fresh, "1", "-o", "json"))

    assert (approval["status"], approval["comment"]) == ("Rejected", "drifted")


def test_models_approval_gives_the_time_of_the_decision(models: Models, fresh: str) -> None:
    before = int(time.time() * 1000)
    ok(models("approve", fresh, "1"))
    after = int(time.time() * 1000)

    (approval,) = json_of(models("approval", fresh, "1", "-o", "json"))

    assert before - 1000 <= approval["updated_timestamp"] <= after + 1000
    assert approval["updated"].endswith("UTC")


def test_models_approval_table_shows_status_and_comment(models: Models, fresh: str) -> None:
    ok(models("approve", fresh, "1", "-m", "ok"))

    result = ok(models("approval", fresh, "1"))

    assert "Approved" in result.stdout
    assert " ok" in result.stdout


def test_models_approval_decisions_are_per_version(models: Models, fresh: str) -> None:
    ok(models("approve", fresh, "2"))

    (approval,) = json_of(models("approval", fresh, "1", "-o", "json"))

    assert approval["status"] == "PendingManualApproval"


def test_models_reset_approval_puts_a_version_back_to_pending(models: Models, fresh: str) -> None:
    ok(models("approve", fresh, "1"))

    ok(models("reset-approval", fresh, "1"))

    (approval,) = json_of(models("approval", fresh, "1", "-o", "json"))
    assert approval["status"] == "PendingManualApproval"


# -- downloads ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def model_files(
    registered: ModelVersion, live_server: LiveServer, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, bytes]:
    """The registered version's files, as the mlflow client downloads them."""
    import mlflow.artifacts

    with mlflow_pointed_at(live_server.url):
        local = mlflow.artifacts.download_artifacts(
            f"models:/{registered.name}/1", dst_path=str(tmp_path_factory.mktemp("via-mlflow"))
        )
    files = read_tree(Path(local))
    # the mlflow client writes this file itself, next to what it downloaded from a models:/ URI
    files.pop("registered_model_meta", None)
    return files


def test_models_download_by_version_gives_the_models_files(
    models: Models, registered: ModelVersion, model_files: dict[str, bytes], tmp_path: Path
) -> None:
    ok(models("download", f"{registered.name}/1", "--dst", str(tmp_path / "v1")))

    files = read_tree(tmp_path / "v1")
    assert "MLmodel" in files
    assert files == model_files


def test_models_download_by_alias_gives_the_models_files(
    models: Models,
    client: MlflowClient,
    fresh: str,
    model_files: dict[str, bytes],
    tmp_path: Path,
) -> None:
    client.set_registered_model_alias(fresh, "champion", "2")

    ok(models("download", f"{fresh}@champion", "--dst", str(tmp_path / "champion")))

    assert read_tree(tmp_path / "champion") == model_files


def test_models_download_by_name_alone_gives_the_newest_version(
    models: Models, registered: ModelVersion, model_files: dict[str, bytes], tmp_path: Path
) -> None:
    ok(models("download", registered.name, "--dst", str(tmp_path / "newest")))

    assert read_tree(tmp_path / "newest") == model_files


def test_models_download_json_lists_the_local_files(
    models: Models, registered: ModelVersion, model_files: dict[str, bytes], tmp_path: Path
) -> None:
    destination = tmp_path / "v1"

    rows = json_of(models("download", f"{registered.name}/1", "-d", str(destination), "-o", "json"))

    assert sorted(Path(r["downloaded"]) for r in rows) == sorted(
        destination / p for p in model_files
    )


def test_models_download_of_an_alias_that_does_not_exist_fails_with_a_message(
    models: Models, fresh: str, tmp_path: Path
) -> None:
    result = models("download", f"{fresh}@nobody", "--dst", str(tmp_path / "d"))

    assert result.exit_code == 1
    assert "nobody" in result.stderr
    assert not (tmp_path / "d").exists()


# -- unknown models -----------------------------------------------------------------------------

UNKNOWN = "no-such-model"


@pytest.mark.parametrize(
    "args",
    [
        ("versions", UNKNOWN),
        ("alias-history", UNKNOWN),
        ("set-alias", UNKNOWN, "champion", "1"),
        ("delete-alias", UNKNOWN, "champion"),
        ("approval", UNKNOWN, "1"),
        ("approve", UNKNOWN, "1"),
        ("download", f"{UNKNOWN}/1"),
        ("download", f"{UNKNOWN}@champion"),
    ],
    ids=[
        "versions",
        "alias-history",
        "set-alias",
        "delete-alias",
        "approval",
        "approve",
        "download-version",
        "download-alias",
    ],
)
def test_models_command_on_an_unknown_model_fails_with_a_message(
    models: Models, args: tuple[str, ...], tmp_path: Path
) -> None:
    extra = ("--dst", str(tmp_path / "d")) if args[0] == "download" else ()

    result = models(*args, *extra)

    assert result.exit_code == 1, result.output
    assert UNKNOWN in result.stderr
    assert "not found" in result.stderr
