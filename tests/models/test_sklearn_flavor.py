"""The scikit-learn flavor: Shipyard <-> Shipyard, Shipyard -> MLflow, MLflow -> Shipyard."""

from __future__ import annotations

from pathlib import Path

import mlflow.pyfunc
import mlflow.sklearn
import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from shipyard.domain.errors import AlreadyExists, InvalidParameter
from shipyard.models import pyfunc
from shipyard.models.flavors import sklearn as shipyard_sklearn
from shipyard.models.mlmodel import read_mlmodel
from shipyard.models.signature import SignatureMismatch

# MLflow hints about integer columns whenever it infers a signature from our integer labels.
pytestmark = pytest.mark.filterwarnings("ignore:Hint. Inferred schema contains integer")


@pytest.fixture
def classifier(features: pd.DataFrame, labels: pd.Series) -> Pipeline:
    return make_pipeline(StandardScaler(), LogisticRegression()).fit(features, labels)


def test_shipyard_loads_what_it_saved_with_identical_predictions(
    tmp_path: Path, classifier: Pipeline, features: pd.DataFrame
) -> None:
    shipyard_sklearn.save_model(classifier, tmp_path / "m", input_example=features.head(3))
    loaded = pyfunc.load_model(tmp_path / "m")
    np.testing.assert_array_equal(loaded.predict(features), classifier.predict(features))


def test_the_native_load_returns_an_equivalent_estimator(
    tmp_path: Path, classifier: Pipeline, features: pd.DataFrame
) -> None:
    shipyard_sklearn.save_model(classifier, tmp_path / "m")
    estimator = shipyard_sklearn.load_model(tmp_path / "m")
    np.testing.assert_array_equal(
        estimator.predict_proba(features), classifier.predict_proba(features)
    )


@pytest.mark.parametrize("serialization_format", ["cloudpickle", "pickle", "skops"])
def test_mlflow_pyfunc_loads_what_shipyard_saved(
    tmp_path: Path,
    classifier: Pipeline,
    features: pd.DataFrame,
    serialization_format: str,
) -> None:
    shipyard_sklearn.save_model(
        classifier,
        tmp_path / "m",
        serialization_format=serialization_format,
        input_example=features.head(3),
    )
    loaded = mlflow.pyfunc.load_model(str(tmp_path / "m"))
    np.testing.assert_array_equal(loaded.predict(features), classifier.predict(features))


def test_mlflow_sklearn_loads_what_shipyard_saved(
    tmp_path: Path, classifier: Pipeline, features: pd.DataFrame
) -> None:
    shipyard_sklearn.save_model(classifier, tmp_path / "m")
    estimator = mlflow.sklearn.load_model(str(tmp_path / "m"))
    np.testing.assert_array_equal(estimator.predict(features), classifier.predict(features))


@pytest.mark.parametrize("serialization_format", ["skops", "cloudpickle", "pickle"])
def test_shipyard_loads_what_mlflow_saved(
    tmp_path: Path,
    classifier: Pipeline,
    features: pd.DataFrame,
    serialization_format: str,
) -> None:
    mlflow.sklearn.save_model(
        classifier,
        str(tmp_path / "m"),
        serialization_format=serialization_format,
        input_example=features.head(3),
        pip_requirements=["scikit-learn"],
    )
    loaded = pyfunc.load_model(tmp_path / "m")
    np.testing.assert_array_equal(loaded.predict(features), classifier.predict(features))
    native = shipyard_sklearn.load_model(tmp_path / "m")
    np.testing.assert_array_equal(native.predict(features), classifier.predict(features))


def test_the_package_has_mlflows_sklearn_layout(
    tmp_path: Path, classifier: Pipeline, features: pd.DataFrame
) -> None:
    shipyard_sklearn.save_model(classifier, tmp_path / "m", input_example=features.head(3))
    files = sorted(p.name for p in (tmp_path / "m").iterdir())
    assert files == [
        "MLmodel",
        "conda.yaml",
        "input_example.json",
        "model.pkl",
        "python_env.yaml",
        "requirements.txt",
        "serving_input_example.json",
    ]
    mlmodel = read_mlmodel(tmp_path / "m")
    assert mlmodel.flavor("sklearn")["pickled_model"] == "model.pkl"
    assert mlmodel.flavor("sklearn")["serialization_format"] == "cloudpickle"
    assert mlmodel.flavor("python_function")["loader_module"] == "mlflow.sklearn"
    assert mlmodel.flavor("python_function")["model_path"] == "model.pkl"


def test_the_signature_inferred_from_the_example_is_mlflows(
    tmp_path: Path, classifier: Pipeline, features: pd.DataFrame
) -> None:
    shipyard_sklearn.save_model(classifier, tmp_path / "ours", input_example=features.head(3))
    mlflow.sklearn.save_model(
        classifier,
        str(tmp_path / "theirs"),
        input_example=features.head(3),
        serialization_format="cloudpickle",
        pip_requirements=["scikit-learn"],
    )
    ours = read_mlmodel(tmp_path / "ours").signature
    theirs = mlflow.models.Model.load(str(tmp_path / "theirs")).signature
    assert ours is not None and ours.to_dict() == theirs.to_dict()


def test_predict_proba_can_be_the_pyfunc_predict_function(
    tmp_path: Path, classifier: Pipeline, features: pd.DataFrame
) -> None:
    shipyard_sklearn.save_model(classifier, tmp_path / "m", pyfunc_predict_fn="predict_proba")
    ours = pyfunc.load_model(tmp_path / "m").predict(features)
    theirs = mlflow.pyfunc.load_model(str(tmp_path / "m")).predict(features)
    np.testing.assert_array_equal(ours, classifier.predict_proba(features))
    np.testing.assert_array_equal(theirs, classifier.predict_proba(features))


def test_predict_refuses_input_that_breaks_the_signature(
    tmp_path: Path, classifier: Pipeline, features: pd.DataFrame
) -> None:
    shipyard_sklearn.save_model(classifier, tmp_path / "m", input_example=features.head(3))
    loaded = pyfunc.load_model(tmp_path / "m")
    broken = features.assign(b=["high"] * len(features))
    with pytest.raises(SignatureMismatch, match="Column 'b': expected double, found string"):
        loaded.predict(broken)


def test_saving_into_a_non_empty_directory_is_refused(tmp_path: Path, classifier: Pipeline) -> None:
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "keep.txt").write_text("mine")
    with pytest.raises(AlreadyExists, match="exists and is not empty"):
        shipyard_sklearn.save_model(classifier, tmp_path / "m")
    assert [p.name for p in (tmp_path / "m").iterdir()] == ["keep.txt"]


def test_a_failed_save_leaves_no_package_behind(tmp_path: Path, classifier: Pipeline) -> None:
    with pytest.raises(InvalidParameter, match="An input example must be"):
        shipyard_sklearn.save_model(classifier, tmp_path / "m", input_example=object())
    assert not (tmp_path / "m").exists()
