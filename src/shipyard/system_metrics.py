"""System metrics: CPU, memory, disk, network and GPU use, sampled while a run is active.

Opt-in, as in MLflow: ``enable_system_metrics_logging()`` (or the environment variable
``SHIPYARD_ENABLE_SYSTEM_METRICS_LOGGING`` / ``MLFLOW_ENABLE_SYSTEM_METRICS_LOGGING`` set to
``true``) monitors every run the fluent API starts; ``start_run(log_system_metrics=True)`` one
run. A ``SystemMetricsMonitor`` samples every ``interval`` seconds (default 10,
``set_system_metrics_sampling_interval`` or ``SHIPYARD_SYSTEM_METRICS_SAMPLING_INTERVAL`` /
``MLFLOW_SYSTEM_METRICS_SAMPLING_INTERVAL``) and logs one point per metric, the sample number
as step, under MLflow's names:

    system/cpu_utilization_percentage        system/disk_usage_percentage
    system/system_memory_usage_megabytes     system/disk_usage_megabytes
    system/system_memory_usage_percentage    system/disk_available_megabytes
    system/network_receive_megabytes         system/network_transmit_megabytes
    system/gpu_<i>_utilization_percentage    system/gpu_<i>_memory_usage_megabytes
    system/gpu_<i>_memory_usage_percentage   system/gpu_<i>_power_usage_watts
    system/gpu_<i>_power_usage_percentage

Network traffic counts from the monitor's start. CPU, memory, disk and network need psutil
(the ``system-metrics`` extra). GPUs are read through pynvml when it is installed, else
``nvidia-smi`` when it is on the PATH, else not at all; a GPU source that fails is dropped
with one warning and the other metrics go on.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import shutil
import subprocess
import threading
from collections.abc import Sequence
from typing import Protocol

from shipyard.domain.clock import now_ms
from shipyard.domain.entities import Metric

__all__ = [
    "METRIC_PREFIX",
    "SystemMetricsMonitor",
    "disable_system_metrics_logging",
    "enable_system_metrics_logging",
    "set_system_metrics_sampling_interval",
]

logger = logging.getLogger("shipyard.system_metrics")

METRIC_PREFIX = "system/"
DEFAULT_INTERVAL_S = 10.0
ENABLE_VARIABLES = (
    "SHIPYARD_ENABLE_SYSTEM_METRICS_LOGGING",
    "MLFLOW_ENABLE_SYSTEM_METRICS_LOGGING",
)
INTERVAL_VARIABLES = (
    "SHIPYARD_SYSTEM_METRICS_SAMPLING_INTERVAL",
    "MLFLOW_SYSTEM_METRICS_SAMPLING_INTERVAL",
)
NVIDIA_SMI_TIMEOUT_S = 5.0
_MB = 1e6

_enabled: bool | None = None  # None: the environment decides
_interval: float | None = None


def enable_system_metrics_logging() -> None:
    """Monitor system metrics for every run the fluent API starts from now on."""
    global _enabled
    from shipyard.autologging import run_hooks  # noqa: F401  (fluent calls it once imported)

    _enabled = True


def disable_system_metrics_logging() -> None:
    """Stop monitoring runs started from now on (runs asked for one by one still are)."""
    global _enabled
    _enabled = False


def set_system_metrics_sampling_interval(seconds: float | None) -> None:
    """Sample every ``seconds`` (None: back to the environment's value or the default)."""
    global _interval
    if seconds is not None and seconds <= 0:
        raise ValueError(f"The sampling interval must be positive, got {seconds}.")
    _interval = seconds


def is_enabled() -> bool:
    """Whether runs are monitored unless they ask otherwise."""
    if _enabled is not None:
        return _enabled
    return any(
        os.environ.get(name, "").strip().lower() in ("1", "true", "yes")
        for name in ENABLE_VARIABLES
    )


def sampling_interval() -> float:
    """The interval in seconds: the one set, else the environment's, else 10."""
    if _interval is not None:
        return _interval
    for name in INTERVAL_VARIABLES:
        with contextlib.suppress(KeyError, ValueError):
            value = float(os.environ[name])
            if value > 0:
                return value
    return DEFAULT_INTERVAL_S


class Sampler(Protocol):
    """One source of metrics: names (without the prefix) to values."""

    def sample(self) -> dict[str, float]:
        """The current values."""


class HostSampler:
    """CPU, memory, root-disk and network use, through psutil."""

    def __init__(self) -> None:
        psutil = importlib.import_module("psutil")
        self._psutil = psutil
        psutil.cpu_percent()  # the first call only sets the reference point
        counters = psutil.net_io_counters()
        self._received, self._sent = counters.bytes_recv, counters.bytes_sent

    def sample(self) -> dict[str, float]:
        psutil = self._psutil
        memory = psutil.virtual_memory()
        disk = psutil.disk_usage(os.sep)
        network = psutil.net_io_counters()
        return {
            "cpu_utilization_percentage": float(psutil.cpu_percent()),
            "system_memory_usage_megabytes": memory.used / _MB,
            "system_memory_usage_percentage": memory.used / memory.total * 100,
            "disk_usage_percentage": float(disk.percent),
            "disk_usage_megabytes": disk.used / _MB,
            "disk_available_megabytes": disk.free / _MB,
            "network_receive_megabytes": (network.bytes_recv - self._received) / _MB,
            "network_transmit_megabytes": (network.bytes_sent - self._sent) / _MB,
        }


def _gpu_values(
    index: int,
    utilization: float,
    memory_used_mb: float,
    memory_total_mb: float,
    power_w: float | None,
    power_limit_w: float | None,
) -> dict[str, float]:
    values = {
        f"gpu_{index}_utilization_percentage": utilization,
        f"gpu_{index}_memory_usage_megabytes": memory_used_mb,
        f"gpu_{index}_memory_usage_percentage": memory_used_mb / memory_total_mb * 100,
    }
    if power_w is not None:
        values[f"gpu_{index}_power_usage_watts"] = power_w
        if power_limit_w:
            values[f"gpu_{index}_power_usage_percentage"] = power_w / power_limit_w * 100
    return values


class NvmlSampler:
    """NVIDIA GPUs through pynvml (the NVIDIA Management Library)."""

    def __init__(self) -> None:
        pynvml = importlib.import_module("pynvml")
        pynvml.nvmlInit()
        self._nvml = pynvml
        count = pynvml.nvmlDeviceGetCount()
        self._handles = [pynvml.nvmlDeviceGetHandleByIndex(i) for i in range(count)]

    def sample(self) -> dict[str, float]:
        nvml = self._nvml
        values: dict[str, float] = {}
        for index, handle in enumerate(self._handles):
            memory = nvml.nvmlDeviceGetMemoryInfo(handle)
            power_w = power_limit_w = None
            with contextlib.suppress(nvml.NVMLError):
                power_w = nvml.nvmlDeviceGetPowerUsage(handle) / 1000
                power_limit_w = nvml.nvmlDeviceGetEnforcedPowerLimit(handle) / 1000
            values.update(
                _gpu_values(
                    index,
                    float(nvml.nvmlDeviceGetUtilizationRates(handle).gpu),
                    memory.used / _MB,
                    memory.total / _MB,
                    power_w,
                    power_limit_w,
                )
            )
        return values


class NvidiaSmiSampler:
    """NVIDIA GPUs through the ``nvidia-smi`` command (when pynvml is not installed)."""

    QUERY = "index,utilization.gpu,memory.used,memory.total,power.draw,power.limit"

    def __init__(self, executable: str) -> None:
        self._executable = executable

    def sample(self) -> dict[str, float]:
        output = subprocess.run(
            [self._executable, f"--query-gpu={self.QUERY}", "--format=csv,noheader,nounits"],
            capture_output=True,
            text=True,
            check=True,
            timeout=NVIDIA_SMI_TIMEOUT_S,
        ).stdout
        values: dict[str, float] = {}
        for line in output.splitlines():
            if not line.strip():
                continue
            index, utilization, used, total, power, limit = (
                field.strip() for field in line.split(",")
            )
            values.update(
                _gpu_values(
                    int(index),
                    float(utilization),
                    float(used) * 1.048576,  # nvidia-smi reports MiB
                    float(total) * 1.048576,
                    _optional_number(power),
                    _optional_number(limit),
                )
            )
        return values


def _optional_number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None  # "[N/A]" on GPUs that do not report it


def gpu_sampler() -> Sampler | None:
    """The GPU source of this machine: pynvml, else nvidia-smi, else None."""
    with contextlib.suppress(Exception):
        return NvmlSampler()
    executable = shutil.which("nvidia-smi")
    if executable is None:
        return None
    candidate = NvidiaSmiSampler(executable)
    try:
        candidate.sample()
    except Exception as exc:
        logger.debug("nvidia-smi is on the PATH but does not answer: %s", exc)
        return None
    return candidate


def default_samplers() -> list[Sampler]:
    """The host (psutil) and, when present, the GPUs."""
    try:
        samplers: list[Sampler] = [HostSampler()]
    except ImportError:
        logger.warning(
            "System metrics need psutil: pip install 'shipyard[system-metrics]'. "
            "Only GPU metrics (if any) are logged."
        )
        samplers = []
    gpus = gpu_sampler()
    if gpus is not None:
        samplers.append(gpus)
    return samplers


class MetricsSink(Protocol):
    """Where a monitor logs: ``shipyard.Client`` (its ``log_batch``)."""

    def log_batch(self, run_id: str, metrics: Sequence[Metric] = ...) -> None:
        """Queue ``metrics`` for ``run_id``."""


class SystemMetricsMonitor:
    """Samples the system every ``interval`` seconds on a daemon thread, logging to ``run_id``
    through ``client`` (a ``shipyard.Client``) until ``stop``."""

    def __init__(
        self,
        run_id: str,
        client: MetricsSink,
        interval: float | None = None,
        samplers: Sequence[Sampler] | None = None,
    ) -> None:
        self.run_id = run_id
        self.interval = interval if interval is not None else sampling_interval()
        if self.interval <= 0:
            raise ValueError(f"The sampling interval must be positive, got {self.interval}.")
        self._client = client
        self._samplers = list(samplers) if samplers is not None else None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.step = 0

    def start(self) -> SystemMetricsMonitor:
        """Start sampling (the first sample comes one interval from now)."""
        if self._thread is not None:
            return self
        if self._samplers is None:
            self._samplers = default_samplers()
        self._thread = threading.Thread(
            target=self._run, name=f"shipyard-system-metrics-{self.run_id}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop sampling and wait for the thread (what it logged stays queued in the client)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.log_sample()

    def log_sample(self) -> None:
        """Take one sample from every source and log it at the next step."""
        values: dict[str, float] = {}
        for sampler in list(self._samplers or []):
            try:
                values.update(sampler.sample())
            except Exception as exc:
                self._drop(sampler, exc)
        if not values:
            return
        at = now_ms()
        points = [
            Metric(METRIC_PREFIX + key, float(value), at, self.step)
            for key, value in values.items()
        ]
        try:
            self._client.log_batch(self.run_id, metrics=points)
        except Exception as exc:
            logger.warning("Could not log system metrics for run %s: %s", self.run_id, exc)
            return
        self.step += 1

    def _drop(self, sampler: Sampler, exc: Exception) -> None:
        logger.warning(
            "System metrics: %s failed (%s: %s); its metrics are no longer logged for run %s.",
            type(sampler).__name__,
            type(exc).__name__,
            exc,
            self.run_id,
        )
        if self._samplers is not None:
            self._samplers.remove(sampler)
