"""Realistic data for the UI tests, written straight into a fresh store before the server starts.

What a team's server holds after a few weeks: an experiment of nested runs with metric
histories, system metrics, datasets, tags and artifacts of every previewable kind (image, CSV,
JSON, YAML, Markdown, text, HTML, a model package); a sweep of 10,000 runs; a run with a
100,000-step metric; registered models with versions, aliases, approvals and tags.

Writes go through the store's own functions inside large transactions (seconds, not minutes).
"""

from __future__ import annotations

import io
import json
import math
import random
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from shipyard.domain.entities import Dataset, DatasetInput, LifecycleStage, Metric, RunStatus
from shipyard.store import experiments, logged_models, model_versions, registry, run_logging, runs
from shipyard.store.engine import Database

ROOT = "mlflow-artifacts:"
SWEEP_RUNS = 10_000
LONG_METRIC_STEPS = 100_000


@dataclass
class Seeded:
    """Ids and names of what the seed wrote, for tests to navigate to."""

    vision_experiment: str = ""
    sweep_experiment: str = ""
    long_experiment: str = ""
    parent_runs: list[str] = field(default_factory=list)
    child_runs: list[str] = field(default_factory=list)
    artifact_run: str = ""
    long_run: str = ""
    deleted_run: str = ""
    model_name: str = "fraud-detector"
    logged_model_id: str = ""


