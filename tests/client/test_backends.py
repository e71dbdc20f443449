"""The fluent API and ``shipyard.Client``, one test body on each kind of tracking backend.

Each test runs three times: against a live ``shipyard server``, against the embedded store
(no server), and against a stock ``mlflow server`` started for the session. What is logged
through the fluent API is read back through a fresh ``shipyard.Client`` on the same URI.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from matplotlib.figure import Figure

import shipyard
from shipyard import fluent
from shipyard.domain.entities import Dataset, LifecycleStage, RunStatus
from shipyard.domain.errors import InvalidParameter

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


# One worker holds the session's mlflow server; the others need not start their own.
@pytest.fixture(
    params=["shipyard", "embedded", pytest.param("mlflow", marks=pytest.mark.xdist_group("mlflow"))]
)
def tracking_uri(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The fluent API pointed at one kind of backend; the URI, for a client of one's own."""
    if request.param == "shipyard":
        uri: str = request.getfixturevalue("tracking_server")
    elif request.param == "mlflow":
        uri = request.getfixturevalue("mlflow_server")
    else:
        uri = str(tmp_path / "embedded-store")
    fluent.set_tracking_uri(uri)
    yield uri
    while fluent.active_run() is not None:
        fluent.end_run(RunStatus.KILLED)
    fluent.set_tracking_uri(None)


@pytest.fixture
def reader(tracking_uri: str) -> Iterator[shipyard.Client]:
    """A client of its own on the same backend, to read back what the fluent API logged."""
    with shipyard.Client(tracking_uri) as client:
        yield client


@pytest.fixture
def experiment(tracking_uri: str, unique_name: Callable[[str], str]) -> str:
    """A fresh current experiment; its id."""
    return fluent.set_experiment(unique_name("client-backends")).experiment_id


def test_params_metrics_and_tags_logged_fluently_are_read_back(
    experiment: str, reader: shipyard.Client
) -> None:
    with fluent.start_run(run_name="parent", tags={"team": "vision"}, description="notes") as run:
        fluent.log_param("lr", 0.01)
        fluent.log_params({"depth": 3, "optimizer": "adam"})
        for step in range(5):
            fluent.log_metric("loss", 1.0 / (step + 1), step=step, timestamp=1_700_000 + step)
        fluent.log_metrics({"acc": 0.9, "f1": 0.75}, step=2)
        fluent.set_tag("stage", "dev")
        fluent.set_tags({"seed": 7, "stage": "prod"})

    found = reader.get_run(run.info.run_id)
    history = reader.get_metric_history(run.info.run_id, "loss")
    assert found.info.status is RunStatus.FINISHED
    assert found.info.experiment_id == experiment
    assert found.info.name == "parent"
    assert found.params == {"lr": "0.01", "depth": "3", "optimizer": "adam"}
    assert {m.key: (m.value, m.step) for m in found.metrics} == {
        "loss": (0.2, 4),
        "acc": (0.9, 2),
        "f1": (0.75, 2),
    }
    assert [(p.step, p.value, p.timestamp) for p in history] == [
        (step, 1.0 / (step + 1), 1_700_000 + step) for step in range(5)
    ]
    assert {k: found.tags[k] for k in ("team", "stage", "seed", "mlflow.note.content")} == {
        "team": "vision",
        "stage": "prod",
        "seed": "7",
        "mlflow.note.content": "notes",
    }


def test_a_nested_run_is_a_child_of_the_active_run_and_ends_before_it(
    experiment: str, reader: shipyard.Client
) -> None:
    with fluent.start_run() as parent:
        with fluent.start_run(nested=True) as child:
            fluent.log_metric("inner", 1.5)
        active_after_child = fluent.active_run()

    found = reader.get_run(child.info.run_id)
    assert found.tags["mlflow.parentRunId"] == parent.info.run_id
    assert found.info.status is RunStatus.FINISHED
    assert [(m.key, m.value) for m in found.metrics] == [("inner", 1.5)]
    assert active_after_child is not None and active_after_child.info.run_id == parent.info.run_id


