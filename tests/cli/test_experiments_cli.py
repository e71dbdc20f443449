"""``shipyard experiments`` against a live server and against the embedded store."""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from shipyard.client.tracking import Client

# conftest.LiveServer: .url, .backend_store_uri, .artifacts_destination
LiveServer = Any
Shipyard = Callable[..., Result]
Experiments = Callable[..., Result]

EXPERIMENT_KEYS = {
    "experiment_id",
    "name",
    "artifact_location",
    "lifecycle_stage",
    "creation_time",
    "last_update_time",
    "tags",
}


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def experiments(shipyard: Shipyard, module_server: LiveServer) -> Experiments:
    """``experiments(command, *args)``: ``shipyard experiments COMMAND`` on the module's server."""

    def run(command: str, *args: str) -> Result:
        return shipyard("experiments", command, "--tracking-uri", module_server.url, *args)

    return run


def as_json(result: Result) -> Any:
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def created(experiments: Experiments, *args: str) -> str:
    """Create an experiment with ``args``; return its id from the JSON output."""
    return str(as_json(experiments("create", *args, "-o", "json"))["experiment_id"])


def assert_one_line_error(result: Result, *parts: str) -> None:
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("Error: ")
    assert result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.stderr
    for part in parts:
        assert part in result.stderr


# -- create and get -------------------------------------------------------------------------


def test_create_prints_the_new_id(experiments: Experiments) -> None:
    name = unique("create")

    result = experiments("create", name)

    assert result.exit_code == 0, result.stderr
    found = as_json(experiments("get", name, "-o", "json"))
    assert result.stdout == f"Created experiment {name!r} with id {found['experiment_id']}.\n"


def test_get_json_is_one_object_with_tags_as_a_mapping(experiments: Experiments) -> None:
    name = unique("get")
    experiment_id = created(experiments, name, "--tag", "team=vision", "--tag", "note=a=b")

    found = as_json(experiments("get", experiment_id, "-o", "json"))

    assert set(found) == EXPERIMENT_KEYS
    assert found["experiment_id"] == experiment_id
    assert found["name"] == name
    assert found["lifecycle_stage"] == "active"
    assert found["tags"] == {"team": "vision", "note": "a=b"}
    assert isinstance(found["creation_time"], int)
    assert found["artifact_location"].endswith(f"/{experiment_id}")


def test_get_by_name_and_by_id_agree(experiments: Experiments) -> None:
    name = unique("both")
    experiment_id = created(experiments, name)

    by_name = as_json(experiments("get", name, "-o", "json"))
    by_id = as_json(experiments("get", experiment_id, "-o", "json"))

    assert by_name == by_id


def test_get_table_lists_fields_then_tags(experiments: Experiments) -> None:
    name = unique("table")
    experiment_id = created(experiments, name, "--tag", "markup=[bold]x[/bold]")

    result = experiments("get", name)

    assert result.exit_code == 0, result.stderr
    lines = [line.split() for line in result.stdout.splitlines()]
    assert ["experiment_id", experiment_id] in lines
    assert ["name", name] in lines
    assert ["lifecycle_stage", "active"] in lines
    assert ["tags", "(1)"] in lines
    assert ["markup", "[bold]x[/bold]"] in lines  # printed as written, not read as markup


def test_create_with_an_artifact_location(experiments: Experiments, tmp_path: Path) -> None:
    location = (tmp_path / "elsewhere").as_uri()

    found = as_json(
        experiments("create", unique("located"), "--artifact-location", location, "-o", "json")
    )

    assert found["artifact_location"] == location


def test_create_refuses_a_taken_name(experiments: Experiments) -> None:
    name = unique("taken")
    created(experiments, name)

    assert_one_line_error(experiments("create", name), name)


def test_create_refuses_a_tag_without_a_value(experiments: Experiments) -> None:
    result = experiments("create", unique("bad-tag"), "--tag", "novalue")

    assert result.exit_code == 2
    assert "'novalue' is not KEY=VALUE" in result.stderr


