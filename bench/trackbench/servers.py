"""Starting a tracking server in its own process group and temp directory, and stopping it.

A server is spawned with ``start_new_session=True`` so that it and every worker it forks share
one process group, which :meth:`Server.stop` signals as a whole (SIGTERM, then SIGKILL).
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx

HEALTH_POLL_SECONDS = 0.05
STOP_GRACE_SECONDS = 15.0
LOG_TAIL_LINES = 40


class ServerDied(RuntimeError):
    """A server exited or never became healthy; the message ends with its log tail."""


@dataclass(frozen=True)
class ServerSpec:
    """How to start one kind of server.

    ``command`` is a shell-style template; ``{bin}`` is the directory of the running Python
    (the venv's ``bin``), ``{port}`` the free port picked for this start, ``{tmp}`` its fresh
    temp directory.
    """

    name: str
    command: str
    workers: str

    def argv(self, *, port: int, tmp: Path) -> list[str]:
        """The command line for one start, placeholders filled in token by token."""
        bin_dir = Path(sys.executable).parent
        return [
            token.format(bin=bin_dir, port=port, tmp=tmp) for token in shlex.split(self.command)
        ]

    def display(self) -> str:
        """The command as a reader would type it: venv-relative, with ``<port>`` and ``<tmp>``."""
        bin_dir = Path(sys.executable).parent
        if bin_dir.is_relative_to(Path.cwd()):
            bin_dir = bin_dir.relative_to(Path.cwd())
        tokens = shlex.split(self.command)
        return " ".join(token.format(bin=bin_dir, port="<port>", tmp="<tmp>") for token in tokens)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Server:
    """One server process tree with its own port, temp directory and log file."""

    def __init__(self, spec: ServerSpec, *, startup_timeout: float) -> None:
        self.spec = spec
        self.workdir = Path(tempfile.mkdtemp(prefix=f"trackbench-{spec.name}-"))
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.argv = spec.argv(port=self.port, tmp=self.workdir)
        self.log_path = self.workdir / "server.log"
        self.startup_seconds: float | None = None
        self._startup_timeout = startup_timeout
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._spawned_at = 0.0

    @property
    def pid(self) -> int:
        """The process id of the command we spawned (the process-group leader)."""
        if self._proc is None:
            raise RuntimeError(f"{self.spec.name} server was not spawned")
        return self._proc.pid

    def spawn(self) -> None:
        """Start the process; stdout and stderr both go to ``server.log`` in its temp dir."""
        executable = self.argv[0]
        if shutil.which(executable) is None:
            raise ServerDied(f"{self.spec.name}: command not found: {executable}")
        self._log = self.log_path.open("wb")
        self._spawned_at = time.perf_counter()
        self._proc = subprocess.Popen(
            self.argv,
            cwd=self.workdir,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )

    def wait_healthy(self) -> float:
        """Poll ``GET /health`` until it answers 200; return seconds since spawn."""
        deadline = self._spawned_at + self._startup_timeout
        limits = httpx.Limits(max_keepalive_connections=0)
        with httpx.Client(base_url=self.base_url, timeout=2.0, limits=limits) as client:
            while time.perf_counter() < deadline:
                self.ensure_alive()
                try:
                    if client.get("/health").status_code == 200:
                        self.startup_seconds = time.perf_counter() - self._spawned_at
                        return self.startup_seconds
                except httpx.TransportError:
                    pass
                time.sleep(HEALTH_POLL_SECONDS)
        raise ServerDied(
            f"{self.spec.name} not healthy after {self._startup_timeout:.0f}s\n{self.log_tail()}"
        )

    def start(self) -> float:
        """Spawn and wait for health; return the start-up time in seconds."""
        self.spawn()
        return self.wait_healthy()

    def is_alive(self) -> bool:
        """Whether the spawned process is still running."""
        return self._proc is not None and self._proc.poll() is None

    def ensure_alive(self) -> None:
        """Raise :class:`ServerDied` with the log tail if the process has exited."""
        if self._proc is not None and self._proc.poll() is not None:
            raise ServerDied(
                f"{self.spec.name} server exited with code {self._proc.returncode}\n"
                f"{self.log_tail()}"
            )

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        """The last lines of the server's combined stdout/stderr, indented for printing."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return f"    (no log at {self.log_path})"
        tail = text.splitlines()[-lines:]
        header = f"--- last {len(tail)} lines of {self.log_path} ---"
        return "\n".join([header, *(f"    {line}" for line in tail)])

    def stop(self) -> None:
        """SIGTERM the whole process group, SIGKILL whatever is left after a grace period."""
        if self._proc is not None:
            _signal_group(self._proc.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._proc.wait(timeout=STOP_GRACE_SECONDS)
            _wait_group_gone(self._proc.pid, timeout=5.0)
            _signal_group(self._proc.pid, signal.SIGKILL)
            self._proc.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    def remove_workdir(self) -> None:
        """Delete the temp directory (database, artifacts, log)."""
        shutil.rmtree(self.workdir, ignore_errors=True)


def _signal_group(pgid: int, signum: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signum)


def _wait_group_gone(pgid: int, *, timeout: float) -> None:
    """Give workers that outlive the leader a moment to finish their own shutdown."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
