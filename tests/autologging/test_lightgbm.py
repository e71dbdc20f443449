"""LightGBM autologging on a live server: params, per-iteration metrics, early stopping, models."""

from __future__ import annotations

import json

import lightgbm as lgb
import numpy as np
import pytest
from mlflow import MlflowClient

import shipyard.lightgbm

from .runs import model_id, only_run, steps

RNG = np.random.default_rng(7)
FEATURES = RNG.random((80, 3))
LABELS = (FEATURES[:, 0] + 0.3 * RNG.random(80) > 0.6).astype(int)
PARAMS = {
    "objective": "binary",
    "metric": "binary_logloss",
    "num_leaves": 4,
    "min_data_in_leaf": 5,
    "num_threads": 1,
    "verbose": -1,
}
ROUNDS = 4


def _datasets() -> tuple[lgb.Dataset, lgb.Dataset]:
    train = lgb.Dataset(FEATURES[:60], LABELS[:60], free_raw_data=False)
    return train, lgb.Dataset(FEATURES[60:], LABELS[60:], reference=train)


def test_train_logs_params_and_each_iterations_metrics_at_its_step(
    client: MlflowClient, current_experiment: str
) -> None:
    shipyard.lightgbm.autolog(log_models=False)
    train, valid = _datasets()
    history: dict[str, dict[str, list[float]]] = {}

    lgb.train(
        PARAMS,
        train,
        num_boost_round=ROUNDS,
        valid_sets=[train, valid],
        valid_names=["training", "validation"],
        callbacks=[lgb.record_evaluation(history)],
    )

    run = only_run(client, current_experiment)
    assert run.info.status == "FINISHED"
    assert run.data.tags["mlflow.autologging"] == "lightgbm"
    assert run.data.params["num_leaves"] == "4"
    assert run.data.params["num_boost_round"] == str(ROUNDS)
    assert "train_set" not in run.data.params
    for data in ("training", "validation"):
        key = f"{data}-binary_logloss"
        points = sorted(client.get_metric_history(run.info.run_id, key), key=lambda p: p.step)
        assert [point.step for point in points] == list(range(ROUNDS))
        assert [point.value for point in points] == pytest.approx(history[data]["binary_logloss"])


def test_train_logs_the_booster_and_its_feature_importance(
    client: MlflowClient, current_experiment: str
) -> None:
    shipyard.lightgbm.autolog()

    booster = lgb.train(PARAMS, _datasets()[0], num_boost_round=ROUNDS)

    run = only_run(client, current_experiment)
    loaded = shipyard.lightgbm.load_model(f"models:/{model_id(client, run)}")
    assert isinstance(loaded, lgb.Booster)
    assert loaded.predict(FEATURES) == pytest.approx(booster.predict(FEATURES))
    artifacts = {entry.path for entry in client.list_artifacts(run.info.run_id)}
    assert {"feature_importance_split.json", "feature_importance_gain.json"} <= artifacts
    local = client.download_artifacts(run.info.run_id, "feature_importance_split.json")
    with open(local) as handle:
        split = json.load(handle)
    expected = booster.feature_importance(importance_type="split")
    assert split == dict(zip(booster.feature_name(), map(float, expected), strict=True))


def test_early_stopping_logs_the_stopped_and_best_iterations(
    client: MlflowClient, current_experiment: str
) -> None:
    shipyard.lightgbm.autolog(log_models=False)
    train, valid = _datasets()
    # A large learning rate overfits at once, so validation loss stops improving early.
    params = {**PARAMS, "learning_rate": 1.0, "num_leaves": 16, "min_data_in_leaf": 1}

    booster = lgb.train(
        params,
        train,
        num_boost_round=50,
        valid_sets=[valid],
        callbacks=[lgb.early_stopping(2, verbose=False)],
    )

    run = only_run(client, current_experiment)
    # One step per iteration, and one more for the best iteration's values.
    iterations = len(steps(client, run.info.run_id, "valid_0-binary_logloss")) - 1
    assert iterations < 50
    assert run.data.metrics["best_iteration"] == booster.best_iteration
    assert run.data.metrics["stopped_iteration"] == iterations
    history = client.get_metric_history(run.info.run_id, "valid_0-binary_logloss")
    by_step = {point.step: point.value for point in history}
    # best_iteration counts from 1; the best value is logged again after the last step.
    assert by_step[iterations] == pytest.approx(by_step[booster.best_iteration - 1])


def test_classifier_fit_logs_one_run_with_eval_set_metrics_and_the_wrapper_model(
    client: MlflowClient, current_experiment: str
) -> None:
    shipyard.lightgbm.autolog()
    model = lgb.LGBMClassifier(
        n_estimators=ROUNDS, num_leaves=4, min_child_samples=5, n_jobs=1, verbose=-1
    )

    model.fit(FEATURES[:60], LABELS[:60], eval_X=(FEATURES[60:],), eval_y=(LABELS[60:],))

    run = only_run(client, current_experiment)
    assert run.data.tags["mlflow.autologging"] == "lightgbm"
    assert run.data.params["num_leaves"] == "4"
    assert steps(client, run.info.run_id, "valid_0-binary_logloss") == list(range(ROUNDS))
    loaded = shipyard.lightgbm.load_model(f"models:/{model_id(client, run)}")
    assert isinstance(loaded, lgb.LGBMClassifier)
    assert (loaded.predict(FEATURES) == model.predict(FEATURES)).all()


def test_disabling_restores_train(client: MlflowClient, current_experiment: str) -> None:
    original = lgb.train
    shipyard.lightgbm.autolog()
    assert lgb.train is not original

    shipyard.lightgbm.autolog(disable=True)
    lgb.train(PARAMS, _datasets()[0], num_boost_round=1)

    assert lgb.train is original
    assert client.search_runs([current_experiment]) == []
