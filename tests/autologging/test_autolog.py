"""``shipyard.autolog()``: every installed framework at once, and no framework imported for it."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import xgboost as xgb
from mlflow import MlflowClient
from sklearn.linear_model import LinearRegression

import shipyard
from shipyard.autologging import FRAMEWORKS

from .runs import only_run

FEATURES = np.arange(24, dtype=float).reshape(8, 3)
TARGETS = FEATURES.sum(axis=1)


def test_autolog_imports_no_framework() -> None:
    frameworks = ["sklearn", "xgboost", "lightgbm", "keras", "transformers", "lightning", "torch"]
    code = (
        "import sys, shipyard; shipyard.autolog(); "
        f"print([name for name in {frameworks!r} if name in sys.modules])"
    )

    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout

    assert output.strip() == "[]"


def test_autolog_covers_installed_frameworks_except_the_excluded(
    client: MlflowClient, current_experiment: str
) -> None:
    shipyard.autolog(log_models=False, exclude_flavors=["xgboost"])

    LinearRegression().fit(FEATURES, TARGETS)
    xgb.train({"nthread": 1}, xgb.DMatrix(FEATURES, TARGETS), num_boost_round=1)

    run = only_run(client, current_experiment)
    assert run.data.tags["mlflow.autologging"] == "sklearn"


def test_extra_tags_are_set_on_the_runs_autologging_starts(
    client: MlflowClient, current_experiment: str
) -> None:
    shipyard.autolog(log_models=False, extra_tags={"team": "shipyard"})

    LinearRegression().fit(FEATURES, TARGETS)

    assert only_run(client, current_experiment).data.tags["team"] == "shipyard"


def test_unknown_frameworks_in_exclude_flavors_are_refused() -> None:
    with pytest.raises(ValueError, match="tensorflow"):
        shipyard.autolog(exclude_flavors=["tensorflow"])
    assert "sklearn" in FRAMEWORKS