def _png(width: int = 64, height: int = 48) -> bytes:
    """A small gradient PNG, written by hand (no imaging library needed)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(
        b"\x00" + bytes(v for x in range(width) for v in (x * 4 % 256, y * 5 % 256, 160))
        for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def _pdf() -> bytes:
    text = b"BT /F1 18 Tf 40 100 Td (Shipyard evaluation report) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 400 200] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(text) + text + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    start = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer << /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, start)
    )
    return out.getvalue()


ARTIFACTS: dict[str, bytes] = {
    "plots/confusion_matrix.png": _png(),
    "plots/roc.png": _png(80, 60),
    "data/predictions.csv": b"id,label,score\n"
    + b"".join(b"%d,%d,%.3f\n" % (i, i % 2, (i * 37 % 100) / 100) for i in range(200)),
    "data/features.tsv": b"feature\timportance\nage\t0.31\nincome\t0.22\nregion\t0.11\n",
    "config/params.json": json.dumps({"lr": 0.01, "layers": [64, 32]}, indent=2).encode(),
    "config/train.yaml": b"optimizer: adam\nepochs: 20\naugment:\n  flip: true\n",
    "README.md": b"# Evaluation\n\nThe model beats the baseline by **4 points**.\n\n- AUC 0.91\n",
    "logs/train.log": b"".join(b"epoch %d loss %.4f\n" % (e, 1 / (e + 1)) for e in range(50)),
    "code/train.py": b"def train(model, data):\n    return model.fit(data)\n",
    "report.html": b"<html><body><h1>Report</h1><script>document.title='x'</script></body></html>",
    "report.pdf": _pdf(),
}


def _write_artifacts(artifacts_root: Path, relative: str, files: dict[str, bytes]) -> None:
    base = artifacts_root / relative
    for name, content in files.items():
        target = base / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)


def _history(key: str, steps: int, start: int, shape: float) -> list[Metric]:
    return [
        Metric(
            key,
            shape * math.exp(-step / (steps / 4)) + 0.02 * math.sin(step),
            start + step * 1000,
            step,
        )
        for step in range(steps)
    ]


def seed(database_uri: str, artifacts_root: Path) -> Seeded:
    """Fill an empty, migrated database (and its artifact folder) with the UI test data."""
    random.seed(7)
    db = Database(database_uri)
    out = Seeded()
    try:
        db.write(lambda c: experiments.ensure_default_experiment(c, ROOT))
        _seed_vision(db, artifacts_root, out)
        _seed_sweep(db, out)
        _seed_long(db, out)
        _seed_registry(db, artifacts_root, out)
    finally:
        db.close()
    return out


def _seed_vision(db: Database, artifacts_root: Path, out: Seeded) -> None:
    def write(conn):  # type: ignore[no-untyped-def]
        exp = experiments.create_experiment(
            conn,
            "image-classification",
            ROOT,
            tags={"team": "vision", "mlflow.note.content": "CNNs on the product photos."},
        )
        out.vision_experiment = str(exp)
        now = 1_790_000_000_000
        dataset = DatasetInput(
            Dataset(
                "photos-v3",
                "a1b2c3d4",
                "local",
                '{"uri": "/data/photos-v3"}',
                '{"mlflow_colspec": []}',
            ),
            {"mlflow.data.context": "training"},
        )
        for index, optimizer in enumerate(["adam", "sgd", "adamw"]):
            parent = runs.create_run(
                conn,
                experiment_id=exp,
                user_id="ana",
                start_time=now + index * 3_600_000,
                run_name=f"sweep-{optimizer}",
                tags={
                    "mlflow.user": "ana",
                    "mlflow.source.git.commit": "9f3c2ab",
                    "mlflow.source.name": "train.py",
                    "stage": "search",
                },
            )
            out.parent_runs.append(parent.info.run_id)
            run_logging.write_batch(
                conn,
                parent.info.run_id,
                run_logging.prepare_batch([], [("optimizer", optimizer)], []),
            )
            run_logging.write_inputs(conn, parent.info.run_id, [dataset], [])
            for child_index in range(4):
                lr = [0.1, 0.03, 0.01, 0.003][child_index]
                child = runs.create_run(
                    conn,
                    experiment_id=exp,
                    user_id="ana",
                    start_time=now + index * 3_600_000 + (child_index + 1) * 60_000,
                    run_name=f"{optimizer}-lr{lr}",
                    tags={
                        "mlflow.parentRunId": parent.info.run_id,
                        "mlflow.user": "ana",
                        "model": "resnet18",
                    },
                )
                out.child_runs.append(child.info.run_id)
                params = [
                    ("lr", str(lr)),
                    ("batch_size", str(32 * (child_index + 1))),
                    ("optimizer", optimizer),
                    ("epochs", "100"),
                ]
                run_logging.write_batch(
                    conn,
                    child.info.run_id,
                    run_logging.prepare_batch(
                        [], params, [("quality", "good" if child_index % 2 else "check")]
                    ),
                )
                points = (
                    _history("loss", 100, now, 1.5 + child_index * 0.1)
                    + _history("val_loss", 100, now, 1.7 + child_index * 0.1)
                    + [
                        Metric(
                            "accuracy", 0.7 + 0.05 * child_index + 0.01 * index, now + 100_000, 99
                        )
                    ]
                    + [
                        Metric("system/cpu_utilization_percentage", 40 + s % 30, now + s * 1000, s)
                        for s in range(60)
                    ]
                    + [
                        Metric("system/gpu_memory_usage_megabytes", 2000 + s * 5, now + s * 1000, s)
                        for s in range(60)
                    ]
                )
                for start in range(0, len(points), 1000):
                    run_logging.write_batch(
                        conn,
                        child.info.run_id,
                        run_logging.prepare_batch(points[start : start + 1000], [], []),
                    )
                runs.update_run(
                    conn,
                    child.info.run_id,
                    status=RunStatus.FINISHED if child_index != 3 else RunStatus.FAILED,
                    end_time=now + index * 3_600_000 + (child_index + 1) * 60_000 + 45_000,
                    run_name=None,
                )
            runs.update_run(
                conn,
                parent.info.run_id,
                status=RunStatus.FINISHED,
                end_time=now + index * 3_600_000 + 400_000,
                run_name=None,
            )
        out.artifact_run = out.child_runs[0]
        deleted = runs.create_run(
            conn,
            experiment_id=exp,
            user_id="ana",
            start_time=now - 86_400_000,
            run_name="abandoned",
            tags={},
        )
        runs.set_lifecycle_stage(conn, deleted.info.run_id, LifecycleStage.DELETED)
        out.deleted_run = deleted.info.run_id
        return exp

    exp = db.write(write)
    _write_artifacts(artifacts_root, f"{exp}/{out.artifact_run}/artifacts", ARTIFACTS)


def _seed_sweep(db: Database, out: Seeded) -> None:
    exp = db.write(lambda c: experiments.create_experiment(c, "hyperparameter-sweep", ROOT))
    out.sweep_experiment = str(exp)
    start = 1_791_000_000_000

    def write_chunk(first: int):  # type: ignore[no-untyped-def]
        def write(conn):  # type: ignore[no-untyped-def]
            for number in range(first, min(first + 500, SWEEP_RUNS)):
                run = runs.create_run(
                    conn,
                    experiment_id=exp,
                    user_id="bo",
                    start_time=start + number * 1000,
                    run_name=f"trial-{number:05d}",
                    tags={"sweep": "s1", "mlflow.user": "bo"},
                )
                metrics = [Metric(f"m{k}", random.random(), start, 0) for k in range(8)]
                params = [(f"p{k}", str(random.randint(0, 9))) for k in range(8)] + [
                    ("model", random.choice(["gbm", "rf", "mlp"]))
                ]
                run_logging.write_batch(
                    conn, run.info.run_id, run_logging.prepare_batch(metrics, params, [])
                )
                # a finished sweep: each trial ran for 30 s to 10 min
                runs.update_run(
                    conn,
                    run.info.run_id,
                    status=RunStatus.FINISHED,
                    end_time=start + number * 1000 + random.randint(30, 600) * 1000,
                    run_name=None,
                )

        return write

    for first in range(0, SWEEP_RUNS, 500):
        db.write(write_chunk(first))


def _seed_long(db: Database, out: Seeded) -> None:
    def write(conn):  # type: ignore[no-untyped-def]
        exp = experiments.create_experiment(conn, "long-training", ROOT)
        run = runs.create_run(
            conn,
            experiment_id=exp,
            user_id="cy",
            start_time=1_792_000_000_000,
            run_name="pretrain-1m",
            tags={},
        )
        out.long_experiment, out.long_run = str(exp), run.info.run_id
        return run.info.run_id

    run_id = db.write(write)
    points = [
        Metric(
            "train_loss",
            3 * math.exp(-s / 30_000) + (2.5 if s == 61_234 else 0) + 0.05 * math.sin(s / 50),
            1_792_000_000_000 + s * 10,
            s,
        )
        for s in range(LONG_METRIC_STEPS)
    ]
    for first in range(0, len(points), 50_000):
        db.write(
            lambda c, first=first: [
                run_logging.write_batch(
                    c, run_id, run_logging.prepare_batch(points[i : i + 1000], [], [])
                )
                for i in range(first, first + 50_000, 1000)
            ]
        )


def _seed_registry(db: Database, artifacts_root: Path, out: Seeded) -> None:
    import numpy as np
    from sklearn.linear_model import LogisticRegression  # test extra

    from shipyard.models.flavors import sklearn as sklearn_flavor
    from shipyard.models.mlmodel import MLmodel

    features = np.array([[0.1, 1.0], [0.4, 0.2], [0.9, 0.8], [0.3, 0.5]] * 5)
    labels = np.array([0, 1, 1, 0] * 5)
    model = LogisticRegression().fit(features, labels)

    def write(conn):  # type: ignore[no-untyped-def]
        exp = int(out.vision_experiment)
        versions = []
        for run_id in out.child_runs[:3]:
            logged = logged_models.create_logged_model(
                conn,
                experiment_id=exp,
                name="model",
                source_run_id=run_id,
                model_type="classifier",
                tags={},
                params={"C": "1.0"},
            )
            versions.append((logged, run_id))
            logged_models.finalize_logged_model(
                conn, logged.model_id, logged.status.__class__("READY")
            )
        registry.create_registered_model(
            conn,
            out.model_name,
            tags={"domain": "payments"},
            description="Flags card transactions for manual review.",
            user_id="ana",
        )
        for index, (logged, run_id) in enumerate(versions):
            model_versions.create_model_version(
                conn,
                name=out.model_name,
                source=f"models:/{logged.model_id}",
                storage_location=logged.artifact_uri,
                run_id=run_id,
                tags={"validated": "yes" if index else "no"},
                run_link=None,
                description=f"Version {index + 1}",
                model_id=logged.model_id,
                user_id="ana",
            )
        registry.set_alias(conn, out.model_name, "champion", 1, "ana")
        registry.set_alias(conn, out.model_name, "champion", 2, "bo")
        registry.set_alias(conn, out.model_name, "challenger", 3, "bo")
        model_versions.set_approval(
            conn,
            out.model_name,
            2,
            model_versions.ApprovalStatus.APPROVED,
            "Beats v1 on AUC.",
            "cy",
        )
        model_versions.set_approval(
            conn,
            out.model_name,
            1,
            model_versions.ApprovalStatus.REJECTED,
            "Leaks the label.",
            "cy",
        )
        registry.create_registered_model(
            conn, "churn-model", tags={}, description=None, user_id="bo"
        )
        return versions

    versions = db.write(write)
    out.logged_model_id = versions[0][0].model_id
    for logged, run_id in versions:
        relative = logged.artifact_uri.removeprefix(f"{ROOT}/")
        card = MLmodel(model_id=logged.model_id, run_id=run_id, artifact_path=logged.artifact_uri)
        sklearn_flavor.save_model(
            model, artifacts_root / relative, input_example=features[:3], mlmodel=card
        )
