"""Keras (3, torch backend) autologging on a live server: params, per-epoch metrics, the model."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import pytest
from mlflow import MlflowClient

import shipyard.keras
from shipyard import fluent

from .runs import model_id, only_run, steps

RNG = np.random.default_rng(11)
FEATURES = RNG.random((32, 4)).astype("float32")
LABELS = (FEATURES[:, 0] > FEATURES[:, 1]).astype("float32")
EPOCHS = 3


def _model() -> keras.Model:
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=0.05),
        loss="binary_crossentropy",
        metrics=["accuracy"],
    )
    return model


def test_fit_logs_params_optimizer_config_and_each_epochs_metrics(
    client: MlflowClient, current_experiment: str
) -> None:
    shipyard.keras.autolog(log_models=False)

    history = _model().fit(
        FEATURES, LABELS, epochs=EPOCHS, batch_size=8, validation_split=0.25, verbose=0
    )

    run = only_run(client, current_experiment)
    assert run.info.status == "FINISHED"
    assert run.data.tags["mlflow.autologging"] == "keras"
    params = run.data.params
    assert params["epochs"] == str(EPOCHS)
    assert params["batch_size"] == "8"
    assert params["validation_split"] == "0.25"
    assert params["optimizer_name"] == "sgd"
    assert float(params["optimizer_learning_rate"]) == pytest.approx(0.05)
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        points = sorted(client.get_metric_history(run.info.run_id, key), key=lambda p: p.step)
        assert [point.step for point in points] == list(range(EPOCHS))
        assert [point.value for point in points] == pytest.approx(history.history[key])
    artifacts = {entry.path for entry in client.list_artifacts(run.info.run_id)}
    assert "model_summary.txt" in artifacts


def test_log_every_n_steps_adds_batch_metrics_at_optimizer_steps(
    client: MlflowClient, current_experiment: str
) -> None:
    shipyard.keras.autolog(log_models=False, log_every_n_steps=2)

    # 32 rows in batches of 8: 4 optimizer steps per epoch, 8 in all.
    _model().fit(FEATURES, LABELS, epochs=2, batch_size=8, verbose=0)

    run = only_run(client, current_experiment)
    batch_steps = [step for step in steps(client, run.info.run_id, "loss") if step % 2 == 0]
    # Epoch ends log at steps 0 and 1; every second optimizer step logs at 2, 4, 6, 8.
    assert {2, 4, 6, 8} <= set(batch_steps)


def test_the_fitted_model_is_logged_and_loads_with_the_keras_flavor(
    client: MlflowClient, current_experiment: str
) -> None:
    shipyard.keras.autolog()
    model = _model()

    model.fit(FEATURES, LABELS, epochs=1, verbose=0)

    run = only_run(client, current_experiment)
    loaded = shipyard.keras.load_model(f"models:/{model_id(client, run)}")
    assert isinstance(loaded, keras.Model)
    expected = model.predict(FEATURES, verbose=0)
    assert loaded.predict(FEATURES, verbose=0) == pytest.approx(expected, abs=1e-6)


def test_the_callback_alone_logs_to_a_run_it_starts_and_ends(
    client: MlflowClient, current_experiment: str
) -> None:
    callback = shipyard.keras.ShipyardCallback()

    _model().fit(FEATURES, LABELS, epochs=2, verbose=0, callbacks=[callback])

    run = only_run(client, current_experiment)
    assert run.info.status == "FINISHED"
    assert "mlflow.autologging" not in run.data.tags
    assert steps(client, run.info.run_id, "loss") == [0, 1]
    assert fluent.active_run() is None


def test_disabling_restores_fit(client: MlflowClient, current_experiment: str) -> None:
    shipyard.keras.autolog()
    shipyard.keras.autolog(disable=True)

    _model().fit(FEATURES, LABELS, epochs=1, verbose=0)

    assert client.search_runs([current_experiment]) == []


def test_a_saved_keras_package_loads_as_a_pyfunc_model(tmp_path: Any) -> None:
    import pandas as pd

    import shipyard.pyfunc

    model = _model()
    model.fit(FEATURES, LABELS, epochs=1, verbose=0)
    shipyard.keras.save_model(model, tmp_path / "package", input_example=FEATURES[:2])

    loaded = shipyard.pyfunc.load_model(str(tmp_path / "package"))
    predictions = loaded.predict(pd.DataFrame(FEATURES))

    expected = model.predict(FEATURES, verbose=0)
    assert np.asarray(predictions) == pytest.approx(expected, abs=1e-6)
