"""Model packages: MLflow's directory format, its flavors, signatures, and the pyfunc interface.

**The package.** A model is a directory with an ``MLmodel`` YAML file at its root, in the format
MLflow writes, so packages move both ways: ``mlflow.pyfunc.load_model`` and
``mlflow.<flavor>.load_model`` load what Shipyard saves, and Shipyard loads what
``mlflow.<flavor>.save_model`` saves. Besides the flavor's model files a package holds::

    MLmodel                      flavors, signature, input example info, ids, creation time
    requirements.txt             the flavor's library pinned to the installed version
    python_env.yaml, conda.yaml  the same requirements for virtualenv and conda
    input_example.json           the example (pandas "split" orient for DataFrames)
    serving_input_example.json   the example as an /invocations payload

``MLmodel`` (:class:`MLmodel`, :func:`read_mlmodel`) lists ``flavors``: each flavor's own entry
plus ``python_function``, whose ``loader_module`` names MLflow's loader (``mlflow.sklearn``...)
so that MLflow can load the package; Shipyard reads that name as a label and never imports it.
It also holds the ``signature`` (JSON strings), ``saved_input_example_info``, ``model_uuid``,
``model_id``, ``run_id``, ``artifact_path``, ``utc_time_created``, ``model_size_bytes`` and
``mlflow_version`` (the MLflow format version written, "3.17.2"); Shipyard adds
``shipyard_version``. Keys Shipyard does not know survive a read-write round trip.

**Flavors** (``shipyard.models.flavors.<name>``: ``save_model``, ``load_model``, ``load_pyfunc``):

* ``sklearn``: ``model.pkl`` (cloudpickle, the default, or pickle) or ``model.skops`` (skops).
* ``xgboost``: XGBoost's native ``model.ubj`` (or ``model.json``) plus the class to rebuild.
* ``lightgbm``: a Booster in LightGBM's native text format (``model.lgb``); scikit-learn-API
  models (LGBMClassifier...) are serialized like scikit-learn models.
* ``pytorch``: ``data/model.pth`` from ``torch.save`` with cloudpickle; loads MLflow's ``pt2``.
* ``python_function``: a generic Python model (:class:`PythonModel`, any object with
  ``predict``, or a function) cloudpickled into ``python_model.pkl``, plus ``artifacts/``; save
  it with ``shipyard.models.pyfunc.save_model``.

**Signatures** (:class:`ModelSignature`, :func:`infer_signature`): column-based (types double,
float, long, integer, string, boolean, binary, datetime; ``required``) or tensor-based (numpy
dtype and shape, -1 for variable dimensions), plus inference params. ``save_model`` infers one
from ``input_example`` by running the model on it. :meth:`PyFuncModel.predict` enforces it:
missing required columns and values that cannot be converted safely (a string where a double is
expected) raise :class:`SignatureMismatch`, naming the column and the expected and found types;
integers widen to floats when exact; extra columns are dropped.

**Loading** (:func:`load_model`) reads the MLmodel, picks the flavor, and imports only that
flavor's library: loading an XGBoost model imports neither torch nor lightgbm, and importing
``shipyard.models`` imports no ML library and not pandas. Loading runs code from pickles: load
packages only from sources you trust.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from shipyard.models.mlmodel import MLmodel, read_mlmodel
    from shipyard.models.pyfunc import PyFuncModel, PythonModel, load_model
    from shipyard.models.signature import (
        ColSpec,
        DataType,
        ModelSignature,
        Schema,
        SignatureMismatch,
        TensorSpec,
        infer_signature,
    )

__all__ = [
    "ColSpec",
    "DataType",
    "MLmodel",
    "ModelSignature",
    "PyFuncModel",
    "PythonModel",
    "Schema",
    "SignatureMismatch",
    "TensorSpec",
    "infer_signature",
    "load_model",
    "read_mlmodel",
]

_HOMES = {
    "MLmodel": "shipyard.models.mlmodel",
    "read_mlmodel": "shipyard.models.mlmodel",
    "PyFuncModel": "shipyard.models.pyfunc",
    "PythonModel": "shipyard.models.pyfunc",
    "load_model": "shipyard.models.pyfunc",
    "ColSpec": "shipyard.models.signature",
    "DataType": "shipyard.models.signature",
    "ModelSignature": "shipyard.models.signature",
    "Schema": "shipyard.models.signature",
    "SignatureMismatch": "shipyard.models.signature",
    "TensorSpec": "shipyard.models.signature",
    "infer_signature": "shipyard.models.signature",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'shipyard.models' has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
