"""Models cross between the clients through a live server, with real libraries, both ways.

``mlflow.<flavor>.log_model`` logs and registers, ``MlflowClient`` aliases, and Shipyard loads
(``shipyard.pyfunc`` and ``shipyard.<flavor>``); then ``shipyard.<flavor>.log_model`` logs and
registers, and ``mlflow.pyfunc`` (and ``mlflow.<flavor>``) loads by version, run and model id.
Every model is trained here on sixty rows, and its loaded copy must predict exactly what the
original predicts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import lightgbm as lgb
import mlflow
import mlflow.lightgbm
import mlflow.pyfunc
import mlflow.pytorch
import mlflow.sklearn
import mlflow.xgboost
import numpy as np
import pandas as pd
import pytest
import torch
import xgboost as xgb
from mlflow import MlflowClient
from sklearn.linear_model import LogisticRegression

import shipyard.lightgbm
import shipyard.pyfunc
import shipyard.pytorch
import shipyard.sklearn
import shipyard.xgboost
from shipyard import fluent
from shipyard.domain.entities import RunStatus

pytestmark = [
    pytest.mark.compat,
    # MLflow's own hint when it infers a signature from integer predictions: not our concern.
    pytest.mark.filterwarnings("ignore:Hint. Inferred schema contains integer"),
]

FEATURES = pd.DataFrame(np.random.default_rng(7).random((60, 3)), columns=["a", "b", "c"])
LABELS = (FEATURES["a"] + FEATURES["b"] > 1).astype(int)


@pytest.fixture(autouse=True)
def shipyard_fluent(tracking_server: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Shipyard's fluent API (and so its loaders) on the live server, with no run active."""
    monkeypatch.delenv("SHIPYARD_TRACKING_URI", raising=False)
    monkeypatch.setattr(fluent, "_experiment_id", None)
    fluent.set_tracking_uri(tracking_server)
    yield
    while fluent.active_run() is not None:
        fluent.end_run(RunStatus.KILLED)
    fluent.set_tracking_uri(None)


# -- the models -------------------------------------------------------------------------------


class ShipyardScaler(shipyard.pyfunc.PythonModel):
    """A generic Python model written against Shipyard's base class."""

    def predict(self, context: Any, model_input: Any, params: Any = None) -> Any:
        return model_input["a"] * 2.5 - model_input["c"]


class MlflowScaler(mlflow.pyfunc.PythonModel):
    """The same model written against MLflow's base class (what ``mlflow`` users log)."""

    def predict(self, context: Any, model_input: pd.DataFrame, params: Any = None) -> pd.Series:
        return model_input["a"] * 2.5 - model_input["c"]


class ShipyardFactor(shipyard.pyfunc.PythonModel):
    """A generic Python model that reads its factor from an artifact when loaded."""

    def load_context(self, context: Any) -> None:
        self.factor = float(Path(context.artifacts["factor"]).read_text())

    def predict(self, context: Any, model_input: Any, params: Any = None) -> Any:
        return model_input["a"] * self.factor


class MlflowFactor(mlflow.pyfunc.PythonModel):
    """The same, against MLflow's base class."""

    def load_context(self, context: Any) -> None:
        self.factor = float(Path(context.artifacts["factor"]).read_text())

    def predict(self, context: Any, model_input: pd.DataFrame, params: Any = None) -> pd.Series:
        return model_input["a"] * self.factor


class PlainScaler:
    """No base class: just an object with ``predict``."""

    def predict(self, model_input: Any) -> Any:
        return model_input["a"] * 2.5 - model_input["c"]


def scale(model_input: Any) -> Any:
    """A function as a model."""
    return model_input["a"] * 2.5 - model_input["c"]


def _sklearn() -> Any:
    return LogisticRegression().fit(FEATURES, LABELS)


def _xgboost_booster() -> Any:
    params = {"objective": "binary:logistic", "max_depth": 2, "nthread": 1}
    return xgb.train(params, xgb.DMatrix(FEATURES, label=LABELS), num_boost_round=5)


def _xgboost_classifier() -> Any:
    return xgb.XGBClassifier(n_estimators=5, max_depth=2, n_jobs=1).fit(FEATURES, LABELS)


def _lightgbm_booster() -> Any:
    params = {"objective": "binary", "num_leaves": 4, "verbose": -1, "num_threads": 1}
    return lgb.train(params, lgb.Dataset(FEATURES, LABELS), num_boost_round=5)


def _lightgbm_classifier() -> Any:
    return lgb.LGBMClassifier(n_estimators=5, num_leaves=4, verbose=-1, n_jobs=1).fit(
        FEATURES, LABELS
    )


