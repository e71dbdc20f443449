"""Model URIs as ``shipyard.pyfunc.load_model`` resolves them against a live server.

Every package here is a tiny generic Python model that adds a known offset to column ``a``, so
the offset a loaded model applies tells which package a URI resolved to.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from mlflow import MlflowClient

import shipyard.pyfunc
import shipyard.xgboost
from shipyard import fluent
from shipyard.domain.errors import InvalidParameter, NotFound, ShipyardError
from shipyard.models.mlmodel import read_mlmodel

FRAME = pd.DataFrame({"a": [1.0, 2.0, 4.0]})
UNKNOWN_ID = "0123456789abcdef0123456789abcdef"
STAGES_DEPRECATED = pytest.mark.filterwarnings(
    "ignore:``mlflow.tracking.client.MlflowClient.transition_model_version_stage``:FutureWarning"
)


class Offset(shipyard.pyfunc.PythonModel):
    """Adds ``k`` to column ``a``."""

    def __init__(self, k: float) -> None:
        self.k = k

    def predict(self, context: Any, model_input: Any, params: Any = None) -> Any:
        return model_input["a"] + self.k


def offsets_of(model: shipyard.pyfunc.PyFuncModel) -> set[float]:
    """The offsets a loaded model applies (one value when it is an ``Offset``)."""
    return set((np.asarray(model.predict(FRAME)) - FRAME["a"].to_numpy()).tolist())


def offsets(model_uri: str) -> set[float]:
    """The offsets the model at ``model_uri`` applies."""
    return offsets_of(shipyard.pyfunc.load_model(model_uri))


@dataclass(frozen=True)
class Registered:
    """A registered model with two versions logged by one run: v1 adds 1, v2 adds 2."""

    name: str
    run_id: str
    model_ids: tuple[str, str]


@pytest.fixture
def registered(experiment_id: str, unique_name: Callable[[str], str]) -> Registered:
    name = unique_name("uris")
    with fluent.start_run(experiment_id=experiment_id) as run:
        first = shipyard.pyfunc.log_model("v1", python_model=Offset(1), registered_model_name=name)
        second = shipyard.pyfunc.log_model("v2", python_model=Offset(2), registered_model_name=name)
    assert (first.registered_model_version, second.registered_model_version) == (1, 2)
    return Registered(name, run.info.run_id, (first.model_id, second.model_id))


@pytest.fixture
def package(tmp_path: Path) -> Path:
    """A package on local disk that adds 3."""
    path = tmp_path / "offset-3"
    shipyard.pyfunc.save_model(path, Offset(3))
    return path


@pytest.fixture
def uploaded(package: Path, experiment_id: str) -> str:
    """A run holding ``package`` among its artifacts in the folder ``packaged``; its id."""
    with fluent.start_run(experiment_id=experiment_id) as run:
        fluent.log_artifacts(package, "packaged")
    return str(run.info.run_id)


# -- local packages ---------------------------------------------------------------------------


def test_a_local_path_loads_the_package_in_place(package: Path) -> None:
    model = shipyard.pyfunc.load_model(str(package))

    assert model.path == package
    assert offsets_of(model) == {3.0}


def test_a_file_uri_loads_the_local_package(package: Path) -> None:
    assert offsets(package.as_uri()) == {3.0}


def test_a_missing_local_path_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="nothing-here"):
        shipyard.pyfunc.load_model(str(tmp_path / "nothing-here"))


def test_a_file_uri_to_a_missing_folder_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="nothing-here"):
        shipyard.pyfunc.load_model((tmp_path / "nothing-here").as_uri())


# -- runs:/ -----------------------------------------------------------------------------------


def test_runs_uri_to_an_artifact_folder_loads_the_package_uploaded_there(uploaded: str) -> None:
    assert offsets(f"runs:/{uploaded}/packaged") == {3.0}


def test_runs_uri_to_an_artifact_folder_with_a_trailing_slash_loads_the_package(
    uploaded: str,
) -> None:
    assert offsets(f"runs:/{uploaded}/packaged/") == {3.0}


def test_runs_uri_with_a_logged_models_name_loads_that_logged_model(
    registered: Registered,
) -> None:
    assert offsets(f"runs:/{registered.run_id}/v2") == {2.0}


def test_runs_uri_loads_the_logged_model_of_that_run_not_a_namesake_of_another_run(
    experiment_id: str,
) -> None:
    with fluent.start_run(experiment_id=experiment_id) as first:
        shipyard.pyfunc.log_model("model", python_model=Offset(5))
    with fluent.start_run(experiment_id=experiment_id):
        shipyard.pyfunc.log_model("model", python_model=Offset(6))

    assert offsets(f"runs:/{first.info.run_id}/model") == {5.0}


def test_runs_uri_of_an_unknown_run_is_not_found() -> None:
    with pytest.raises(NotFound, match=UNKNOWN_ID):
        shipyard.pyfunc.load_model(f"runs:/{UNKNOWN_ID}/model")


def test_runs_uri_to_a_path_with_neither_package_nor_logged_model_is_not_found(
    uploaded: str,
) -> None:
    with pytest.raises(NotFound, match=f"No model at runs:/{uploaded}/elsewhere"):
        shipyard.pyfunc.load_model(f"runs:/{uploaded}/elsewhere")


# -- models:/ ---------------------------------------------------------------------------------


def test_models_uri_with_a_logged_model_id_loads_that_logged_model(
    registered: Registered,
) -> None:
    assert offsets(f"models:/{registered.model_ids[0]}") == {1.0}


def test_models_uri_with_a_version_number_loads_that_version(registered: Registered) -> None:
    assert offsets(f"models:/{registered.name}/1") == {1.0}


def test_models_uri_with_latest_loads_the_newest_version(registered: Registered) -> None:
    assert offsets(f"models:/{registered.name}/latest") == {2.0}


@STAGES_DEPRECATED
def test_models_uri_with_a_stage_loads_the_newest_version_in_that_stage(
    registered: Registered, client: MlflowClient
) -> None:
    client.transition_model_version_stage(registered.name, "1", "Staging")

    assert offsets(f"models:/{registered.name}/Staging") == {1.0}


@STAGES_DEPRECATED
def test_models_uri_stage_names_are_case_insensitive(
    registered: Registered, client: MlflowClient
) -> None:
    client.transition_model_version_stage(registered.name, "1", "Production")

    assert offsets(f"models:/{registered.name}/production") == {1.0}


def test_models_uri_with_a_stage_no_version_is_in_is_not_found(registered: Registered) -> None:
    with pytest.raises(NotFound, match="Production"):
        shipyard.pyfunc.load_model(f"models:/{registered.name}/Production")


def test_models_uri_with_an_alias_loads_the_aliased_version(
    registered: Registered, client: MlflowClient
) -> None:
    client.set_registered_model_alias(registered.name, "champion", "1")

    assert offsets(f"models:/{registered.name}@champion") == {1.0}


def test_models_uri_with_an_alias_follows_the_alias_when_it_moves(
    registered: Registered, client: MlflowClient
) -> None:
    client.set_registered_model_alias(registered.name, "champion", "1")
    before = offsets(f"models:/{registered.name}@champion")
    client.set_registered_model_alias(registered.name, "champion", "2")

    assert (before, offsets(f"models:/{registered.name}@champion")) == ({1.0}, {2.0})


def test_models_uri_of_a_version_registered_from_a_runs_source_loads_it(
    uploaded: str, client: MlflowClient, unique_name: Callable[[str], str]
) -> None:
    name = unique_name("uris-runs-source")
    client.create_registered_model(name)
    client.create_model_version(name, f"runs:/{uploaded}/packaged", run_id=uploaded)

    assert offsets(f"models:/{name}/1") == {3.0}


def test_models_uri_of_a_version_registered_from_an_artifact_location_loads_it(
    uploaded: str, client: MlflowClient, unique_name: Callable[[str], str]
) -> None:
    name = unique_name("uris-artifact-source")
    source = f"{client.get_run(uploaded).info.artifact_uri}/packaged"
    client.create_registered_model(name)
    client.create_model_version(name, source, run_id=uploaded)

    assert offsets(f"models:/{name}/1") == {3.0}


def test_a_package_downloaded_by_version_names_its_logged_model_and_run_in_its_mlmodel(
    registered: Registered,
) -> None:
    path = shipyard.pyfunc.load_model(f"models:/{registered.name}/1").path
    card = read_mlmodel(path)

    assert (card.model_id, card.run_id) == (registered.model_ids[0], registered.run_id)


def test_models_uri_takes_a_registered_model_name_with_a_percent_sign_as_written(
    experiment_id: str, unique_name: Callable[[str], str]
) -> None:
    # mlflow's client looks "models:/a%41b/1" up as the name "a%41b", not as "aAb".
    name = unique_name("percent%41")
    with fluent.start_run(experiment_id=experiment_id):
        shipyard.pyfunc.log_model("model", python_model=Offset(7), registered_model_name=name)

    assert offsets(f"models:/{name}/1") == {7.0}


def test_models_uri_of_an_unknown_logged_model_is_not_found() -> None:
    with pytest.raises(NotFound, match=f"m-{UNKNOWN_ID}"):
        shipyard.pyfunc.load_model(f"models:/m-{UNKNOWN_ID}")


def test_models_uri_of_an_unknown_registered_model_is_not_found(
    unique_name: Callable[[str], str],
) -> None:
    name = unique_name("never-registered")

    with pytest.raises(NotFound, match=name):
        shipyard.pyfunc.load_model(f"models:/{name}/1")


def test_models_uri_of_an_unknown_version_is_not_found(registered: Registered) -> None:
    with pytest.raises(NotFound, match="version=9"):
        shipyard.pyfunc.load_model(f"models:/{registered.name}/9")


def test_models_uri_with_an_unknown_alias_is_refused_naming_the_alias(
    registered: Registered,
) -> None:
    # MLflow's server answers INVALID_PARAMETER_VALUE for a missing alias, and so does Shipyard.
    with pytest.raises(InvalidParameter, match="no-such-alias"):
        shipyard.pyfunc.load_model(f"models:/{registered.name}@no-such-alias")


def test_models_uri_with_a_selector_that_is_no_version_stage_or_latest_is_refused(
    registered: Registered,
) -> None:
    with pytest.raises(InvalidParameter, match="'notastage' is neither a version number"):
        shipyard.pyfunc.load_model(f"models:/{registered.name}/notastage")


def test_models_uri_without_a_selector_is_refused(registered: Registered) -> None:
    with pytest.raises(InvalidParameter, match=r"models:/<name>/<version>"):
        shipyard.pyfunc.load_model(f"models:/{registered.name}")


# -- mlflow-artifacts:/ -----------------------------------------------------------------------


def test_mlflow_artifacts_uri_of_a_run_folder_loads_the_package_there(
    uploaded: str, client: MlflowClient
) -> None:
    artifact_uri = client.get_run(uploaded).info.artifact_uri

    assert artifact_uri.startswith("mlflow-artifacts:/")
    assert offsets(f"{artifact_uri}/packaged") == {3.0}


def test_mlflow_artifacts_uri_of_a_logged_model_loads_it(
    experiment_id: str,
) -> None:
    with fluent.start_run(experiment_id=experiment_id):
        info = shipyard.pyfunc.log_model("model", python_model=Offset(4))

    assert offsets(info.artifact_uri) == {4.0}


def test_mlflow_artifacts_uri_with_the_servers_host_and_port_loads_the_package(
    uploaded: str, client: MlflowClient, tracking_server: str
) -> None:
    path = client.get_run(uploaded).info.artifact_uri.removeprefix("mlflow-artifacts:")
    host_and_port = tracking_server.removeprefix("http://")

    assert offsets(f"mlflow-artifacts://{host_and_port}{path}/packaged") == {3.0}


def test_mlflow_artifacts_uri_naming_another_server_is_not_loaded_from_this_one(
    uploaded: str, client: MlflowClient
) -> None:
    # The same path on this server holds a package, so loading it would be the wrong model.
    path = client.get_run(uploaded).info.artifact_uri.removeprefix("mlflow-artifacts:")

    with pytest.raises(ShipyardError):
        shipyard.pyfunc.load_model(f"mlflow-artifacts://127.0.0.1:1{path}/packaged")


def test_mlflow_artifacts_uri_of_an_empty_location_is_not_found(
    unique_name: Callable[[str], str],
) -> None:
    location = f"mlflow-artifacts:/{unique_name('nothing-stored-here')}"

    with pytest.raises(NotFound, match=location.removeprefix("mlflow-artifacts:/")):
        shipyard.pyfunc.load_model(location)


# -- other schemes ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "model_uri",
    ["s3://bucket/models/m", "http://models.example.com/m", "https://models.example.com/m"],
)
def test_a_uri_with_an_unsupported_scheme_is_refused(model_uri: str) -> None:
    with pytest.raises(InvalidParameter, match=f"Cannot load a model from '{model_uri}'"):
        shipyard.pyfunc.load_model(model_uri)


# -- lazy imports -----------------------------------------------------------------------------


@pytest.fixture
def xgboost_model(experiment_id: str, unique_name: Callable[[str], str]) -> tuple[str, list[float]]:
    """A registered XGBoost classifier (version 1) and its predictions on ``FRAME``."""
    import xgboost as xgb

    rng = np.random.default_rng(3)
    x = pd.DataFrame(rng.random((40, 1)), columns=["a"])
    model = xgb.XGBClassifier(n_estimators=2, max_depth=2, n_jobs=1).fit(x, (x["a"] > 0.5))
    name = unique_name("uris-xgboost")
    with fluent.start_run(experiment_id=experiment_id):
        shipyard.xgboost.log_model(model, "model", registered_model_name=name)
    return name, model.predict(FRAME / 4).tolist()


LIBRARIES = ("xgboost", "torch", "lightgbm", "mlflow")


def _in_fresh_interpreter(code: str, tracking_server: str) -> dict[str, Any]:
    """Run ``code`` in a new interpreter pointed at the server; return the JSON it prints."""
    env = {**os.environ, "MLFLOW_TRACKING_URI": tracking_server}
    env.pop("SHIPYARD_TRACKING_URI", None)
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    loaded: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return loaded


@pytest.mark.parametrize("loader", ["shipyard.pyfunc.load_model", "shipyard.xgboost.load_model"])
def test_loading_an_xgboost_model_by_uri_imports_neither_torch_lightgbm_nor_mlflow(
    xgboost_model: tuple[str, list[float]], tracking_server: str, loader: str
) -> None:
    name, expected = xgboost_model
    found = _in_fresh_interpreter(
        f"""
        import json, sys
        import pandas as pd
        import shipyard.pyfunc, shipyard.xgboost
        model = {loader}("models:/{name}/1")
        predictions = model.predict(pd.DataFrame({{"a": {(FRAME["a"] / 4).tolist()!r}}}))
        print(json.dumps({{
            "predictions": [int(p) for p in predictions],
            "modules": sorted(m for m in {LIBRARIES!r} if m in sys.modules),
        }}))
        """,
        tracking_server,
    )

    assert found["predictions"] == [int(p) for p in expected]
    assert found["modules"] == ["xgboost"]