def test_get_unknown_says_how_to_find_experiments(experiments: Experiments) -> None:
    assert_one_line_error(
        experiments("get", "no-such-experiment"),
        "'no-such-experiment'",
        "shipyard experiments list --view all",
    )


# -- list and search ------------------------------------------------------------------------


def test_list_json_holds_every_active_experiment(experiments: Experiments) -> None:
    first, second = created(experiments, unique("l1")), created(experiments, unique("l2"))

    listed = as_json(experiments("list", "-o", "json"))

    assert all(set(item) == EXPERIMENT_KEYS for item in listed)
    ids = [item["experiment_id"] for item in listed]
    assert {first, second, "0"} <= set(ids)
    assert len(ids) == len(set(ids))


def test_list_table_has_a_header_and_a_row_each(experiments: Experiments) -> None:
    name = unique("row")
    experiment_id = created(experiments, name)

    result = experiments("list")

    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == [
        "experiment_id",
        "name",
        "lifecycle_stage",
        "created",
        "artifact_location",
    ]
    row = next(line.split() for line in lines if name in line)
    assert row[:3] == [experiment_id, name, "active"]


def test_search_filters_by_name_and_tag(experiments: Experiments) -> None:
    team = unique("team")
    wanted = created(experiments, unique("wanted"), "--tag", f"team={team}")
    created(experiments, unique("other"), "--tag", "team=someone-else")

    by_tag = as_json(experiments("search", "--filter", f"tags.team = '{team}'", "-o", "json"))
    prefix = unique("prefix")
    named = created(experiments, f"{prefix}-x")
    by_name = as_json(experiments("list", "--filter", f"name LIKE '{prefix}%'", "-o", "json"))

    assert [item["experiment_id"] for item in by_tag] == [wanted]
    assert [item["experiment_id"] for item in by_name] == [named]


def test_order_by_name(experiments: Experiments) -> None:
    prefix = unique("order")
    for suffix in ("b", "c", "a"):
        created(experiments, f"{prefix}-{suffix}")

    listed = as_json(
        experiments(
            "list", "--filter", f"name LIKE '{prefix}%'", "--order-by", "name DESC", "-o", "json"
        )
    )

    assert [item["name"] for item in listed] == [f"{prefix}-{s}" for s in ("c", "b", "a")]


def test_max_results_cuts_the_list_and_says_so(experiments: Experiments) -> None:
    prefix = unique("cut")
    for index in range(3):
        created(experiments, f"{prefix}-{index}")
    filter_args = ("--filter", f"name LIKE '{prefix}%'")

    cut = experiments("list", *filter_args, "--max-results", "2", "-o", "json")
    whole = experiments("list", *filter_args, "--max-results", "3", "-o", "json")

    assert len(as_json(cut)) == 2
    assert "Showing the first 2; raise --max-results to see more." in cut.stderr
    assert len(as_json(whole)) == 3
    assert whole.stderr == ""


def test_bad_filter_is_one_line_with_the_grammar_hint(experiments: Experiments) -> None:
    assert_one_line_error(
        experiments("list", "--filter", "name === 'x'"), "Invalid filter", "docs/search.md"
    )


# -- rename, tag, delete, restore -----------------------------------------------------------


def test_rename(experiments: Experiments) -> None:
    old, new = unique("old"), unique("new")
    experiment_id = created(experiments, old)

    result = experiments("rename", old, new)

    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"Renamed experiment {experiment_id} from {old!r} to {new!r}.\n"
    assert as_json(experiments("get", experiment_id, "-o", "json"))["name"] == new
    assert experiments("get", old).exit_code == 1


def test_set_tag_replaces_a_value(experiments: Experiments) -> None:
    experiment_id = created(experiments, unique("tagged"), "--tag", "stage=dev")

    result = experiments("set-tag", experiment_id, "stage", "prod")

    assert result.exit_code == 0, result.stderr
    assert as_json(experiments("get", experiment_id, "-o", "json"))["tags"] == {"stage": "prod"}


