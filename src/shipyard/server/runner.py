"""Running the server: one process, or a pre-forked pool of workers sharing one socket.

With ``workers > 1`` the parent binds the socket, prepares the database once, and forks the
workers; each builds its own app (and database connections) from the same settings object, so
configuration never travels through environment variables. The parent restarts a worker that
dies and stops them all on SIGINT or SIGTERM.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import signal
import socket
import sys
import time
from types import FrameType
from typing import Any

import uvicorn

from shipyard.server.app import create_app, open_artifacts, open_store
from shipyard.server.settings import ServerSettings

log = logging.getLogger(__name__)


# A page of 1,000 runs allocates hundreds of thousands of short-lived dicts and strings. With
# CPython's default generation-0 threshold (700) that sets off a collection every few hundred
# objects, and a full collection walks every object the server holds; measured on 10 pages of
# 1,000 runs, fewer collections cut the time by 15-25%. Objects alive at startup (the app,
# modules) are frozen out of every collection.
GC_THRESHOLDS = (100_000, 50, 1_000)


class _Server(uvicorn.Server):
    """uvicorn's server, minus re-raising the stop signal after a clean shutdown: a stop that
    was asked for ends the process with status 0, not as killed by the signal. The process's
    garbage collector is tuned for a request server before it serves."""

    def run(self, sockets: list[socket.socket] | None = None) -> None:
        gc.collect()
        gc.freeze()
        gc.set_threshold(*GC_THRESHOLDS)
        super().run(sockets=sockets)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        super().handle_exit(sig, frame)
        self._captured_signals.clear()


def _uvicorn_config(settings: ServerSettings) -> uvicorn.Config:
    return uvicorn.Config(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        access_log=settings.log_level == "debug",
        http="httptools",
        loop="uvloop" if sys.platform != "win32" else "asyncio",
        lifespan="on",
        timeout_keep_alive=30,
        root_path=settings.root_path.rstrip("/"),
        server_header=False,
    )


def bind(settings: ServerSettings) -> socket.socket:
    """The listening socket (IPv6 when the host is an IPv6 address)."""
    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((settings.host, settings.port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def prepare(settings: ServerSettings) -> None:
    """Check (and create, or upgrade if allowed) the database and the artifact store once,
    before serving: a server that cannot use them fails before it announces an address."""
    open_store(settings, open_artifacts(settings)).close()


def serve(settings: ServerSettings, sock: socket.socket) -> None:
    """Serve on an already bound (and prepared) socket until stopped."""
    if settings.workers <= 1:
        _Server(_uvicorn_config(settings)).run(sockets=[sock])
        return
    _Supervisor(settings, sock).run()


class _Supervisor:
    def __init__(self, settings: ServerSettings, sock: socket.socket) -> None:
        self.settings = settings
        self.sock = sock
        self.children: dict[int, int] = {}  # pid -> slot
        self.stopping = False

    def _spawn(self, slot: int) -> None:
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            try:
                _Server(_uvicorn_config(self.settings)).run(sockets=[self.sock])
            finally:
                os._exit(0)
        self.children[pid] = slot

    def _stop(self, *_: Any) -> None:
        self.stopping = True
        for pid in list(self.children):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    def run(self) -> None:
        signal.signal(signal.SIGINT, self._stop)
        signal.signal(signal.SIGTERM, self._stop)
        for slot in range(self.settings.workers):
            self._spawn(slot)
        while self.children:
            try:
                pid, status = os.wait()
            except ChildProcessError:
                break
            except InterruptedError:
                continue
            slot = self.children.pop(pid, -1)
            if slot < 0 or self.stopping:
                continue
            log.error("worker %d exited (status %d); starting a new one", pid, status)
            time.sleep(0.5)
            self._spawn(slot)
