"""The state one benchmark run shares: sizes, the two servers, warnings, and per-workload trials."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx

from trackbench.console import log
from trackbench.rest import ApiError, ProtocolError, RestClient
from trackbench.servers import Server

T = TypeVar("T")

# What a server can do wrong without dying: answer with an error, answer with the wrong shape,
# or drop a connection. Any of these takes that server out of the current workload only.
RECOVERABLE_ERRORS = (ApiError, ProtocolError, httpx.HTTPError)


@dataclass(frozen=True)
class Sizes:
    """How much work each workload does; ``--quick`` swaps in a smaller set."""

    reps: int  # interleaved repetitions of the throughput and latency workloads
    latency_calls: int  # timed calls per repetition of a latency workload
    ingest_batches_1: int  # 1000-point batches per repetition, one client
    ingest_batches_8: int  # 1000-point batches per client per repetition, eight clients
    clients: int  # concurrent clients for ingest-8, seeding and the big metric
    search_runs: int  # runs seeded for the search workloads
    seed_chunks: int  # seeding alternates between the servers in this many chunks
    search_reps: int  # timed repetitions of each search query
    search_page_size: int  # max_results when paging through all seeded runs
    big_points: int  # points in the one big metric
    big_chunks: int  # big-metric ingest alternates between the servers in this many chunks
    history_reps: int  # full paged reads of the big metric
    interval_reps: int  # bulk-interval reads of the big metric
    startup_samples: int  # fresh starts timed per server (the main start is one of them)


@dataclass
class Contender:
    """One of the two servers under test."""

    name: str
    server: Server
    version: str = "unknown"

    def client(self, *, keepalive: bool = True) -> RestClient:
        """A new client with its own connection to this server."""
        return RestClient(self.server.base_url, keepalive=keepalive)


@dataclass
class BenchContext:
    """Everything a workload needs: the contenders in interleaving order and the sizes."""

    contenders: list[Contender]
    sizes: Sizes
    warnings: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)  # extra facts for the JSON report

    def warn(self, message: str) -> None:
        """Record a warning for the report and print it now."""
        self.warnings.append(message)
        log(f"WARNING {message}")


def short_error(exc: BaseException) -> str:
    """A one-line description of a failure for the table's note column."""
    if isinstance(exc, ApiError):
        return f"HTTP {exc.status} {exc.error_code}".strip()
    return type(exc).__name__


class Trial:
    """Runs one workload on every contender; a contender that fails drops out of it.

    A failing server is not fatal to the benchmark: its error goes to the warnings (in full) and
    to the row's note (short), and the other server carries on. A server that died is fatal:
    :meth:`Server.ensure_alive` raises ``ServerDied`` with its log tail.
    """

    def __init__(
        self, ctx: BenchContext, workload: str, contenders: list[Contender] | None = None
    ) -> None:
        self.ctx = ctx
        self.workload = workload
        self.contenders = ctx.contenders if contenders is None else contenders
        self.errors: dict[str, str] = {}

    def active(self) -> list[Contender]:
        """The contenders that have not failed yet."""
        return [c for c in self.contenders if c.name not in self.errors]

    def attempt(self, contender: Contender, action: Callable[[], T]) -> T | None:
        """Run ``action``; on a protocol-level failure record it and return None."""
        if contender.name in self.errors:
            return None
        try:
            return action()
        except RECOVERABLE_ERRORS as exc:
            contender.server.ensure_alive()
            self.errors[contender.name] = short_error(exc)
            self.ctx.warn(f"{self.workload}: {contender.name} failed: {exc}")
            return None

    def each(self, action: Callable[[Contender], T]) -> dict[str, T]:
        """Run ``action`` once per contender (set-up work); results by contender name."""
        results: dict[str, T] = {}
        for contender in self.active():
            result = self.attempt(contender, functools.partial(action, contender))
            if result is not None:
                results[contender.name] = result
        return results

    def interleave(
        self,
        reps: int,
        measure: Callable[[Contender, int], T],
        describe: Callable[[T], str] | None = None,
        label: str = "",
    ) -> dict[str, list[T]]:
        """Repeat ``measure`` as A, B, A, B ...; the samples by contender name.

        With ``describe``, each repetition prints one progress line, headed by ``label``
        (default: the workload's name).
        """
        samples: dict[str, list[T]] = {c.name: [] for c in self.contenders}
        for rep in range(reps):
            shown = []
            for contender in self.active():
                result = self.attempt(contender, functools.partial(measure, contender, rep))
                if result is not None:
                    samples[contender.name].append(result)
                    if describe is not None:
                        shown.append(f"{contender.name} {describe(result)}")
            if shown:
                log(f"  {label or self.workload} {rep + 1}/{reps}: " + ", ".join(shown))
        return samples

    def note(self) -> str:
        """The failures, short, for the table's note column."""
        return "; ".join(f"{name} failed: {error}" for name, error in self.errors.items())
