"""The XGBoost flavor, both ways, in XGBoost's native formats."""

from __future__ import annotations

from pathlib import Path

import mlflow.pyfunc
import mlflow.xgboost
import numpy as np
import pandas as pd
import pytest
import xgboost as xgb

from shipyard.domain.errors import InvalidParameter
from shipyard.models import pyfunc
from shipyard.models.flavors import xgboost as shipyard_xgboost
from shipyard.models.mlmodel import read_mlmodel

pytestmark = pytest.mark.filterwarnings("ignore:Hint. Inferred schema contains integer")


@pytest.fixture
def classifier(features: pd.DataFrame, labels: pd.Series) -> xgb.XGBClassifier:
    return xgb.XGBClassifier(n_estimators=5, max_depth=2, n_jobs=1).fit(features, labels)


@pytest.fixture
def booster(features: pd.DataFrame, labels: pd.Series) -> xgb.Booster:
    return xgb.train(
        {"max_depth": 2, "nthread": 1}, xgb.DMatrix(features, labels), num_boost_round=5
    )


def test_shipyard_loads_what_it_saved_with_identical_predictions(
    tmp_path: Path, classifier: xgb.XGBClassifier, features: pd.DataFrame
) -> None:
    shipyard_xgboost.save_model(classifier, tmp_path / "m", input_example=features.head(3))
    loaded = pyfunc.load_model(tmp_path / "m")
    np.testing.assert_array_equal(loaded.predict(features), classifier.predict(features))


def test_the_native_load_rebuilds_the_saved_class(
    tmp_path: Path, classifier: xgb.XGBClassifier, features: pd.DataFrame
) -> None:
    shipyard_xgboost.save_model(classifier, tmp_path / "m")
    model = shipyard_xgboost.load_model(tmp_path / "m")
    assert type(model) is xgb.XGBClassifier
    np.testing.assert_array_equal(model.predict_proba(features), classifier.predict_proba(features))


@pytest.mark.parametrize("model_format", ["ubj", "json"])
def test_a_booster_round_trips_in_either_native_format(
    tmp_path: Path, booster: xgb.Booster, features: pd.DataFrame, model_format: str
) -> None:
    shipyard_xgboost.save_model(booster, tmp_path / "m", model_format=model_format)
    assert (tmp_path / "m" / f"model.{model_format}").is_file()
    loaded = pyfunc.load_model(tmp_path / "m")
    np.testing.assert_array_equal(loaded.predict(features), booster.predict(xgb.DMatrix(features)))


def test_mlflow_pyfunc_loads_what_shipyard_saved(
    tmp_path: Path, classifier: xgb.XGBClassifier, features: pd.DataFrame
) -> None:
    shipyard_xgboost.save_model(classifier, tmp_path / "m", input_example=features.head(3))
    loaded = mlflow.pyfunc.load_model(str(tmp_path / "m"))
    np.testing.assert_array_equal(loaded.predict(features), classifier.predict(features))


def test_mlflow_xgboost_loads_what_shipyard_saved(
    tmp_path: Path, classifier: xgb.XGBClassifier, features: pd.DataFrame
) -> None:
    shipyard_xgboost.save_model(classifier, tmp_path / "m")
    model = mlflow.xgboost.load_model(str(tmp_path / "m"))
    assert type(model) is xgb.XGBClassifier
    np.testing.assert_array_equal(model.predict(features), classifier.predict(features))


def test_shipyard_loads_what_mlflow_saved(
    tmp_path: Path, classifier: xgb.XGBClassifier, features: pd.DataFrame
) -> None:
    mlflow.xgboost.save_model(
        classifier,
        str(tmp_path / "m"),
        input_example=features.head(3),
        pip_requirements=["xgboost"],
    )
    loaded = pyfunc.load_model(tmp_path / "m")
    np.testing.assert_array_equal(loaded.predict(features), classifier.predict(features))


def test_shipyard_loads_a_booster_mlflow_saved_as_json(
    tmp_path: Path, booster: xgb.Booster, features: pd.DataFrame
) -> None:
    mlflow.xgboost.save_model(
        booster, str(tmp_path / "m"), model_format="json", pip_requirements=["xgboost"]
    )
    model = shipyard_xgboost.load_model(tmp_path / "m")
    np.testing.assert_array_equal(
        model.predict(xgb.DMatrix(features)), booster.predict(xgb.DMatrix(features))
    )


def test_the_package_records_the_format_and_class(
    tmp_path: Path, classifier: xgb.XGBClassifier
) -> None:
    shipyard_xgboost.save_model(classifier, tmp_path / "m")
    conf = read_mlmodel(tmp_path / "m").flavor("xgboost")
    assert conf["data"] == "model.ubj"
    assert conf["model_format"] == "ubj"
    assert conf["model_class"] == "xgboost.sklearn.XGBClassifier"
    assert conf["xgb_version"] == xgb.__version__


def test_a_model_class_outside_xgboost_is_refused(
    tmp_path: Path, classifier: xgb.XGBClassifier
) -> None:
    shipyard_xgboost.save_model(classifier, tmp_path / "m")
    mlmodel = read_mlmodel(tmp_path / "m")
    mlmodel.flavors["xgboost"]["model_class"] = "subprocess.Popen"
    mlmodel.save(tmp_path / "m")
    with pytest.raises(InvalidParameter, match=r"'subprocess\.Popen' is not an XGBoost class"):
        shipyard_xgboost.load_model(tmp_path / "m")