def test_files_folders_and_python_objects_logged_as_artifacts_are_read_back(
    experiment: str, reader: shipyard.Client, tmp_path: Path
) -> None:
    (tmp_path / "notes.txt").write_bytes(b"hello\x00world")
    tree = tmp_path / "tree"
    (tree / "sub").mkdir(parents=True)
    (tree / "a.txt").write_text("A")
    (tree / "sub" / "b.txt").write_text("B")
    figure = Figure()
    figure.add_subplot().plot([0, 1], [1, 0])

    with fluent.start_run() as run:
        fluent.log_artifact(tmp_path / "notes.txt", "docs")
        fluent.log_artifacts(tree, "tree")
        fluent.log_dict({"layers": [1, 2]}, "config/settings.json")
        fluent.log_dict({"layers": [3]}, "config/settings.yaml")
        fluent.log_text("# Summary", "summary.md")
        fluent.log_image(np.zeros((4, 6, 3), dtype=np.uint8), "images/black.png")
        fluent.log_figure(figure, "plots/curve.png")

    run_id = run.info.run_id
    out = tmp_path / "out"
    assert {f.path for f in reader.list_artifacts(run_id)} == {
        "docs",
        "tree",
        "config",
        "summary.md",
        "images",
        "plots",
    }
    assert sorted(f.path for f in reader.walk_artifacts(run_id, "tree")) == [
        "tree/a.txt",
        "tree/sub/b.txt",
    ]
    assert Path(reader.download_artifacts(run_id, "docs/notes.txt", out)).read_bytes() == (
        b"hello\x00world"
    )
    settings = Path(reader.download_artifacts(run_id, "config", out))
    assert json.loads((settings / "settings.json").read_text()) == {"layers": [1, 2]}
    assert yaml.safe_load((settings / "settings.yaml").read_text()) == {"layers": [3]}
    assert Path(reader.download_artifacts(run_id, "summary.md", out)).read_text() == "# Summary"
    for image in ("images/black.png", "plots/curve.png"):
        assert Path(reader.download_artifacts(run_id, image, out)).read_bytes()[:8] == (
            PNG_SIGNATURE
        )


def test_a_table_logged_twice_to_one_file_holds_the_rows_of_both(
    experiment: str, reader: shipyard.Client, tmp_path: Path
) -> None:
    with fluent.start_run() as run:
        fluent.log_table({"x": [1, 2], "label": ["a", "b"]}, "tables/preds.json")
        fluent.log_table(pd.DataFrame({"x": [3], "label": ["c"]}), "tables/preds.json")

    saved = Path(reader.download_artifacts(run.info.run_id, "tables/preds.json", tmp_path))
    table = json.loads(saved.read_text())
    logged = json.loads(reader.get_run(run.info.run_id).tags["mlflow.loggedArtifacts"])
    assert table == {"columns": ["x", "label"], "data": [[1, "a"], [2, "b"], [3, "c"]]}
    assert logged == [{"path": "tables/preds.json", "type": "table"}]


def test_an_image_logged_with_a_key_is_saved_as_a_step_of_an_image_series(
    experiment: str, reader: shipyard.Client
) -> None:
    with fluent.start_run() as run:
        fluent.log_image(np.ones((8, 8), dtype=np.float32), key="frames", step=3)

    names = [f.path for f in reader.walk_artifacts(run.info.run_id, "images")]
    assert len(names) == 2
    assert all(name.startswith("images/frames+step+3+timestamp+") for name in names)
    assert sorted(name.rsplit(".", 1)[1] for name in names) == ["png", "webp"]
    assert reader.get_run(run.info.run_id).tags["mlflow.loggedImages"] == "True"


def test_a_dataset_logged_as_input_is_on_the_run_with_its_context(
    experiment: str, reader: shipyard.Client
) -> None:
    dataset = Dataset(name="iris", digest="abc123", source_type="local", source='{"uri": "x"}')

    with fluent.start_run() as run:
        fluent.log_input(dataset, context="training")

    inputs = reader.get_run(run.info.run_id).dataset_inputs
    assert [(i.dataset.name, i.dataset.digest) for i in inputs] == [("iris", "abc123")]
    assert inputs[0].tags["mlflow.data.context"] == "training"


