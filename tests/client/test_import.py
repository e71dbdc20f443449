"""What ``import shipyard`` costs, what it loads lazily, and the hooks autologging relies on."""

from __future__ import annotations

import json
import subprocess
import sys
import types
from pathlib import Path

import pytest

import shipyard
from shipyard import fluent

HEAVY = ("httpx", "sqlalchemy", "orjson", "pandas", "numpy", "yaml")
SERVER_EXTRAS = ("fastapi", "starlette", "uvicorn", "pydantic", "psycopg", "boto3", "jinja2")


def _run_python(code: str, env: dict[str, str] | None = None) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_import_shipyard_loads_no_http_database_or_data_library() -> None:
    # what keeps the import fast (bench/client.py measures how fast)
    result = _run_python(
        "import json, sys\n"
        "import shipyard\n"
        f"print(json.dumps({{'loaded': [m for m in {HEAVY!r} if m in sys.modules]}}))\n"
    )

    assert result["loaded"] == []


def test_logging_to_the_embedded_store_needs_none_of_the_server_extras(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "SHIPYARD_HOME": str(tmp_path), "HOME": str(tmp_path)}
    result = _run_python(
        "import json, sys, shipyard\n"
        "with shipyard.start_run() as run:\n"
        "    shipyard.log_metric('m', 1.0)\n"
        "found = shipyard.get_run(run.info.run_id)\n"
        f"print(json.dumps({{'metrics': [m.key for m in found.metrics], 'loaded': "
        f"[m for m in {SERVER_EXTRAS!r} if m in sys.modules]}}))\n",
        env=env,
    )

    assert result == {"metrics": ["m"], "loaded": []}


def test_the_top_level_names_are_the_fluent_functions_client_and_autolog() -> None:
    import shipyard.autologging
    import shipyard.client.tracking

    assert shipyard.start_run is fluent.start_run
    assert shipyard.Client is shipyard.client.tracking.Client
    assert shipyard.autolog is shipyard.autologging.autolog
    assert isinstance(shipyard.sklearn, types.ModuleType)
    assert set(shipyard.__all__) <= set(dir(shipyard))


def test_an_unknown_top_level_name_is_an_attribute_error_naming_it() -> None:
    with pytest.raises(AttributeError, match="no_such_function"):
        _ = shipyard.no_such_function  # type: ignore[attr-defined]


def test_runs_started_and_ended_fluently_are_reported_to_autologgings_run_hooks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[str, str, str]] = []
    hooks = types.ModuleType("shipyard.autologging.run_hooks")
    hooks.run_started = lambda run_id: seen.append(  # type: ignore[attr-defined]
        ("started", run_id, fluent.get_run(run_id).info.status.value)
    )
    hooks.run_ended = lambda run_id: seen.append(  # type: ignore[attr-defined]
        ("ended", run_id, fluent.get_run(run_id).info.status.value)
    )
    hooks.request_for_next_run = lambda enabled: seen.append(  # type: ignore[attr-defined]
        ("requested", str(enabled), "")
    )
    monkeypatch.setitem(sys.modules, "shipyard.autologging.run_hooks", hooks)
    fluent.set_tracking_uri(str(tmp_path))

    with fluent.start_run(log_system_metrics=True) as run:
        pass
    fluent.set_tracking_uri(None)

    assert seen == [
        ("requested", "True", ""),
        ("started", run.info.run_id, "RUNNING"),
        ("ended", run.info.run_id, "RUNNING"),
    ]


def test_without_autologging_loaded_starting_a_run_does_not_load_it(tmp_path: Path) -> None:
    code = (
        "import json, sys, shipyard\n"
        f"shipyard.set_tracking_uri({str(tmp_path)!r})\n"
        "with shipyard.start_run():\n"
        "    pass\n"
        "print(json.dumps({'loaded': 'shipyard.autologging' in sys.modules}))\n"
    )

    assert _run_python(code) == {"loaded": False}
