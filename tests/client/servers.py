"""Tracking servers as real processes that a test starts, stops and starts again.

Built on the compat suite's process helpers (command lines, health wait, process-group stop),
so a server here runs exactly as the compat suite's session server does.
"""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import compat.conftest as compat

HOST = compat.HOST
free_port = compat._free_port


class ServerProcess:
    """One ``shipyard server`` or ``mlflow server`` on a fixed port and data folder."""

    def __init__(self, command: list[str], port: int, data_dir: Path) -> None:
        self.command = command
        self.port = port
        self.data_dir = data_dir
        self.url = f"http://{HOST}:{port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @classmethod
    def of(cls, target: str, data_dir: Path, port: int | None = None) -> ServerProcess:
        """A ``shipyard`` or ``mlflow`` server on sqlite and an artifact folder in data_dir."""
        port = port or free_port()
        return cls(compat._server_command(target, port, data_dir), port, data_dir)

    @classmethod
    def on_data_dir(cls, data_dir: Path | None, workdir: Path) -> ServerProcess:
        """``shipyard server --data-dir`` (None: no option, the default data dir)."""
        port = free_port()
        command = [
            compat._console_script("shipyard"),
            "server",
            "--host",
            HOST,
            "--port",
            str(port),
        ]
        if data_dir is not None:
            command += ["--data-dir", str(data_dir)]
        return cls(command, port, workdir)

    def start(self) -> ServerProcess:
        """Start the process and wait until it answers /health."""
        self.starts += 1
        stderr_path = self.data_dir / f"server-{self.starts}.stderr"
        with stderr_path.open("wb") as stderr:
            self.process = subprocess.Popen(
                self.command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                env=compat._server_env(),
                cwd=self.data_dir,
                start_new_session=True,
            )
        compat._wait_until_healthy(self.process, self.url, stderr_path)
        return self

    def stop(self) -> None:
        """Stop the process (and its workers) if it runs."""
        if self.process is not None:
            compat._stop(self.process)
            self.process = None

    def kill(self) -> None:
        """Kill the process group at once, as a crash would (no graceful shutdown)."""
        if self.process is not None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)
            self.process = None
