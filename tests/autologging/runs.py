"""Reading back what autologging recorded, through the ``mlflow`` client."""

from __future__ import annotations

from mlflow import MlflowClient
from mlflow.entities import Run


def only_run(client: MlflowClient, experiment_id: str) -> Run:
    """The single top-level run of the experiment (failing if there is not exactly one)."""
    runs = [
        run
        for run in client.search_runs([experiment_id])
        if "mlflow.parentRunId" not in run.data.tags
    ]
    assert len(runs) == 1, [run.info.run_id for run in runs]
    return runs[0]


def steps(client: MlflowClient, run_id: str, key: str) -> list[int]:
    """The steps of a metric's history, in order."""
    return sorted(point.step for point in client.get_metric_history(run_id, key))


def model_id(client: MlflowClient, run: Run, name: str = "model") -> str:
    """The id of the logged model ``name`` that the run produced."""
    found = [
        output.model_id
        for output in client.get_run(run.info.run_id).outputs.model_outputs
        if client.get_logged_model(output.model_id).name == name
    ]
    assert len(found) == 1, found
    return found[0]