def _pytorch() -> Any:
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    x = torch.from_numpy(np.array(FEATURES, dtype=np.float32))
    y = torch.tensor(LABELS.to_numpy(), dtype=torch.float32)
    for _ in range(5):
        optimizer.zero_grad()
        torch.nn.functional.binary_cross_entropy_with_logits(net(x).squeeze(1), y).backward()
        optimizer.step()
    return net.eval()


def _predict_native(model: Any, data: Any) -> np.ndarray:
    """What the framework's own object predicts (the reference every load must match)."""
    if isinstance(model, torch.nn.Module):
        with torch.no_grad():
            return model(torch.from_numpy(data)).numpy()
    if isinstance(model, (shipyard.pyfunc.PythonModel, mlflow.pyfunc.PythonModel)):
        return np.asarray(model.predict(None, data))
    if callable(model) and not hasattr(model, "predict"):
        return np.asarray(model(data))
    if isinstance(model, xgb.Booster):
        return model.predict(xgb.DMatrix(data))
    return np.asarray(model.predict(data))


@dataclass(frozen=True)
class Flavor:
    """How to train, log and load one kind of model with each client."""

    id: str
    train: Callable[[], Any]
    shipyard_module: ModuleType
    mlflow_module: ModuleType
    mlflow_options: dict[str, Any] = field(default_factory=dict)
    tensor_input: bool = False

    def data(self) -> Any:
        return np.array(FEATURES, dtype=np.float32) if self.tensor_input else FEATURES

    def mlflow_log(self, model: Any, **options: Any) -> Any:
        if self.mlflow_module is mlflow.pyfunc:
            return mlflow.pyfunc.log_model(python_model=model, **options, **self.mlflow_options)
        return self.mlflow_module.log_model(model, **options, **self.mlflow_options)

    def shipyard_log(self, model: Any, name: str, **options: Any) -> Any:
        if self.shipyard_module is shipyard.pyfunc:
            return shipyard.pyfunc.log_model(name, python_model=model, **options)
        return self.shipyard_module.log_model(model, name, **options)


# MLflow 3 saves scikit-learn models with skops by default; cloudpickle is the older format.
SKLEARN = Flavor("sklearn", _sklearn, shipyard.sklearn, mlflow.sklearn)
SKLEARN_CLOUDPICKLE = Flavor(
    "sklearn-cloudpickle",
    _sklearn,
    shipyard.sklearn,
    mlflow.sklearn,
    {"serialization_format": "cloudpickle"},
)
XGBOOST_BOOSTER = Flavor("xgboost-booster", _xgboost_booster, shipyard.xgboost, mlflow.xgboost)
XGBOOST_CLASSIFIER = Flavor(
    "xgboost-classifier", _xgboost_classifier, shipyard.xgboost, mlflow.xgboost
)
LIGHTGBM_BOOSTER = Flavor("lightgbm-booster", _lightgbm_booster, shipyard.lightgbm, mlflow.lightgbm)
LIGHTGBM_CLASSIFIER = Flavor(
    "lightgbm-classifier", _lightgbm_classifier, shipyard.lightgbm, mlflow.lightgbm
)
# MLflow 3 exports PyTorch models as pt2 by default; the pickle format is the older layout
# (and the one Shipyard writes).
PYTORCH = Flavor("pytorch", _pytorch, shipyard.pytorch, mlflow.pytorch, tensor_input=True)
PYTORCH_PICKLE = Flavor(
    "pytorch-pickle",
    _pytorch,
    shipyard.pytorch,
    mlflow.pytorch,
    {"serialization_format": "pickle"},
    tensor_input=True,
)
PYTHON_SUBCLASS = Flavor("python-model-subclass", ShipyardScaler, shipyard.pyfunc, mlflow.pyfunc)
PYTHON_PLAIN = Flavor("python-plain-object", PlainScaler, shipyard.pyfunc, mlflow.pyfunc)
PYTHON_FUNCTION = Flavor("python-function", lambda: scale, shipyard.pyfunc, mlflow.pyfunc)
PYTHON_MLFLOW = Flavor("python-model-of-mlflow", MlflowScaler, shipyard.pyfunc, mlflow.pyfunc)

NATIVE = [
    SKLEARN,
    SKLEARN_CLOUDPICKLE,
    XGBOOST_BOOSTER,
    XGBOOST_CLASSIFIER,
    LIGHTGBM_BOOSTER,
    LIGHTGBM_CLASSIFIER,
    PYTORCH,
    PYTORCH_PICKLE,
]
# What the mlflow client logs: every framework, and the Python model it can take.
LOGGED_BY_MLFLOW = [*NATIVE, PYTHON_MLFLOW]
# What Shipyard logs: one format per framework, and any object with predict or a function.
LOGGED_BY_SHIPYARD = [f for f in NATIVE if not f.mlflow_options] + [
    PYTHON_SUBCLASS,
    PYTHON_PLAIN,
    PYTHON_FUNCTION,
]
NATIVE_LOGGED_BY_SHIPYARD = [f for f in LOGGED_BY_SHIPYARD if f in NATIVE]


