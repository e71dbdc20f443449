"""The MLmodel file: reading and writing it, round trips, and what MLflow makes of ours."""

from __future__ import annotations

from pathlib import Path

import mlflow.models
import pytest
import yaml
from packaging.version import Version

from shipyard.domain.errors import InvalidParameter, NotFound
from shipyard.models.mlmodel import (
    MLFLOW_FORMAT_VERSION,
    MLmodel,
    package_file,
    read_mlmodel,
)
from shipyard.models.signature import ColSpec, DataType, ModelSignature, Schema

# An MLmodel as MLflow 3.17 wrote it, plus keys neither MLflow nor Shipyard defines.
MLFLOW_WRITTEN = """\
artifact_path: mlflow-artifacts:/1/models/m-0c83/artifacts
custom_key:
  nested: [1, 2, {deep: true}]
flavors:
  python_function:
    env: {conda: conda.yaml, virtualenv: python_env.yaml}
    loader_module: mlflow.sklearn
    model_path: model.skops
    predict_fn: predict
    python_version: 3.11.7
  sklearn: {code: null, pickled_model: model.skops, serialization_format: skops,
    sklearn_version: 1.9.1, skops_trusted_types: null}
is_signature_from_type_hint: false
metadata: {owner: team-a}
mlflow_version: 3.17.2
model_id: m-0c83
model_size_bytes: 10816
model_uuid: m-0c83
prompts: null
run_id: 980432cd
saved_input_example_info: {artifact_path: input_example.json, pandas_orient: split,
  serving_input_path: serving_input_example.json, type: dataframe}
signature:
  inputs: '[{"type": "double", "name": "a", "required": true}, {"type": "array", "items":
    {"type": "string"}, "name": "tags", "required": false}]'
  outputs: '[{"type": "long", "required": true}]'
  params: '[{"name": "k", "default": 3, "shape": null, "type": "long"}]'
type_hint_from_example: false
utc_time_created: '2026-11-28 18:37:35.790738'
"""


def _write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "MLmodel").write_text(text)
    return tmp_path


def test_reading_an_mlflow_mlmodel_exposes_its_fields(tmp_path: Path) -> None:
    model = read_mlmodel(_write(tmp_path, MLFLOW_WRITTEN))
    assert model.model_id == "m-0c83"
    assert model.run_id == "980432cd"
    assert model.model_size_bytes == 10816
    assert model.pyfunc_conf is not None
    assert model.pyfunc_conf["loader_module"] == "mlflow.sklearn"
    assert model.flavor("sklearn")["serialization_format"] == "skops"
    assert model.saved_input_example_info == {
        "artifact_path": "input_example.json",
        "pandas_orient": "split",
        "serving_input_path": "serving_input_example.json",
        "type": "dataframe",
    }


def test_reading_an_mlflow_mlmodel_parses_its_signature(tmp_path: Path) -> None:
    signature = read_mlmodel(_write(tmp_path, MLFLOW_WRITTEN)).signature
    assert signature is not None and signature.inputs is not None
    assert signature.inputs.inputs[0] == ColSpec(DataType.DOUBLE, "a", True)
    assert signature.inputs.inputs[1].to_dict() == {
        "type": "array",
        "items": {"type": "string"},
        "name": "tags",
        "required": False,
    }
    assert signature.params is not None and signature.params.params[0].default == 3


def test_an_unmodified_mlmodel_writes_back_the_same_mapping(tmp_path: Path) -> None:
    model = read_mlmodel(_write(tmp_path, MLFLOW_WRITTEN))
    assert yaml.safe_load(model.to_yaml()) == yaml.safe_load(MLFLOW_WRITTEN)


def test_known_keys_held_as_null_are_written_back_as_null(tmp_path: Path) -> None:
    text = "flavors: {}\nmodel_id: null\nrun_id: null\nsignature: null\n"
    model = read_mlmodel(_write(tmp_path, text))
    assert yaml.safe_load(model.to_yaml()) == yaml.safe_load(text)


def test_unknown_keys_survive_a_change_to_known_fields(tmp_path: Path) -> None:
    model = read_mlmodel(_write(tmp_path, MLFLOW_WRITTEN))
    model.run_id = "another-run"
    written = yaml.safe_load(model.save(tmp_path / "MLmodel").read_text())
    assert written["run_id"] == "another-run"
    assert written["custom_key"] == {"nested": [1, 2, {"deep": True}]}
    assert written["prompts"] is None and "prompts" in written
    assert written["type_hint_from_example"] is False


def test_a_replaced_signature_is_written_from_the_new_value(tmp_path: Path) -> None:
    model = read_mlmodel(_write(tmp_path, MLFLOW_WRITTEN))
    model.signature = ModelSignature(Schema([ColSpec(DataType.STRING, "s")]))
    written = yaml.safe_load(model.to_yaml())["signature"]
    assert written == {
        "inputs": '[{"type": "string", "name": "s", "required": true}]',
        "outputs": None,
        "params": None,
    }


def test_a_new_mlmodel_has_an_id_a_creation_time_and_versions() -> None:
    model = MLmodel.new()
    assert model.model_uuid is not None and len(model.model_uuid) == 32
    assert model.utc_time_created is not None and model.utc_time_created[4] == "-"
    assert model.mlflow_version == MLFLOW_FORMAT_VERSION
    assert Version(model.mlflow_version) >= Version("3.0")
    assert model.extras["shipyard_version"]


def test_mlflow_reads_an_mlmodel_shipyard_wrote(tmp_path: Path) -> None:
    signature = ModelSignature(Schema([ColSpec(DataType.DOUBLE, "a")]))
    model = MLmodel.new(signature=signature, run_id="r1", model_id="m-1")
    model.add_flavor("python_function", loader_module="mlflow.sklearn", model_path="model.pkl")
    model.save(tmp_path)
    theirs = mlflow.models.Model.load(str(tmp_path))
    assert theirs.run_id == "r1" and theirs.model_id == "m-1"
    assert theirs.model_uuid == model.model_uuid
    assert theirs.mlflow_version == MLFLOW_FORMAT_VERSION
    assert theirs.flavors["python_function"]["loader_module"] == "mlflow.sklearn"
    assert theirs.signature.to_dict() == signature.to_dict()


def test_reading_a_directory_without_mlmodel_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="No MLmodel file"):
        read_mlmodel(tmp_path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- just\n- a list\n", "must hold a YAML mapping"),
        ("flavors: [sklearn]\n", "'flavors' must map flavor names"),
        ("flavors: {}\nmetadata: 3\n", "'metadata' must be a mapping"),
        ("flavors: {\n", "not valid YAML"),
    ],
)
def test_reading_a_malformed_mlmodel_is_refused(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(InvalidParameter, match=message):
        read_mlmodel(_write(tmp_path, text))


def test_asking_for_a_missing_flavor_names_the_flavors_present(tmp_path: Path) -> None:
    model = read_mlmodel(_write(tmp_path, MLFLOW_WRITTEN))
    with pytest.raises(NotFound, match=r"no 'pytorch' flavor.*\['python_function', 'sklearn'\]"):
        model.flavor("pytorch")


@pytest.mark.parametrize("relative", ["../outside.pkl", "/etc/passwd", "data/../../x"])
def test_a_model_file_outside_the_package_is_refused(tmp_path: Path, relative: str) -> None:
    with pytest.raises(InvalidParameter, match="outside the package"):
        package_file(tmp_path, relative)


def test_a_model_file_inside_the_package_resolves(tmp_path: Path) -> None:
    assert package_file(tmp_path, "data/model.pth") == (tmp_path / "data" / "model.pth").resolve()
