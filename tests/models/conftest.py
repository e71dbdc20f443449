"""Small real datasets for the model tests; each test trains its own model on them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


@pytest.fixture
def features() -> pd.DataFrame:
    """Sixty rows of three float columns."""
    rng = np.random.default_rng(7)
    return pd.DataFrame(rng.random((60, 3)), columns=["a", "b", "c"])


@pytest.fixture
def labels(features: pd.DataFrame) -> pd.Series:
    """A binary label that depends on the features."""
    return (features["a"] + features["b"] > 1).astype(int)