def _ids(flavors: list[Flavor]) -> list[Any]:
    return [pytest.param(f, id=f.id) for f in flavors]


def assert_same_predictions(actual: Any, expected: Any) -> None:
    np.testing.assert_array_equal(np.asarray(actual), np.asarray(expected))


# -- mlflow logs, Shipyard loads --------------------------------------------------------------


@dataclass(frozen=True)
class Logged:
    """A model, and the registered name under which a client logged it."""

    model: Any
    name: str
    version: int


def _log_with_mlflow(flavor: Flavor, experiment_id: str, name: str) -> Logged:
    model = flavor.train()
    with mlflow.start_run(experiment_id=experiment_id):
        info = flavor.mlflow_log(
            model,
            name="model",
            registered_model_name=name,
            input_example=flavor.data()[:3],
            # Skips MLflow's requirement inference, a slow subprocess that is not under test.
            pip_requirements=["mlflow"],
        )
    return Logged(model, name, int(info.registered_model_version))


@pytest.fixture
def mlflow_champion(
    request: pytest.FixtureRequest,
    client: MlflowClient,
    experiment_id: str,
    unique_name: Callable[[str], str],
) -> tuple[Flavor, Logged]:
    """The flavor's model logged and registered by ``mlflow``, its version aliased @champion."""
    flavor: Flavor = request.param
    logged = _log_with_mlflow(flavor, experiment_id, unique_name(f"from-mlflow-{flavor.id}"))
    client.set_registered_model_alias(logged.name, "champion", str(logged.version))
    return flavor, logged


@pytest.mark.parametrize("mlflow_champion", _ids(LOGGED_BY_MLFLOW), indirect=True)
def test_shipyard_pyfunc_loads_the_mlflow_logged_champion_with_identical_predictions(
    mlflow_champion: tuple[Flavor, Logged],
) -> None:
    flavor, logged = mlflow_champion

    loaded = shipyard.pyfunc.load_model(f"models:/{logged.name}@champion")

    assert_same_predictions(
        loaded.predict(flavor.data()), _predict_native(logged.model, flavor.data())
    )


@pytest.mark.parametrize("mlflow_champion", _ids(NATIVE), indirect=True)
def test_the_shipyard_flavor_loads_the_mlflow_logged_champion_with_identical_predictions(
    mlflow_champion: tuple[Flavor, Logged],
) -> None:
    flavor, logged = mlflow_champion

    native = flavor.shipyard_module.load_model(f"models:/{logged.name}@champion")

    assert_same_predictions(
        _predict_native(native, flavor.data()), _predict_native(logged.model, flavor.data())
    )


# A pt2 export loads as the exported graph, not as the original module class.
@pytest.mark.parametrize(
    "mlflow_champion", _ids([f for f in NATIVE if f is not PYTORCH]), indirect=True
)
def test_the_shipyard_flavor_returns_the_mlflow_logged_models_own_class(
    mlflow_champion: tuple[Flavor, Logged],
) -> None:
    flavor, logged = mlflow_champion

    native = flavor.shipyard_module.load_model(f"models:/{logged.name}@champion")

    assert type(native) is type(logged.model)


def test_shipyard_loads_the_mlflow_logged_version_the_alias_names_not_the_newest(
    client: MlflowClient, experiment_id: str, unique_name: Callable[[str], str]
) -> None:
    name = unique_name("from-mlflow-alias")
    champion = _log_with_mlflow(SKLEARN, experiment_id, name)
    with mlflow.start_run(experiment_id=experiment_id):
        mlflow.sklearn.log_model(
            LogisticRegression().fit(FEATURES, 1 - LABELS),
            name="model",
            registered_model_name=name,
            pip_requirements=["mlflow"],
        )
    client.set_registered_model_alias(name, "champion", str(champion.version))

    loaded = shipyard.pyfunc.load_model(f"models:/{name}@champion")

    assert_same_predictions(loaded.predict(FEATURES), champion.model.predict(FEATURES))


