"""Shipyard: a self-hosted ML lifecycle platform that speaks MLflow's tracking protocol."""

__version__ = "0.1.0"

__all__ = ["__version__"]