def test_search_runs_filters_runs_and_returns_a_list_or_a_dataframe(experiment: str) -> None:
    with fluent.start_run() as slow:
        fluent.log_param("lr", "0.1")
        fluent.log_metric("loss", 0.5)
    with fluent.start_run() as fast:
        fluent.log_param("lr", "0.01")
        fluent.log_metric("loss", 0.25)
        fluent.set_tag("kind", "best")

    matches = fluent.search_runs(filter_string="params.lr = '0.01'", output_format="list")
    ordered = fluent.search_runs(order_by=["metrics.loss ASC"], output_format="list")
    frame = fluent.search_runs([experiment], order_by=["metrics.loss DESC"])
    assert [r.info.run_id for r in matches] == [fast.info.run_id]
    assert [r.info.run_id for r in ordered] == [fast.info.run_id, slow.info.run_id]
    assert isinstance(frame, pd.DataFrame)
    assert list(frame["run_id"]) == [slow.info.run_id, fast.info.run_id]
    assert list(frame["metrics.loss"]) == [0.5, 0.25]
    assert list(frame["params.lr"]) == ["0.1", "0.01"]
    assert frame["tags.kind"].isna().tolist() == [True, False]
    assert list(frame["status"]) == ["FINISHED", "FINISHED"]
    assert str(frame["start_time"].dt.tz) == "UTC"
    assert (frame["start_time"] <= frame["end_time"]).all()


def test_search_runs_by_experiment_name_finds_that_experiments_runs(
    experiment: str, unique_name: Callable[[str], str]
) -> None:
    name = fluent.get_experiment(experiment).name
    with fluent.start_run() as run:
        pass
    fluent.set_experiment(unique_name("client-backends-other"))

    found = fluent.search_runs(experiment_names=[name], output_format="list")
    here = fluent.search_runs(output_format="list")
    assert [r.info.run_id for r in found] == [run.info.run_id]
    assert here == []


def test_a_resumed_run_keeps_its_data_and_takes_more(
    experiment: str, reader: shipyard.Client
) -> None:
    with fluent.start_run() as first:
        fluent.log_param("phase", "one")
        fluent.log_metric("loss", 1.0, step=0)

    with fluent.start_run(run_id=first.info.run_id) as resumed:
        status_while_resumed = reader.get_run(first.info.run_id).info.status
        fluent.log_param("second_phase", "two")
        fluent.log_metric("loss", 0.5, step=1)

    found = reader.get_run(first.info.run_id)
    assert resumed.info.run_id == first.info.run_id
    assert status_while_resumed is RunStatus.RUNNING
    assert found.info.status is RunStatus.FINISHED
    assert found.params == {"phase": "one", "second_phase": "two"}
    assert [p.value for p in reader.get_metric_history(first.info.run_id, "loss")] == [1.0, 0.5]


def test_a_deleted_run_leaves_searches_and_is_marked_deleted(
    experiment: str, reader: shipyard.Client
) -> None:
    with fluent.start_run() as kept:
        pass
    with fluent.start_run() as dropped:
        pass

    fluent.delete_run(dropped.info.run_id)

    assert [r.info.run_id for r in fluent.search_runs(output_format="list")] == [kept.info.run_id]
    assert reader.get_run(dropped.info.run_id).info.lifecycle_stage is LifecycleStage.DELETED
    with pytest.raises(InvalidParameter, match="deleted"):
        fluent.start_run(run_id=dropped.info.run_id)


def test_a_param_logged_again_with_another_value_is_refused_at_the_call(experiment: str) -> None:
    with fluent.start_run():
        fluent.log_param("lr", "0.1")
        with pytest.raises(InvalidParameter, match="lr"):
            fluent.log_param("lr", "0.2")


def test_logging_from_the_top_level_module_reaches_the_backend(
    experiment: str, reader: shipyard.Client
) -> None:
    with shipyard.start_run() as run:
        shipyard.log_metric("m", 2.0, step=1)
        shipyard.log_param("p", "v")
    shipyard.flush()

    found = reader.get_run(run.info.run_id)
    assert (found.params, [(m.key, m.value, m.step) for m in found.metrics]) == (
        {"p": "v"},
        [("m", 2.0, 1)],
    )
