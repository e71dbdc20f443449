"""Talking to a tracking server over HTTP (MLflow's protocol)."""
