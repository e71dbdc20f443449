"""Generic Python models, both ways: PythonModel subclasses, plain objects, functions, artifacts."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import mlflow.pyfunc
import numpy as np
import pandas as pd
import pytest

from shipyard.domain.errors import InvalidParameter
from shipyard.models import pyfunc
from shipyard.models.environment import pinned_requirement, read_requirements
from shipyard.models.mlmodel import read_mlmodel
from shipyard.models.pyfunc import PythonModel, PythonModelContext


class Scaler(PythonModel):
    """Multiplies column ``a`` by a factor read from an artifact; ``offset`` is a param."""

    def load_context(self, context: PythonModelContext) -> None:
        self.factor = float(Path(context.artifacts["factor"]).read_text())

    def predict(
        self, context: PythonModelContext, model_input: Any, params: dict[str, Any] | None = None
    ) -> Any:
        return model_input["a"] * self.factor + (params or {}).get("offset", 0.0)


class ContextFree(PythonModel):
    def predict(self, model_input: Any, params: dict[str, Any] | None = None) -> Any:
        return model_input["a"] - 1


class PlainDoubler:
    def predict(self, model_input: Any) -> Any:
        return model_input * 2


def add_one(model_input: Any) -> Any:
    return model_input + 1


class MlflowTripler(mlflow.pyfunc.PythonModel):
    # A DataFrame hint is one MLflow accepts without deriving its own input validation.
    def load_context(self, context: Any) -> None:
        self.k = 3

    def predict(self, context: Any, model_input: pd.DataFrame, params: Any = None) -> pd.Series:
        return model_input["a"] * self.k


@pytest.fixture
def factor_file(tmp_path: Path) -> Path:
    path = tmp_path / "factor.txt"
    path.write_text("2.5")
    return path


def test_shipyard_loads_a_python_model_it_saved_with_its_artifacts(
    tmp_path: Path, factor_file: Path, features: pd.DataFrame
) -> None:
    pyfunc.save_model(tmp_path / "m", Scaler(), artifacts={"factor": factor_file})
    loaded = pyfunc.load_model(tmp_path / "m")
    pd.testing.assert_series_equal(loaded.predict(features), features["a"] * 2.5)


def test_mlflow_loads_a_python_model_shipyard_saved(
    tmp_path: Path, factor_file: Path, features: pd.DataFrame
) -> None:
    pyfunc.save_model(
        tmp_path / "m",
        Scaler(),
        artifacts={"factor": factor_file},
        input_example=features.head(3),
    )
    loaded = mlflow.pyfunc.load_model(str(tmp_path / "m"))
    pd.testing.assert_series_equal(loaded.predict(features), features["a"] * 2.5)


def test_the_package_has_mlflows_python_model_layout(tmp_path: Path, factor_file: Path) -> None:
    pyfunc.save_model(tmp_path / "m", Scaler(), artifacts={"factor": factor_file})
    assert (tmp_path / "m" / "python_model.pkl").is_file()
    assert (tmp_path / "m" / "artifacts" / "factor.txt").read_text() == "2.5"
    mlmodel = read_mlmodel(tmp_path / "m")
    assert list(mlmodel.flavors) == ["python_function"]
    conf = mlmodel.flavor("python_function")
    assert conf["loader_module"] == "mlflow.pyfunc.model"
    assert conf["python_model"] == "python_model.pkl"
    assert conf["artifacts"] == {
        "factor": {"path": "artifacts/factor.txt", "uri": str(factor_file.absolute())}
    }


def test_params_in_the_example_become_a_params_schema_both_loaders_honour(
    tmp_path: Path, factor_file: Path, features: pd.DataFrame
) -> None:
    pyfunc.save_model(
        tmp_path / "m",
        Scaler(),
        artifacts={"factor": factor_file},
        input_example=(features.head(3), {"offset": 1.0}),
    )
    expected = features["a"] * 2.5 + 4.0
    ours = pyfunc.load_model(tmp_path / "m").predict(features, params={"offset": 4.0})
    theirs = mlflow.pyfunc.load_model(str(tmp_path / "m")).predict(features, {"offset": 4.0})
    pd.testing.assert_series_equal(ours, expected)
    pd.testing.assert_series_equal(theirs, expected)


def test_a_predict_without_context_is_called_without_it(
    tmp_path: Path, features: pd.DataFrame
) -> None:
    pyfunc.save_model(tmp_path / "m", ContextFree())
    pd.testing.assert_series_equal(
        pyfunc.load_model(tmp_path / "m").predict(features), features["a"] - 1
    )


@pytest.mark.parametrize("model", [PlainDoubler(), add_one], ids=["plain object", "function"])
def test_a_plain_object_or_function_loads_in_both(tmp_path: Path, model: Any) -> None:
    data = np.arange(6, dtype=np.float64).reshape(3, 2)
    expected = model.predict(data) if hasattr(model, "predict") else model(data)
    pyfunc.save_model(tmp_path / "m", model, input_example=data[:2])
    np.testing.assert_array_equal(pyfunc.load_model(tmp_path / "m").predict(data), expected)
    np.testing.assert_array_equal(
        mlflow.pyfunc.load_model(str(tmp_path / "m")).predict(data), expected
    )


def test_the_raw_model_of_a_plain_object_is_that_object(tmp_path: Path) -> None:
    pyfunc.save_model(tmp_path / "m", PlainDoubler())
    assert type(pyfunc.load_model(tmp_path / "m").raw_model).__name__ == "PlainDoubler"


def test_shipyard_loads_a_python_model_mlflow_saved(tmp_path: Path, features: pd.DataFrame) -> None:
    mlflow.pyfunc.save_model(
        str(tmp_path / "m"),
        python_model=MlflowTripler(),
        input_example=features.head(3),
        pip_requirements=["cloudpickle"],
    )
    loaded = pyfunc.load_model(tmp_path / "m")
    pd.testing.assert_series_equal(loaded.predict(features), features["a"] * 3)


def test_an_mlflow_python_model_saved_by_shipyard_loads_and_requires_mlflow(
    tmp_path: Path, features: pd.DataFrame
) -> None:
    pyfunc.save_model(tmp_path / "m", MlflowTripler())
    loaded = mlflow.pyfunc.load_model(str(tmp_path / "m"))
    pd.testing.assert_series_equal(loaded.predict(features), features["a"] * 3)
    assert pinned_requirement("mlflow") in read_requirements(tmp_path / "m")


def test_mlflow_loads_a_shipyard_python_model_without_shipyard_installed(tmp_path: Path) -> None:
    script = textwrap.dedent(f"""
        import sys
        import numpy as np
        from shipyard.models.pyfunc import PythonModel, save_model

        class Halver(PythonModel):
            def predict(self, context, model_input, params=None):
                return model_input / 2

        class Plain:
            def predict(self, model_input):
                return model_input * 3

        save_model({str(tmp_path / "halver")!r}, Halver())
        save_model({str(tmp_path / "plain")!r}, Plain())
        for name in [m for m in sys.modules if m == "shipyard" or m.startswith("shipyard.")]:
            del sys.modules[name]
        sys.modules["shipyard"] = None  # any import of shipyard now fails

        import mlflow.pyfunc
        data = np.array([[2.0, 4.0]])
        print(mlflow.pyfunc.load_model({str(tmp_path / "halver")!r}).predict(data).tolist())
        print(mlflow.pyfunc.load_model({str(tmp_path / "plain")!r}).predict(data).tolist())
        print("shipyard" in sys.modules and sys.modules["shipyard"] is not None)
    """)
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:3] == ["[[1.0, 2.0]]", "[[6.0, 12.0]]", "False"]


def test_a_class_instead_of_an_instance_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidParameter, match="an instance, not the class Scaler"):
        pyfunc.save_model(tmp_path / "m", Scaler)


def test_an_object_without_predict_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidParameter, match="needs a predict method"):
        pyfunc.save_model(tmp_path / "m", object())


def test_a_remote_artifact_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidParameter, match="only local paths"):
        pyfunc.save_model(tmp_path / "m", Scaler(), artifacts={"factor": "s3://bucket/factor"})
    assert not (tmp_path / "m").exists()
