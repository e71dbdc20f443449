"""Environment files: pinned requirements, python_env.yaml and conda.yaml that MLflow can read."""

from __future__ import annotations

import importlib.metadata
import sys
from pathlib import Path

import mlflow.pyfunc
import pandas as pd
import yaml
from sklearn.linear_model import LinearRegression

from shipyard.models.environment import (
    PYTHON_VERSION,
    pinned_requirement,
    read_requirements,
    resolve_requirements,
    write_environment,
)
from shipyard.models.flavors import sklearn as shipyard_sklearn


def test_a_requirement_is_pinned_to_the_installed_version() -> None:
    version = importlib.metadata.version("scikit-learn")
    assert pinned_requirement("scikit-learn") == f"scikit-learn=={version}"


def test_a_local_version_label_is_left_out_of_the_pin() -> None:
    installed = importlib.metadata.version("torch")
    assert pinned_requirement("torch") == f"torch=={installed.split('+')[0]}"
    assert "+" not in pinned_requirement("torch")


def test_a_package_that_is_not_installed_is_listed_by_name() -> None:
    assert pinned_requirement("surely-not-installed-package") == "surely-not-installed-package"


def test_pip_requirements_replace_the_defaults() -> None:
    assert resolve_requirements(["a==1"], pip_requirements=["b==2"]) == ["b==2"]


def test_extra_requirements_add_to_the_defaults_without_duplicates() -> None:
    extra = ["pandas>=2", "scikit_learn==9"]
    assert resolve_requirements(["scikit-learn==1"], None, extra) == [
        "scikit-learn==1",
        "pandas>=2",
    ]


def test_requirements_txt_lists_the_requirements(tmp_path: Path) -> None:
    write_environment(tmp_path, ["scikit-learn==1.0", "cloudpickle==3.0"])
    assert read_requirements(tmp_path) == ["scikit-learn==1.0", "cloudpickle==3.0"]


def test_python_env_yaml_names_python_and_the_requirements_file(tmp_path: Path) -> None:
    write_environment(tmp_path, ["x==1"])
    env = yaml.safe_load((tmp_path / "python_env.yaml").read_text())
    assert env["python"] == PYTHON_VERSION == "{}.{}.{}".format(*sys.version_info[:3])
    assert env["dependencies"] == ["-r requirements.txt"]
    assert env["build_dependencies"][0].startswith("pip")


def test_conda_yaml_pins_python_and_lists_pip_requirements(tmp_path: Path) -> None:
    write_environment(tmp_path, ["x==1"])
    env = yaml.safe_load((tmp_path / "conda.yaml").read_text())
    assert env["dependencies"][0] == f"python={PYTHON_VERSION}"
    assert env["dependencies"][-1] == {"pip": ["x==1"]}
    assert env["channels"] == ["conda-forge"]


def test_a_package_requires_its_flavor_library_and_not_mlflow(tmp_path: Path) -> None:
    model = LinearRegression().fit(pd.DataFrame({"a": [0.0, 1.0]}), [0.0, 1.0])
    shipyard_sklearn.save_model(model, tmp_path / "m")
    requirements = read_requirements(tmp_path / "m")
    assert requirements == [pinned_requirement("scikit-learn"), pinned_requirement("cloudpickle")]
    assert not any(r.startswith("mlflow") for r in requirements)


def test_mlflow_reads_the_requirements_of_a_shipyard_package(tmp_path: Path) -> None:
    model = LinearRegression().fit(pd.DataFrame({"a": [0.0, 1.0]}), [0.0, 1.0])
    shipyard_sklearn.save_model(model, tmp_path / "m")
    pip_file = mlflow.pyfunc.get_model_dependencies(str(tmp_path / "m"))
    conda_file = mlflow.pyfunc.get_model_dependencies(str(tmp_path / "m"), format="conda")
    assert Path(pip_file).read_text().split() == read_requirements(tmp_path / "m")
    assert yaml.safe_load(Path(conda_file).read_text())["dependencies"][-1]["pip"] == (
        read_requirements(tmp_path / "m")
    )
