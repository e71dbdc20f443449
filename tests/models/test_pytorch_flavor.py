"""The PyTorch flavor, both ways: MLflow's ``data/model.pth`` layout, and MLflow's pt2 packages."""

from __future__ import annotations

import copy
from pathlib import Path

import mlflow.pyfunc
import mlflow.pytorch
import numpy as np
import pandas as pd
import pytest
import torch

from shipyard.domain.errors import InvalidParameter
from shipyard.models import pyfunc
from shipyard.models.flavors import pytorch as shipyard_pytorch
from shipyard.models.mlmodel import read_mlmodel


@pytest.fixture
def inputs(features: pd.DataFrame) -> np.ndarray:
    return features.to_numpy(dtype=np.float32, copy=True)


@pytest.fixture
def network(inputs: np.ndarray, labels: pd.Series) -> torch.nn.Module:
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    x, y = torch.from_numpy(inputs), torch.tensor(labels.to_numpy(), dtype=torch.float32)
    for _ in range(5):
        optimizer.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(net(x).squeeze(1), y)
        loss.backward()
        optimizer.step()
    return net.eval()


def _outputs(net: torch.nn.Module, inputs: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return net(torch.from_numpy(inputs)).numpy()


def test_shipyard_loads_what_it_saved_with_identical_predictions(
    tmp_path: Path, network: torch.nn.Module, inputs: np.ndarray
) -> None:
    shipyard_pytorch.save_model(network, tmp_path / "m", input_example=inputs[:3])
    loaded = pyfunc.load_model(tmp_path / "m")
    np.testing.assert_array_equal(loaded.predict(inputs), _outputs(network, inputs))


def test_the_native_load_returns_a_module_in_eval_mode(
    tmp_path: Path, network: torch.nn.Module, inputs: np.ndarray
) -> None:
    shipyard_pytorch.save_model(copy.deepcopy(network).train(), tmp_path / "m")
    module = shipyard_pytorch.load_model(tmp_path / "m")
    assert isinstance(module, torch.nn.Sequential) and not module.training
    np.testing.assert_array_equal(_outputs(module, inputs), _outputs(network, inputs))


def test_the_package_has_mlflows_pickle_layout(
    tmp_path: Path, network: torch.nn.Module, inputs: np.ndarray
) -> None:
    shipyard_pytorch.save_model(network, tmp_path / "m", input_example=inputs[:3])
    data = tmp_path / "m" / "data"
    assert sorted(p.name for p in data.iterdir()) == ["model.pth", "pickle_module_info.txt"]
    assert (data / "pickle_module_info.txt").read_text() == "mlflow.pytorch.pickle_module"
    mlmodel = read_mlmodel(tmp_path / "m")
    assert mlmodel.flavor("pytorch")["model_data"] == "data"
    assert mlmodel.flavor("python_function")["loader_module"] == "mlflow.pytorch"
    assert mlmodel.signature is not None
    assert mlmodel.signature.to_dict()["inputs"] == (
        '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 3]}}]'
    )


def test_mlflow_pyfunc_loads_what_shipyard_saved(
    tmp_path: Path, network: torch.nn.Module, inputs: np.ndarray
) -> None:
    shipyard_pytorch.save_model(network, tmp_path / "m", input_example=inputs[:3])
    loaded = mlflow.pyfunc.load_model(str(tmp_path / "m"))
    np.testing.assert_array_equal(loaded.predict(inputs), _outputs(network, inputs))


def test_mlflow_pytorch_loads_what_shipyard_saved(
    tmp_path: Path, network: torch.nn.Module, inputs: np.ndarray
) -> None:
    shipyard_pytorch.save_model(network, tmp_path / "m")
    module = mlflow.pytorch.load_model(str(tmp_path / "m"))
    np.testing.assert_array_equal(_outputs(module, inputs), _outputs(network, inputs))


def test_shipyard_loads_what_mlflow_saved_with_pickle(
    tmp_path: Path, network: torch.nn.Module, inputs: np.ndarray
) -> None:
    mlflow.pytorch.save_model(
        network,
        str(tmp_path / "m"),
        serialization_format="pickle",
        input_example=inputs[:3],
        pip_requirements=["torch"],
    )
    loaded = pyfunc.load_model(tmp_path / "m")
    np.testing.assert_array_equal(loaded.predict(inputs), _outputs(network, inputs))


def test_shipyard_loads_what_mlflow_exported_as_pt2(
    tmp_path: Path, network: torch.nn.Module, inputs: np.ndarray
) -> None:
    mlflow.pytorch.save_model(
        network, str(tmp_path / "m"), input_example=inputs[:3], pip_requirements=["torch"]
    )
    assert (tmp_path / "m" / "data" / "model.pt2").is_file()
    loaded = pyfunc.load_model(tmp_path / "m")
    np.testing.assert_allclose(loaded.predict(inputs), _outputs(network, inputs), rtol=1e-6)


def test_a_dataframe_input_gives_a_dataframe_with_its_index(
    tmp_path: Path, network: torch.nn.Module, inputs: np.ndarray
) -> None:
    shipyard_pytorch.save_model(network, tmp_path / "m")
    frame = pd.DataFrame(inputs, index=range(100, 100 + len(inputs)))
    result = pyfunc.load_model(tmp_path / "m").predict(frame)
    assert isinstance(result, pd.DataFrame)
    assert result.index.tolist() == frame.index.tolist()
    np.testing.assert_array_equal(result.to_numpy(), _outputs(network, inputs))


def test_a_tensor_input_example_is_stored_as_an_array(
    tmp_path: Path, network: torch.nn.Module, inputs: np.ndarray
) -> None:
    shipyard_pytorch.save_model(network, tmp_path / "m", input_example=torch.from_numpy(inputs[:2]))
    loaded = pyfunc.load_model(tmp_path / "m")
    np.testing.assert_array_equal(loaded.load_input_example(), inputs[:2])


def test_a_pickle_module_shipyard_does_not_know_is_refused(
    tmp_path: Path, network: torch.nn.Module
) -> None:
    shipyard_pytorch.save_model(network, tmp_path / "m")
    (tmp_path / "m" / "data" / "pickle_module_info.txt").write_text("evil.module")
    with pytest.raises(InvalidParameter, match=r"pickled with 'evil\.module'"):
        shipyard_pytorch.load_model(tmp_path / "m")