def test_delete_moves_experiments_to_the_deleted_view_and_restore_brings_them_back(
    experiments: Experiments,
) -> None:
    first_name, second_name = unique("gone"), unique("gone")
    first, second = created(experiments, first_name), created(experiments, second_name)

    deleted = experiments("delete", first_name, second)

    assert deleted.exit_code == 0, deleted.stderr
    assert deleted.stdout.splitlines() == [
        f"Deleted experiment {first} ({first_name!r}).",
        f"Deleted experiment {second} ({second_name!r}).",
    ]
    active = {e["experiment_id"] for e in as_json(experiments("list", "-o", "json"))}
    gone = {
        e["experiment_id"]: e["lifecycle_stage"]
        for e in as_json(experiments("list", "--view", "deleted", "-o", "json"))
    }
    assert {first, second}.isdisjoint(active)
    assert gone[first] == gone[second] == "deleted"

    restored = experiments("restore", first)

    assert restored.exit_code == 0, restored.stderr
    active = {e["experiment_id"] for e in as_json(experiments("list", "-o", "json"))}
    everything = {
        e["experiment_id"] for e in as_json(experiments("list", "--view", "all", "-o", "json"))
    }
    assert first in active
    assert second not in active
    assert {first, second} <= everything


def test_restore_of_an_active_experiment_fails_cleanly(experiments: Experiments) -> None:
    experiment_id = created(experiments, unique("active"))

    result = experiments("restore", experiment_id)

    assert result.exit_code == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1


# -- where the commands look --------------------------------------------------------------------


def test_unreachable_server_says_what_to_do(shipyard: Shipyard, unused_port: int) -> None:
    url = f"http://127.0.0.1:{unused_port}"

    assert_one_line_error(
        shipyard("experiments", "list", "--tracking-uri", url),
        "Cannot reach the tracking server",
        url,
        "shipyard server",
    )


def test_without_a_uri_the_embedded_store_in_shipyard_home_is_used(
    shipyard: Shipyard, isolated_home: Path
) -> None:
    name = unique("home")

    assert shipyard("experiments", "create", name).exit_code == 0
    listed = as_json(shipyard("experiments", "list", "-o", "json"))

    assert (isolated_home / "shipyard.db").is_file()
    assert name in {e["name"] for e in listed}
    with Client(str(isolated_home)) as client:
        assert client.get_experiment_by_name(name) is not None


def test_shipyard_tracking_uri_wins_over_mlflow_tracking_uri(
    shipyard: Shipyard, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", str(theirs))

    assert shipyard("experiments", "create", "via-mlflow-variable").exit_code == 0
    monkeypatch.setenv("SHIPYARD_TRACKING_URI", ours.as_uri())
    assert shipyard("experiments", "create", "via-shipyard-variable").exit_code == 0

    with Client(str(theirs)) as client:
        assert client.get_experiment_by_name("via-mlflow-variable") is not None
        assert client.get_experiment_by_name("via-shipyard-variable") is None
    with Client(str(ours)) as client:
        assert client.get_experiment_by_name("via-shipyard-variable") is not None


def test_reading_a_store_that_does_not_exist_creates_nothing(
    shipyard: Shipyard, tmp_path: Path
) -> None:
    missing = tmp_path / "typo"

    assert_one_line_error(
        shipyard("experiments", "list", "--tracking-uri", str(missing)),
        "No Shipyard store at",
        "--tracking-uri",
    )
    assert not (missing / "shipyard.db").exists()


def test_an_unsupported_uri_is_refused(shipyard: Shipyard) -> None:
    assert_one_line_error(
        shipyard("experiments", "list", "--tracking-uri", "ftp://example.com/x"),
        "Unsupported tracking URI",
    )


def test_works_on_the_embedded_store_without_the_server_packages(
    shipyard_without_server_packages: Callable[..., subprocess.CompletedProcess[str]],
) -> None:
    created = shipyard_without_server_packages("experiments", "create", "light")
    listed = shipyard_without_server_packages("experiments", "list", "-o", "json")

    assert created.returncode == 0, created.stderr
    assert listed.returncode == 0, listed.stderr
    assert {e["name"] for e in json.loads(listed.stdout)} == {"Default", "light"}
