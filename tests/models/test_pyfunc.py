"""Loading any package as a pyfunc model: flavor choice, metadata, and predict's contract."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression

from shipyard.domain.errors import InvalidParameter, NotFound
from shipyard.models import pyfunc
from shipyard.models.flavors import sklearn as shipyard_sklearn
from shipyard.models.mlmodel import MLmodel, read_mlmodel


@pytest.fixture
def package(tmp_path: Path, features: pd.DataFrame) -> Path:
    model = LinearRegression().fit(features, features["a"] * 2)
    shipyard_sklearn.save_model(model, tmp_path / "m", input_example=features.head(3))
    return tmp_path / "m"


def test_the_loaded_model_exposes_its_mlmodel(package: Path) -> None:
    loaded = pyfunc.load_model(package)
    assert loaded.metadata.model_uuid == read_mlmodel(package).model_uuid
    assert loaded.signature is not None
    assert type(loaded.raw_model) is LinearRegression


def test_the_saved_input_example_loads_back(package: Path, features: pd.DataFrame) -> None:
    example = pyfunc.load_model(package).load_input_example()
    pd.testing.assert_frame_equal(example, features.head(3).reset_index(drop=True))


def test_a_missing_package_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="No MLmodel file"):
        pyfunc.load_model(tmp_path / "nothing")


def test_a_package_of_a_flavor_shipyard_does_not_know_is_refused(tmp_path: Path) -> None:
    mlmodel = MLmodel.new().add_flavor("transformers", task="fill-mask")
    mlmodel.add_flavor("python_function", loader_module="mlflow.transformers")
    mlmodel.save(tmp_path)
    known = r"flavors are \['python_function', 'transformers'\]"
    with pytest.raises(InvalidParameter, match=known):
        pyfunc.load_model(tmp_path)


def test_a_package_without_python_function_loads_through_its_flavor(package: Path) -> None:
    mlmodel = read_mlmodel(package)
    del mlmodel.flavors["python_function"]
    mlmodel.save(package)
    row = pd.DataFrame({"a": [1.0], "b": [0.0], "c": [0.0]})
    assert pyfunc.load_model(package).predict(row)[0] == pytest.approx(2.0)


def test_predict_returns_the_flavors_output_type(package: Path, features: pd.DataFrame) -> None:
    assert isinstance(pyfunc.load_model(package).predict(features), np.ndarray)


class Identity:
    def predict(self, model_input: Any) -> Any:
        return model_input


def test_a_type_hint_signature_leaves_input_checks_to_the_model(tmp_path: Path) -> None:
    pyfunc.save_model(tmp_path / "m", Identity(), input_example=pd.DataFrame({"x": [0.5]}))
    mlmodel = read_mlmodel(tmp_path / "m")
    mlmodel.extras["is_signature_from_type_hint"] = True
    mlmodel.save(tmp_path / "m")
    data = pd.DataFrame({"x": ["not a number"]})
    # The signature says double; the input reaches the model unchecked.
    assert pyfunc.load_model(tmp_path / "m").predict(data) is data


def test_predict_enforces_the_signature_before_the_model_sees_the_input(tmp_path: Path) -> None:
    pyfunc.save_model(tmp_path / "m", Identity(), input_example=pd.DataFrame({"x": [0.5]}))
    data = pd.DataFrame({"x": np.array([1, 2], dtype=np.int32), "extra": [0, 0]})
    seen = pyfunc.load_model(tmp_path / "m").predict(data)
    assert list(seen.columns) == ["x"] and seen["x"].dtype == np.float64
