"""Imports stay lazy: a fresh interpreter shows which libraries a step pulled in."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

HEAVY = ["pandas", "numpy", "sklearn", "xgboost", "lightgbm", "torch", "mlflow", "skops"]


def _modules_after(code: str) -> set[str]:
    """The heavy top-level modules imported once ``code`` ran in a fresh interpreter."""
    script = textwrap.dedent(code) + textwrap.dedent(f"""
        import json, sys
        print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))
    """)
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    return set(json.loads(result.stdout.strip().splitlines()[-1]))


def test_importing_shipyard_models_imports_no_ml_library_and_not_pandas() -> None:
    code = """
        import shipyard.models
        assert "load_model" in shipyard.models.__all__
    """
    assert _modules_after(code) == set()


def test_importing_the_pyfunc_module_imports_no_ml_library_and_not_pandas() -> None:
    assert _modules_after("import shipyard.models.pyfunc") == set()


def _xgboost(path: Path, x: pd.DataFrame, y: pd.Series) -> None:
    import xgboost as xgb

    from shipyard.models.flavors import xgboost as flavor

    flavor.save_model(xgb.XGBClassifier(n_estimators=2, n_jobs=1).fit(x, y), path)


def _lightgbm(path: Path, x: pd.DataFrame, y: pd.Series) -> None:
    import lightgbm as lgb

    from shipyard.models.flavors import lightgbm as flavor

    params = {"objective": "binary", "verbose": -1, "num_threads": 1}
    flavor.save_model(lgb.train(params, lgb.Dataset(x, y), num_boost_round=2), path)


def _pytorch(path: Path, x: pd.DataFrame, y: pd.Series) -> None:
    import torch

    from shipyard.models.flavors import pytorch as flavor

    flavor.save_model(torch.nn.Linear(x.shape[1], 1), path)


@pytest.mark.parametrize(
    ("save", "data", "library", "not_imported"),
    [
        (_xgboost, "frame", "xgboost", {"torch", "lightgbm", "mlflow"}),
        (_lightgbm, "frame", "lightgbm", {"torch", "xgboost", "mlflow"}),
        (_pytorch, "array", "torch", {"xgboost", "lightgbm", "sklearn", "mlflow"}),
    ],
    ids=["xgboost", "lightgbm", "pytorch"],
)
def test_loading_and_predicting_imports_only_the_flavors_library(
    tmp_path: Path,
    features: pd.DataFrame,
    labels: pd.Series,
    save: Callable[[Path, pd.DataFrame, pd.Series], Any],
    data: str,
    library: str,
    not_imported: set[str],
) -> None:
    save(tmp_path / "m", features, labels)
    make_input = (
        "pd.DataFrame({'a': [0.1], 'b': [0.2], 'c': [0.3]})"
        if data == "frame"
        else "np.array([[0.1, 0.2, 0.3]], dtype=np.float32)"
    )
    code = f"""
        import numpy as np
        import pandas as pd
        from shipyard.models import pyfunc
        model = pyfunc.load_model({str(tmp_path / "m")!r})
        assert len(model.predict({make_input})) == 1
    """
    imported = _modules_after(code)
    assert library in imported
    assert imported.isdisjoint(not_imported), imported & not_imported


def test_the_flavor_modules_themselves_import_no_ml_library() -> None:
    code = """
        from shipyard.models.flavors import lightgbm, python_function, pytorch, sklearn, xgboost
    """
    assert _modules_after(code) == set()


def test_unknown_names_are_not_attributes_of_shipyard_models() -> None:
    import shipyard.models

    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        _ = shipyard.models.nothing_here


def test_the_public_names_of_shipyard_models_resolve() -> None:
    import shipyard.models

    assert all(getattr(shipyard.models, name) is not None for name in shipyard.models.__all__)
