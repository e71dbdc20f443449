"""Hugging Face Trainer autologging on a live server, with a tiny randomly initialised BERT."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from mlflow import MlflowClient
from transformers import BertConfig, BertForSequenceClassification, Trainer, TrainingArguments

import shipyard.pytorch
import shipyard.transformers
from shipyard import fluent

from .runs import model_id, only_run, steps

SAMPLES = 8
BATCH = 4
EPOCHS = 2
STEPS = SAMPLES // BATCH * EPOCHS


def _model() -> BertForSequenceClassification:
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=30,
        hidden_size=8,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=8,
        max_position_embeddings=16,
        num_labels=2,
    )
    return BertForSequenceClassification(config)


def _dataset() -> list[dict[str, torch.Tensor]]:
    generator = torch.Generator().manual_seed(1)
    ids = torch.randint(1, 30, (SAMPLES, 6), generator=generator)
    return [
        {"input_ids": ids[i], "attention_mask": torch.ones(6, dtype=torch.long), "labels": i % 2}
        for i in range(SAMPLES)
    ]


def _trainer(root: Path, model: BertForSequenceClassification, **extra: object) -> Trainer:
    args = TrainingArguments(
        output_dir=str(root),
        num_train_epochs=EPOCHS,
        per_device_train_batch_size=BATCH,
        per_device_eval_batch_size=BATCH,
        learning_rate=0.01,
        logging_steps=1,
        eval_strategy="epoch",
        save_strategy="no",
        report_to="none",
        use_cpu=True,
        disable_tqdm=True,
    )
    data = _dataset()
    return Trainer(model=model, args=args, train_dataset=data, eval_dataset=data, **extra)  # type: ignore[arg-type]


def test_train_logs_config_and_arguments_and_each_log_at_its_global_step(
    client: MlflowClient, current_experiment: str, tmp_path: Path
) -> None:
    shipyard.transformers.autolog(log_models=False)

    _trainer(tmp_path, _model()).train()

    run = only_run(client, current_experiment)
    assert run.info.status == "FINISHED"
    assert run.data.tags["mlflow.autologging"] == "transformers"
    params = run.data.params
    assert params["learning_rate"] == "0.01"
    assert params["num_train_epochs"] == str(EPOCHS)
    assert params["per_device_train_batch_size"] == str(BATCH)
    assert params["hidden_size"] == "8"
    assert params["num_hidden_layers"] == "1"
    # logging_steps=1: the training loss at every optimizer step; evaluation after each epoch.
    assert steps(client, run.info.run_id, "loss") == list(range(1, STEPS + 1))
    assert steps(client, run.info.run_id, "eval_loss") == [STEPS // EPOCHS, STEPS]
    assert steps(client, run.info.run_id, "train_loss") == [STEPS]
    assert "train_runtime" in run.data.metrics


def test_the_trained_model_is_logged_and_loads_with_the_pytorch_flavor(
    client: MlflowClient, current_experiment: str, tmp_path: Path
) -> None:
    shipyard.transformers.autolog()
    model = _model()

    _trainer(tmp_path, model).train()

    run = only_run(client, current_experiment)
    loaded = shipyard.pytorch.load_model(f"models:/{model_id(client, run)}")
    ids = torch.stack([row["input_ids"] for row in _dataset()])
    model.eval()
    with torch.no_grad():
        expected = model(input_ids=ids).logits.numpy()
        assert loaded(input_ids=ids).logits.numpy() == pytest.approx(expected, abs=1e-6)


def test_the_callback_alone_logs_to_a_run_it_starts_and_ends(
    client: MlflowClient, current_experiment: str, tmp_path: Path
) -> None:
    callback = shipyard.transformers.ShipyardCallback()

    _trainer(tmp_path, _model(), callbacks=[callback]).train()

    run = only_run(client, current_experiment)
    assert run.info.status == "FINISHED"
    assert "mlflow.autologging" not in run.data.tags
    assert run.data.params["learning_rate"] == "0.01"
    assert steps(client, run.info.run_id, "loss") == list(range(1, STEPS + 1))
    assert fluent.active_run() is None


def test_disabling_restores_train(
    client: MlflowClient, current_experiment: str, tmp_path: Path
) -> None:
    original = Trainer.train
    shipyard.transformers.autolog()
    assert Trainer.train is not original

    shipyard.transformers.autolog(disable=True)
    _trainer(tmp_path, _model()).train()

    assert Trainer.train is original
    assert client.search_runs([current_experiment]) == []
