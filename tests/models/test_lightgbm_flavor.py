"""The LightGBM flavor, both ways: Boosters in the native text format, LGBMModels pickled."""

from __future__ import annotations

from pathlib import Path

import lightgbm as lgb
import mlflow.lightgbm
import mlflow.pyfunc
import numpy as np
import pandas as pd
import pytest

from shipyard.models import pyfunc
from shipyard.models.flavors import lightgbm as shipyard_lightgbm
from shipyard.models.mlmodel import read_mlmodel

pytestmark = pytest.mark.filterwarnings("ignore:Hint. Inferred schema contains integer")


@pytest.fixture
def booster(features: pd.DataFrame, labels: pd.Series) -> lgb.Booster:
    params = {"objective": "binary", "num_leaves": 4, "verbose": -1, "num_threads": 1}
    return lgb.train(params, lgb.Dataset(features, labels), num_boost_round=5)


@pytest.fixture
def classifier(features: pd.DataFrame, labels: pd.Series) -> lgb.LGBMClassifier:
    return lgb.LGBMClassifier(n_estimators=5, num_leaves=4, verbose=-1, n_jobs=1).fit(
        features, labels
    )


def test_shipyard_loads_a_booster_it_saved_with_identical_predictions(
    tmp_path: Path, booster: lgb.Booster, features: pd.DataFrame
) -> None:
    shipyard_lightgbm.save_model(booster, tmp_path / "m", input_example=features.head(3))
    loaded = pyfunc.load_model(tmp_path / "m")
    np.testing.assert_array_equal(loaded.predict(features), booster.predict(features))


def test_a_booster_is_saved_in_lightgbms_text_format(tmp_path: Path, booster: lgb.Booster) -> None:
    shipyard_lightgbm.save_model(booster, tmp_path / "m")
    assert (tmp_path / "m" / "model.lgb").read_text().startswith("tree\n")
    conf = read_mlmodel(tmp_path / "m").flavor("lightgbm")
    assert conf["data"] == "model.lgb"
    assert conf["model_class"] == "lightgbm.basic.Booster"


def test_shipyard_loads_a_classifier_it_saved_with_identical_predictions(
    tmp_path: Path, classifier: lgb.LGBMClassifier, features: pd.DataFrame
) -> None:
    shipyard_lightgbm.save_model(classifier, tmp_path / "m", input_example=features.head(3))
    loaded = pyfunc.load_model(tmp_path / "m")
    np.testing.assert_array_equal(loaded.predict(features), classifier.predict(features))
    assert type(shipyard_lightgbm.load_model(tmp_path / "m")) is lgb.LGBMClassifier


def test_mlflow_pyfunc_loads_a_booster_shipyard_saved(
    tmp_path: Path, booster: lgb.Booster, features: pd.DataFrame
) -> None:
    shipyard_lightgbm.save_model(booster, tmp_path / "m", input_example=features.head(3))
    loaded = mlflow.pyfunc.load_model(str(tmp_path / "m"))
    np.testing.assert_array_equal(loaded.predict(features), booster.predict(features))


@pytest.mark.parametrize("serialization_format", ["cloudpickle", "skops"])
def test_mlflow_lightgbm_loads_a_classifier_shipyard_saved(
    tmp_path: Path,
    classifier: lgb.LGBMClassifier,
    features: pd.DataFrame,
    serialization_format: str,
) -> None:
    shipyard_lightgbm.save_model(
        classifier, tmp_path / "m", serialization_format=serialization_format
    )
    model = mlflow.lightgbm.load_model(str(tmp_path / "m"))
    np.testing.assert_array_equal(model.predict(features), classifier.predict(features))


def test_shipyard_loads_a_booster_mlflow_saved(
    tmp_path: Path, booster: lgb.Booster, features: pd.DataFrame
) -> None:
    mlflow.lightgbm.save_model(
        booster, str(tmp_path / "m"), input_example=features.head(3), pip_requirements=["lightgbm"]
    )
    loaded = pyfunc.load_model(tmp_path / "m")
    np.testing.assert_array_equal(loaded.predict(features), booster.predict(features))


@pytest.mark.parametrize("serialization_format", ["skops", "cloudpickle"])
def test_shipyard_loads_a_classifier_mlflow_saved(
    tmp_path: Path,
    classifier: lgb.LGBMClassifier,
    features: pd.DataFrame,
    serialization_format: str,
) -> None:
    mlflow.lightgbm.save_model(
        classifier,
        str(tmp_path / "m"),
        serialization_format=serialization_format,
        pip_requirements=["lightgbm"],
    )
    loaded = pyfunc.load_model(tmp_path / "m")
    np.testing.assert_array_equal(loaded.predict(features), classifier.predict(features))
