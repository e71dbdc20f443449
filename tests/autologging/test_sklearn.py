"""scikit-learn autologging on a live server: params, training metrics, the model, searches."""

from __future__ import annotations

import numpy as np
import pytest
from mlflow import MlflowClient
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

import shipyard.sklearn
from shipyard import fluent

from .runs import model_id, only_run

RNG = np.random.default_rng(3)
FEATURES = RNG.random((40, 3))
LABELS = (FEATURES[:, 0] > FEATURES[:, 1]).astype(int)


def test_fit_starts_a_run_and_logs_params_tags_and_training_metrics(
    client: MlflowClient, current_experiment: str
) -> None:
    shipyard.sklearn.autolog(log_models=False)

    LogisticRegression(C=0.5, max_iter=50).fit(FEATURES, LABELS)

    run = only_run(client, current_experiment)
    assert run.info.status == "FINISHED"
    assert run.data.tags["mlflow.autologging"] == "sklearn"
    assert run.data.tags["estimator_name"] == "LogisticRegression"
    assert run.data.params["C"] == "0.5"
    assert run.data.params["max_iter"] == "50"
    assert {
        "training_accuracy_score",
        "training_precision_score",
        "training_recall_score",
        "training_f1_score",
        "training_log_loss",
        "training_roc_auc",
        "training_score",
    } <= set(run.data.metrics)
    assert 0.0 <= run.data.metrics["training_accuracy_score"] <= 1.0
    assert fluent.active_run() is None


def test_regressors_get_regression_metrics(client: MlflowClient, current_experiment: str) -> None:
    shipyard.sklearn.autolog(log_models=False)

    LinearRegression().fit(FEATURES, FEATURES[:, 0] * 2.0)

    metrics = only_run(client, current_experiment).data.metrics
    assert metrics["training_r2_score"] == pytest.approx(1.0)
    assert {"training_mean_squared_error", "training_root_mean_squared_error"} <= set(metrics)
    assert "training_mean_absolute_error" in metrics


def test_the_fitted_model_is_logged_and_loads_with_the_sklearn_flavor(
    client: MlflowClient, current_experiment: str
) -> None:
    shipyard.sklearn.autolog()
    model = LogisticRegression().fit(FEATURES, LABELS)

    run = only_run(client, current_experiment)
    loaded = shipyard.sklearn.load_model(f"models:/{model_id(client, run)}")
    assert (loaded.predict(FEATURES) == model.predict(FEATURES)).all()


def test_a_pipeline_is_logged_once_with_its_steps_params(
    client: MlflowClient, current_experiment: str
) -> None:
    shipyard.sklearn.autolog(log_models=False)
    pipeline = Pipeline([("scale", StandardScaler()), ("clf", LogisticRegression(C=2.0))])

    pipeline.fit(FEATURES, LABELS)

    run = only_run(client, current_experiment)
    assert run.data.tags["estimator_name"] == "Pipeline"
    assert run.data.params["clf__C"] == "2.0"
    assert "scale__with_mean" in run.data.params
    assert "training_accuracy_score" in run.data.metrics


def test_inside_an_active_run_fit_logs_to_it_and_leaves_it_open(
    client: MlflowClient, current_experiment: str
) -> None:
    shipyard.sklearn.autolog(log_models=False)

    with fluent.start_run() as run:
        LogisticRegression().fit(FEATURES, LABELS)
        assert fluent.active_run() is not None

    logged = client.get_run(run.info.run_id)
    assert "training_accuracy_score" in logged.data.metrics
    assert "mlflow.autologging" not in logged.data.tags


def test_a_grid_search_logs_best_results_child_runs_and_the_best_estimator(
    client: MlflowClient, current_experiment: str
) -> None:
    shipyard.sklearn.autolog(max_tuning_runs=2)
    search = GridSearchCV(LogisticRegression(), {"C": [0.1, 1.0, 10.0]}, cv=2)

    search.fit(FEATURES, LABELS)

    run = only_run(client, current_experiment)
    assert "best_cv_score" in run.data.metrics
    assert run.data.params["best_C"] == str(search.best_params_["C"])
    children = client.search_runs(
        [current_experiment], f"tags.mlflow.parentRunId = '{run.info.run_id}'"
    )
    assert len(children) == 2
    assert all("mean_test_score" in child.data.metrics for child in children)
    assert {child.data.params["C"] for child in children} <= {"0.1", "1.0", "10.0"}
    artifacts = {entry.path for entry in client.list_artifacts(run.info.run_id)}
    assert "cv_results.csv" in artifacts
    best = shipyard.sklearn.load_model(f"models:/{model_id(client, run, 'best_estimator')}")
    assert (best.predict(FEATURES) == search.predict(FEATURES)).all()


def test_disabling_restores_fit_so_no_run_is_created(
    client: MlflowClient, current_experiment: str
) -> None:
    original = LogisticRegression.fit
    shipyard.sklearn.autolog()
    assert LogisticRegression.fit is not original

    shipyard.sklearn.autolog(disable=True)
    LogisticRegression().fit(FEATURES, LABELS)

    assert LogisticRegression.fit is original
    assert client.search_runs([current_experiment]) == []


def test_an_error_while_logging_does_not_break_fit(
    client: MlflowClient, current_experiment: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the server is down")

    shipyard.sklearn.autolog()
    monkeypatch.setattr(fluent, "log_params", broken)
    monkeypatch.setattr(fluent, "log_metrics", broken)

    model = LogisticRegression().fit(FEATURES, LABELS)

    assert model.predict(FEATURES).shape == (40,)
    assert only_run(client, current_experiment).info.status == "FINISHED"


def test_a_failing_fit_raises_and_marks_its_run_failed(
    client: MlflowClient, current_experiment: str
) -> None:
    shipyard.sklearn.autolog(log_models=False)

    with pytest.raises(ValueError):
        LogisticRegression().fit(FEATURES, np.zeros(40))  # one class only

    assert only_run(client, current_experiment).info.status == "FAILED"
