"""XGBoost models (native format): save, log and load them as MLflow-compatible packages.

``log_model`` logs to the active run (MLflow 3's logged models), optionally registering a
version; ``load_model`` takes a local path or a ``runs:/``, ``models:/`` or
``mlflow-artifacts:/`` URI and returns the native model object. ``autolog`` logs training
calls without logging code (docs/autologging.md).
"""

from shipyard.autologging.xgboost import autolog
from shipyard.client.models import ModelInfo, flavor_api
from shipyard.models.flavors import xgboost as _flavor

__all__ = ["ModelInfo", "autolog", "load_model", "log_model", "save_model"]

save_model, log_model, load_model = flavor_api(_flavor, "xgb_model")
