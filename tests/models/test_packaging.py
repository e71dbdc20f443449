"""What every save_model shares: the MLmodel it writes, signature choices, and the directory."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml
from sklearn.linear_model import LinearRegression

from shipyard.domain.errors import AlreadyExists
from shipyard.models.flavors import sklearn as shipyard_sklearn
from shipyard.models.mlmodel import MLmodel, read_mlmodel
from shipyard.models.signature import ColSpec, DataType, ModelSignature, Schema


@pytest.fixture
def regressor(features: pd.DataFrame) -> LinearRegression:
    return LinearRegression().fit(features, features["a"] * 2)


def test_the_callers_mlmodel_fields_are_written_and_completed(
    tmp_path: Path, regressor: LinearRegression
) -> None:
    base = MLmodel(run_id="run-1", artifact_path="model", model_id="m-abc")
    shipyard_sklearn.save_model(regressor, tmp_path / "m", mlmodel=base)
    written = yaml.safe_load((tmp_path / "m" / "MLmodel").read_text())
    assert (written["run_id"], written["artifact_path"], written["model_id"]) == (
        "run-1",
        "model",
        "m-abc",
    )
    assert len(written["model_uuid"]) == 32
    assert written["mlflow_version"] == "3.17.2"
    assert written["utc_time_created"]


def test_user_metadata_is_written(tmp_path: Path, regressor: LinearRegression) -> None:
    shipyard_sklearn.save_model(regressor, tmp_path / "m", metadata={"owner": "fraud-team"})
    assert read_mlmodel(tmp_path / "m").metadata == {"owner": "fraud-team"}


def test_a_given_signature_is_written_instead_of_an_inferred_one(
    tmp_path: Path, regressor: LinearRegression, features: pd.DataFrame
) -> None:
    given = ModelSignature(Schema([ColSpec(DataType.DOUBLE, c) for c in "abc"]))
    shipyard_sklearn.save_model(
        regressor, tmp_path / "m", input_example=features.head(2), signature=given
    )
    assert read_mlmodel(tmp_path / "m").signature == given


def test_signature_false_saves_the_example_without_a_signature(
    tmp_path: Path, regressor: LinearRegression, features: pd.DataFrame
) -> None:
    shipyard_sklearn.save_model(
        regressor, tmp_path / "m", input_example=features.head(2), signature=False
    )
    mlmodel = read_mlmodel(tmp_path / "m")
    assert mlmodel.signature is None
    assert mlmodel.saved_input_example_info is not None


def test_without_an_example_there_is_no_signature(
    tmp_path: Path, regressor: LinearRegression
) -> None:
    shipyard_sklearn.save_model(regressor, tmp_path / "m")
    assert read_mlmodel(tmp_path / "m").signature is None


def test_the_model_size_counts_every_file_but_mlmodel(
    tmp_path: Path, regressor: LinearRegression, features: pd.DataFrame
) -> None:
    shipyard_sklearn.save_model(regressor, tmp_path / "m", input_example=features.head(2))
    files = [p for p in (tmp_path / "m").iterdir() if p.name != "MLmodel"]
    assert read_mlmodel(tmp_path / "m").model_size_bytes == sum(p.stat().st_size for p in files)


def test_an_existing_empty_directory_is_used(tmp_path: Path, regressor: LinearRegression) -> None:
    (tmp_path / "m").mkdir()
    shipyard_sklearn.save_model(regressor, tmp_path / "m")
    assert (tmp_path / "m" / "MLmodel").is_file()


def test_a_path_that_is_a_file_is_refused(tmp_path: Path, regressor: LinearRegression) -> None:
    (tmp_path / "m").write_text("not a directory")
    with pytest.raises(AlreadyExists):
        shipyard_sklearn.save_model(regressor, tmp_path / "m")
