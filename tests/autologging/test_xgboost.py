"""XGBoost autologging on a live server: params, per-iteration metrics, early stopping, models."""

from __future__ import annotations

import json

import numpy as np
import pytest
import xgboost as xgb
from mlflow import MlflowClient

import shipyard.xgboost
from shipyard import fluent

from .runs import model_id, only_run, steps

RNG = np.random.default_rng(5)
FEATURES = RNG.random((60, 3))
LABELS = (FEATURES[:, 0] + 0.3 * RNG.random(60) > 0.6).astype(int)
PARAMS = {"objective": "binary:logistic", "max_depth": 2, "eval_metric": "logloss", "nthread": 1}
ROUNDS = 4


def _datasets() -> tuple[xgb.DMatrix, xgb.DMatrix]:
    return xgb.DMatrix(FEATURES[:40], LABELS[:40]), xgb.DMatrix(FEATURES[40:], LABELS[40:])


def test_train_logs_params_and_each_iterations_metrics_at_its_step(
    client: MlflowClient, current_experiment: str
) -> None:
    shipyard.xgboost.autolog(log_models=False)
    train, valid = _datasets()
    history: dict[str, dict[str, list[float]]] = {}

    xgb.train(
        PARAMS,
        train,
        num_boost_round=ROUNDS,
        evals=[(train, "train"), (valid, "validation")],
        evals_result=history,
        verbose_eval=False,
    )

    run = only_run(client, current_experiment)
    assert run.info.status == "FINISHED"
    assert run.data.tags["mlflow.autologging"] == "xgboost"
    assert run.data.params["max_depth"] == "2"
    assert run.data.params["objective"] == "binary:logistic"
    assert run.data.params["num_boost_round"] == str(ROUNDS)
    assert "dtrain" not in run.data.params
    for key, data in (("train-logloss", "train"), ("validation-logloss", "validation")):
        points = sorted(client.get_metric_history(run.info.run_id, key), key=lambda p: p.step)
        assert [point.step for point in points] == list(range(ROUNDS))
        assert [point.value for point in points] == pytest.approx(history[data]["logloss"])


def test_train_logs_the_booster_and_its_feature_importance(
    client: MlflowClient, current_experiment: str
) -> None:
    shipyard.xgboost.autolog(importance_types=["weight", "gain"])
    train, _ = _datasets()

    booster = xgb.train(PARAMS, train, num_boost_round=ROUNDS)

    run = only_run(client, current_experiment)
    loaded = shipyard.xgboost.load_model(f"models:/{model_id(client, run)}")
    assert isinstance(loaded, xgb.Booster)
    matrix = xgb.DMatrix(FEATURES)
    assert loaded.predict(matrix) == pytest.approx(booster.predict(matrix))
    artifacts = {entry.path for entry in client.list_artifacts(run.info.run_id)}
    assert {"feature_importance_weight.json", "feature_importance_gain.json"} <= artifacts
    local = client.download_artifacts(run.info.run_id, "feature_importance_weight.json")
    with open(local) as handle:
        assert json.load(handle) == pytest.approx(booster.get_score(importance_type="weight"))


def test_early_stopping_logs_the_stopped_and_best_iterations(
    client: MlflowClient, current_experiment: str
) -> None:
    shipyard.xgboost.autolog(log_models=False)
    train, valid = _datasets()
    # A large learning rate overfits at once, so validation loss stops improving early.
    params = {**PARAMS, "eta": 1.0, "max_depth": 6}

    booster = xgb.train(
        params,
        train,
        num_boost_round=50,
        evals=[(valid, "validation")],
        early_stopping_rounds=2,
        verbose_eval=False,
    )

    run = only_run(client, current_experiment)
    metrics = run.data.metrics
    # One step per iteration, and one more for the best iteration's values.
    iterations = len(steps(client, run.info.run_id, "validation-logloss")) - 1
    assert iterations < 50
    assert metrics["best_iteration"] == booster.best_iteration
    assert metrics["stopped_iteration"] == iterations - 1
    assert run.data.params["early_stopping_rounds"] == "2"
    # The best iteration's value is logged again at the step after the last one.
    history = client.get_metric_history(run.info.run_id, "validation-logloss")
    by_step = {point.step: point.value for point in history}
    assert by_step[iterations] == pytest.approx(by_step[booster.best_iteration])


def test_classifier_fit_logs_one_run_with_eval_set_metrics_and_the_wrapper_model(
    client: MlflowClient, current_experiment: str
) -> None:
    shipyard.xgboost.autolog()
    model = xgb.XGBClassifier(n_estimators=ROUNDS, max_depth=2, n_jobs=1)

    model.fit(FEATURES[:40], LABELS[:40], eval_set=[(FEATURES[40:], LABELS[40:])], verbose=False)

    run = only_run(client, current_experiment)
    assert run.data.params["max_depth"] == "2"
    assert steps(client, run.info.run_id, "validation_0-logloss") == list(range(ROUNDS))
    loaded = shipyard.xgboost.load_model(f"models:/{model_id(client, run)}")
    assert isinstance(loaded, xgb.XGBClassifier)
    assert (loaded.predict(FEATURES) == model.predict(FEATURES)).all()


def test_inside_an_active_run_train_logs_to_it(
    client: MlflowClient, current_experiment: str
) -> None:
    shipyard.xgboost.autolog(log_models=False)
    train, _ = _datasets()

    with fluent.start_run() as run:
        xgb.train(PARAMS, train, num_boost_round=ROUNDS, evals=[(train, "train")])

    assert steps(client, run.info.run_id, "train-logloss") == list(range(ROUNDS))
    assert len(client.search_runs([current_experiment])) == 1


def test_disabling_restores_train(client: MlflowClient, current_experiment: str) -> None:
    original = xgb.train
    shipyard.xgboost.autolog()
    assert xgb.train is not original

    shipyard.xgboost.autolog(disable=True)
    xgb.train(PARAMS, _datasets()[0], num_boost_round=1)

    assert xgb.train is original
    assert client.search_runs([current_experiment]) == []
