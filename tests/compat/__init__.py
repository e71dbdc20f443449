"""The unmodified ``mlflow`` client against a live tracking server (Shipyard or MLflow itself)."""
