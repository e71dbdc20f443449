"""What one benchmark run shares: sizes, the two servers and their probes, warnings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import requests

from artbench.payload import Payload, VerificationError
from artbench.probe import Probe
from artbench.transfer import ArtifactClient
from trackbench.console import log
from trackbench.servers import Server

T = TypeVar("T")

# What a live server can do wrong: answer with an error, drop a connection, or send back
# other bytes than it was given. Any of these takes that server out of the current workload.
RECOVERABLE_ERRORS = (requests.RequestException, VerificationError)


@dataclass(frozen=True)
class Sizes:
    """How much work each workload does; ``--quick`` swaps in a smaller set."""

    large_bytes: int  # the one large file
    small_count: int  # the small files (4-64 KiB)
    reps: int  # repetitions of every transfer, alternating which server goes first
    threads: int  # client threads for the small files, both directions


@dataclass
class Contender:
    """One of the two servers under test, with its client and its memory probe."""

    name: str
    server: Server
    probe: Probe
    client: ArtifactClient
    root: str  # the run's artifact folder under the server's artifact root
    version: str
    idle_rss_mb: float = 0.0
    idle_settled: bool = False


@dataclass
class BenchContext:
    """Everything a workload needs."""

    contenders: list[Contender]
    sizes: Sizes
    payload: Payload
    warnings: list[str] = field(default_factory=list)
    failures: dict[tuple[str, str], str] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)  # extra facts for the JSON report

    def warn(self, message: str) -> None:
        """Record a warning for the report and print it now."""
        self.warnings.append(message)
        log(f"WARNING {message}")

    def order(self, rep: int, contenders: list[Contender] | None = None) -> list[Contender]:
        """The contenders in the order of repetition ``rep``: reversed on odd repetitions."""
        chosen = self.contenders if contenders is None else contenders
        return list(chosen) if rep % 2 == 0 else list(reversed(chosen))

    def attempt(self, workload: str, contender: Contender, action: Callable[[], T]) -> T | None:
        """Run ``action``; if the server misbehaves, record it and return None.

        A server that failed once in a workload is skipped for the rest of it. A server that
        died is fatal: ``ensure_alive`` raises ``ServerDied`` with its log tail.
        """
        if (workload, contender.name) in self.failures:
            return None
        try:
            return action()
        except RECOVERABLE_ERRORS as exc:
            contender.server.ensure_alive()
            self.failures[workload, contender.name] = type(exc).__name__
            self.warn(f"{workload}: {contender.name} failed: {exc}")
            return None

    def failure_note(self, workload: str) -> str:
        """The failures in ``workload``, short, for the table's note column."""
        return "; ".join(
            f"{name} failed: {error}"
            for (where, name), error in self.failures.items()
            if where == workload
        )