@pytest.mark.parametrize("form", ["run-and-name", "logged-model-id"])
def test_shipyard_pyfunc_loads_an_mlflow_logged_model_by_run_or_model_id(
    experiment_id: str, form: str
) -> None:
    model = SKLEARN.train()
    with mlflow.start_run(experiment_id=experiment_id) as run:
        info = mlflow.sklearn.log_model(model, name="model", pip_requirements=["mlflow"])
    uri = f"runs:/{run.info.run_id}/model" if form == "run-and-name" else info.model_uri

    loaded = shipyard.pyfunc.load_model(uri)

    assert_same_predictions(loaded.predict(FEATURES), model.predict(FEATURES))


@pytest.fixture
def factor_file(tmp_path: Path) -> Path:
    """An artifact holding a Python model's factor; tests delete it before loading."""
    path = tmp_path / "factor.txt"
    path.write_text("2.5")
    return path


def test_shipyard_loads_an_mlflow_logged_python_model_with_the_artifacts_it_packaged(
    client: MlflowClient,
    experiment_id: str,
    unique_name: Callable[[str], str],
    factor_file: Path,
) -> None:
    name = unique_name("from-mlflow-artifacts")
    with mlflow.start_run(experiment_id=experiment_id):
        mlflow.pyfunc.log_model(
            name="model",
            python_model=MlflowFactor(),
            artifacts={"factor": str(factor_file)},
            input_example=FEATURES.head(3),
            registered_model_name=name,
            pip_requirements=["mlflow"],
        )
    client.set_registered_model_alias(name, "champion", "1")
    factor_file.unlink()

    loaded = shipyard.pyfunc.load_model(f"models:/{name}@champion")

    assert_same_predictions(loaded.predict(FEATURES), FEATURES["a"] * 2.5)


# -- Shipyard logs, mlflow loads --------------------------------------------------------------


@dataclass(frozen=True)
class ShipyardLogged:
    """A model logged and registered by Shipyard, and the ways to name it."""

    flavor: Flavor
    model: Any
    name: str
    version: int | None
    run_id: str
    model_uri: str


@pytest.fixture
def shipyard_logged(
    request: pytest.FixtureRequest, experiment_id: str, unique_name: Callable[[str], str]
) -> ShipyardLogged:
    """The flavor's model logged by ``shipyard.<flavor>.log_model`` in a fluent run."""
    flavor: Flavor = request.param
    model = flavor.train()
    name = unique_name(f"from-shipyard-{flavor.id}")
    with fluent.start_run(experiment_id=experiment_id) as run:
        info = flavor.shipyard_log(
            model, "model", input_example=flavor.data()[:3], registered_model_name=name
        )
    return ShipyardLogged(
        flavor, model, name, info.registered_model_version, run.info.run_id, info.model_uri
    )


def _uri(logged: ShipyardLogged, form: str) -> str:
    return {
        "registered-version": f"models:/{logged.name}/{logged.version}",
        "run-and-name": f"runs:/{logged.run_id}/model",
        "logged-model-id": logged.model_uri,
    }[form]


@pytest.mark.parametrize("form", ["registered-version", "run-and-name", "logged-model-id"])
@pytest.mark.parametrize("shipyard_logged", _ids(LOGGED_BY_SHIPYARD), indirect=True)
def test_mlflow_pyfunc_loads_the_shipyard_logged_model_with_identical_predictions(
    shipyard_logged: ShipyardLogged, form: str
) -> None:
    data = shipyard_logged.flavor.data()

    loaded = mlflow.pyfunc.load_model(_uri(shipyard_logged, form))

    assert_same_predictions(loaded.predict(data), _predict_native(shipyard_logged.model, data))


@pytest.mark.parametrize("shipyard_logged", _ids(NATIVE_LOGGED_BY_SHIPYARD), indirect=True)
def test_the_mlflow_flavor_loads_the_shipyard_logged_model_with_identical_predictions(
    shipyard_logged: ShipyardLogged,
) -> None:
    data = shipyard_logged.flavor.data()

    native = shipyard_logged.flavor.mlflow_module.load_model(
        _uri(shipyard_logged, "registered-version")
    )

    assert_same_predictions(
        _predict_native(native, data), _predict_native(shipyard_logged.model, data)
    )


def test_mlflow_loads_a_shipyard_logged_python_model_with_the_artifacts_it_packaged(
    experiment_id: str, unique_name: Callable[[str], str], factor_file: Path
) -> None:
    name = unique_name("from-shipyard-artifacts")
    with fluent.start_run(experiment_id=experiment_id):
        shipyard.pyfunc.log_model(
            "model",
            python_model=ShipyardFactor(),
            artifacts={"factor": str(factor_file)},
            input_example=FEATURES.head(3),
            registered_model_name=name,
        )
    factor_file.unlink()

    loaded = mlflow.pyfunc.load_model(f"models:/{name}/1")

    assert_same_predictions(loaded.predict(FEATURES), FEATURES["a"] * 2.5)
