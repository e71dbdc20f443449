"""Shipyard's own HTTP API, beside MLflow's: what MLflow's protocol has no endpoint for."""
