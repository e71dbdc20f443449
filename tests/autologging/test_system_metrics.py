"""System metrics: a real sampler on this machine, GPU sources, and the fluent API's switches."""

from __future__ import annotations

import stat
import time
from pathlib import Path

import pytest
from mlflow import MlflowClient

from shipyard import fluent, system_metrics
from shipyard.autologging import run_hooks
from shipyard.client.tracking import Client
from shipyard.system_metrics import HostSampler, NvidiaSmiSampler, SystemMetricsMonitor

HOST_METRICS = {
    "system/cpu_utilization_percentage",
    "system/system_memory_usage_megabytes",
    "system/system_memory_usage_percentage",
    "system/disk_usage_percentage",
    "system/disk_usage_megabytes",
    "system/disk_available_megabytes",
    "system/network_receive_megabytes",
    "system/network_transmit_megabytes",
}


@pytest.fixture(autouse=True)
def switched_off(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts with no switch set (the environment decides) and the default interval;
    what it sets is undone after it."""
    monkeypatch.setattr(system_metrics, "_enabled", None)
    monkeypatch.setattr(system_metrics, "_interval", None)
    for name in (*system_metrics.ENABLE_VARIABLES, *system_metrics.INTERVAL_VARIABLES):
        monkeypatch.delenv(name, raising=False)


def _script(folder: Path, body: str) -> str:
    path = folder / "nvidia-smi"
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def _history(client: MlflowClient, run_id: str, key: str) -> list[tuple[int, float]]:
    return sorted((point.step, point.value) for point in client.get_metric_history(run_id, key))


def test_a_monitor_samples_every_interval_with_plausible_values(
    client: MlflowClient, tracking_server: str, experiment_id: str
) -> None:
    with Client(tracking_server) as shipyard_client:
        run_id = shipyard_client.create_run(experiment_id).info.run_id
        monitor = SystemMetricsMonitor(run_id, shipyard_client, interval=0.5).start()
        time.sleep(2.2)
        monitor.stop()
        shipyard_client.flush()

    metrics = client.get_run(run_id).data.metrics
    assert set(metrics) >= HOST_METRICS
    assert not [key for key in metrics if key.startswith("system/gpu_")]  # no GPU here
    cpu = _history(client, run_id, "system/cpu_utilization_percentage")
    # 2.2 s at 0.5 s: four samples (three on a machine too busy to keep time).
    assert [step for step, _ in cpu] in ([0, 1, 2], [0, 1, 2, 3])
    assert all(0.0 <= value <= 100.0 for _, value in cpu)
    assert 0.0 < metrics["system/system_memory_usage_percentage"] <= 100.0
    assert metrics["system/system_memory_usage_megabytes"] > 1.0
    assert 0.0 < metrics["system/disk_usage_percentage"] <= 100.0
    assert metrics["system/disk_usage_megabytes"] > 0.0
    assert metrics["system/disk_available_megabytes"] > 0.0
    # Traffic counts from the monitor's start, and the test talked to the server meanwhile.
    assert metrics["system/network_receive_megabytes"] >= 0.0
    assert metrics["system/network_transmit_megabytes"] > 0.0


def test_nvidia_smi_output_becomes_per_gpu_metrics(tmp_path: Path) -> None:
    executable = _script(
        tmp_path,
        "echo '0, 45, 1024, 16384, 70.5, 300.00'\necho '1, 5, 0, 16384, [N/A], [N/A]'",
    )

    values = NvidiaSmiSampler(executable).sample()

    assert values["gpu_0_utilization_percentage"] == 45.0
    assert values["gpu_0_memory_usage_megabytes"] == pytest.approx(1024 * 1.048576)
    assert values["gpu_0_memory_usage_percentage"] == pytest.approx(6.25)
    assert values["gpu_0_power_usage_watts"] == 70.5
    assert values["gpu_0_power_usage_percentage"] == pytest.approx(23.5)
    assert values["gpu_1_utilization_percentage"] == 5.0
    assert "gpu_1_power_usage_watts" not in values


def test_a_failing_gpu_source_is_dropped_and_host_metrics_go_on(
    client: MlflowClient, tracking_server: str, experiment_id: str, tmp_path: Path
) -> None:
    broken = NvidiaSmiSampler(_script(tmp_path, "echo 'driver not loaded' >&2; exit 9"))
    with Client(tracking_server) as shipyard_client:
        run_id = shipyard_client.create_run(experiment_id).info.run_id
        monitor = SystemMetricsMonitor(run_id, shipyard_client, 1.0, [HostSampler(), broken])
        monitor.log_sample()
        monitor.log_sample()
        shipyard_client.flush()

    metrics = client.get_run(run_id).data.metrics
    assert set(metrics) == HOST_METRICS
    assert [step for step, _ in _history(client, run_id, "system/disk_usage_percentage")] == [
        0,
        1,
    ]


def test_enabled_globally_every_fluent_run_is_monitored_until_it_ends(
    client: MlflowClient, current_experiment: str
) -> None:
    system_metrics.enable_system_metrics_logging()
    system_metrics.set_system_metrics_sampling_interval(0.5)

    with fluent.start_run() as run:
        assert run_hooks.monitored_runs() == [run.info.run_id]
        time.sleep(1.3)
    assert run_hooks.monitored_runs() == []
    fluent.flush()

    steps = [
        step for step, _ in _history(client, run.info.run_id, "system/cpu_utilization_percentage")
    ]
    assert steps in ([0], [0, 1])
    assert set(client.get_run(run.info.run_id).data.metrics) >= HOST_METRICS


def test_start_run_log_system_metrics_monitors_that_run_only(
    client: MlflowClient, current_experiment: str
) -> None:
    system_metrics.set_system_metrics_sampling_interval(0.5)

    with fluent.start_run(log_system_metrics=True) as monitored:  # type: ignore[call-arg]
        time.sleep(0.8)
    with fluent.start_run() as plain:
        time.sleep(0.8)
    fluent.flush()

    assert set(client.get_run(monitored.info.run_id).data.metrics) >= HOST_METRICS
    assert client.get_run(plain.info.run_id).data.metrics == {}


def test_the_environment_switches_and_sets_the_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    assert not system_metrics.is_enabled()
    assert system_metrics.sampling_interval() == system_metrics.DEFAULT_INTERVAL_S

    monkeypatch.setenv("MLFLOW_ENABLE_SYSTEM_METRICS_LOGGING", "true")
    monkeypatch.setenv("SHIPYARD_SYSTEM_METRICS_SAMPLING_INTERVAL", "2.5")

    assert system_metrics.is_enabled()
    assert system_metrics.sampling_interval() == 2.5
    system_metrics.disable_system_metrics_logging()  # an explicit call wins
    assert not system_metrics.is_enabled()
