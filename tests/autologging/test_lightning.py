"""PyTorch Lightning autologging on a live server: hyperparameters, metrics, the model."""

from __future__ import annotations

from pathlib import Path

import lightning.pytorch as pl
import pytest
import torch
from mlflow import MlflowClient
from torch.utils.data import DataLoader, TensorDataset

import shipyard.lightning
import shipyard.pytorch
from shipyard import fluent

from .runs import model_id, only_run

torch.manual_seed(0)
FEATURES = torch.rand(32, 3)
TARGETS = FEATURES @ torch.tensor([[1.0], [-2.0], [0.5]])
EPOCHS = 3
BATCHES_PER_EPOCH = 4


class Regressor(pl.LightningModule):
    def __init__(self, lr: float = 0.1, hidden: int = 4) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.net = torch.nn.Sequential(
            torch.nn.Linear(3, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 1)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)  # type: ignore[no-any-return]

    def training_step(self, batch: list[torch.Tensor], index: int) -> torch.Tensor:
        loss = torch.nn.functional.mse_loss(self(batch[0]), batch[1])
        self.log("train_loss", loss, on_step=False, on_epoch=True)
        return loss

    def validation_step(self, batch: list[torch.Tensor], index: int) -> None:
        self.log("val_loss", torch.nn.functional.mse_loss(self(batch[0]), batch[1]))

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.SGD(self.parameters(), lr=self.hparams["lr"], momentum=0.5)


def _loader() -> DataLoader[tuple[torch.Tensor, ...]]:
    return DataLoader(TensorDataset(FEATURES, TARGETS), batch_size=32 // BATCHES_PER_EPOCH)


def _trainer(root: Path, **options: object) -> pl.Trainer:
    settings: dict[str, object] = {
        "max_epochs": EPOCHS,
        "default_root_dir": root,
        "logger": False,
        "enable_checkpointing": False,
        "enable_progress_bar": False,
        "enable_model_summary": False,
        "accelerator": "cpu",
    }
    return pl.Trainer(**{**settings, **options})  # type: ignore[arg-type]


def test_fit_logs_hyperparams_optimizer_and_epoch_metrics_at_global_steps(
    client: MlflowClient, current_experiment: str, tmp_path: Path
) -> None:
    shipyard.lightning.autolog(log_models=False)

    _trainer(tmp_path).fit(Regressor(lr=0.05), _loader(), _loader())

    run = only_run(client, current_experiment)
    assert run.info.status == "FINISHED"
    assert run.data.tags["mlflow.autologging"] == "lightning"
    params = run.data.params
    assert params["epochs"] == str(EPOCHS)
    assert params["lr"] == "0.05"
    assert params["hidden"] == "4"
    assert params["optimizer_name"] == "SGD"
    assert params["optimizer_momentum"] == "0.5"
    # Epoch-level values are logged at the global step each epoch ended on.
    epoch_ends = [BATCHES_PER_EPOCH * (epoch + 1) - 1 for epoch in range(EPOCHS)]
    for key in ("train_loss", "val_loss"):
        history = client.get_metric_history(run.info.run_id, key)
        assert sorted(point.step for point in history) == epoch_ends, key
    # Lightning adds the epoch to each logging call (training and validation) at that step.
    epochs = client.get_metric_history(run.info.run_id, "epoch")
    assert {(point.step, point.value) for point in epochs} == {
        (step, float(epoch)) for epoch, step in enumerate(epoch_ends)
    }


def test_the_trained_module_is_logged_and_loads_with_the_pytorch_flavor(
    client: MlflowClient, current_experiment: str, tmp_path: Path
) -> None:
    shipyard.lightning.autolog()
    module = Regressor()

    _trainer(tmp_path).fit(module, _loader())

    run = only_run(client, current_experiment)
    loaded = shipyard.pytorch.load_model(f"models:/{model_id(client, run)}")
    with torch.no_grad():
        assert loaded(FEATURES).numpy() == pytest.approx(module(FEATURES).numpy())


def test_the_logger_alone_logs_to_a_run_it_starts_and_ends(
    client: MlflowClient, current_experiment: str, tmp_path: Path
) -> None:
    logger = shipyard.lightning.ShipyardLogger()

    _trainer(tmp_path, logger=logger, log_every_n_steps=1).fit(Regressor(), _loader())

    run = only_run(client, current_experiment)
    assert run.info.run_id == logger.run_id
    assert run.info.status == "FINISHED"
    assert run.data.params["lr"] == "0.1"
    assert len(client.get_metric_history(run.info.run_id, "train_loss")) == EPOCHS
    assert fluent.active_run() is None


def test_disabling_restores_fit(
    client: MlflowClient, current_experiment: str, tmp_path: Path
) -> None:
    shipyard.lightning.autolog()
    shipyard.lightning.autolog(disable=True)

    _trainer(tmp_path).fit(Regressor(), _loader())

    assert client.search_runs([current_experiment]) == []
