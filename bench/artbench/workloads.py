"""The workloads: one large file, many small files, and Shipyard's folder archive (down and up).

Each repetition runs every server once, alternating which goes first, and every download is
checked against the upload after the clock has stopped. Timed transfers go through
:meth:`Probe.measure`, which also records the server tree's RSS peak and CPU time.
"""

from __future__ import annotations

import functools
import shutil
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from artbench.context import BenchContext, Contender
from artbench.payload import (
    FileSpec,
    VerificationError,
    verify_file,
    verify_folder,
    verify_listing,
    verify_zip,
)
from artbench.probe import MB, Transfer, flush_disk
from artbench.report import CANDIDATE, Metric, Target
from artbench.transfer import run_pool
from trackbench.console import log
from trackbench.measure import median

THROUGHPUT_TARGET = Target("ratio", 1.0)  # large files: at least MLflow's MB/s
SMALL_FILES_TARGET = Target("ratio", 5.0)  # small files: at least 5x MLflow's files/s
MEMORY_GROWTH_TARGET = Target("below", 64.0)  # Shipyard's RSS growth moving the large file

Samples = dict[str, list[Transfer]]


def _empty(ctx: BenchContext) -> Samples:
    return {contender.name: [] for contender in ctx.contenders}


def _keep(samples: Samples, contender: Contender, transfer: Transfer | None) -> None:
    if transfer is not None:
        samples[contender.name].append(transfer)


def _median_of(samples: Samples, value: str) -> dict[str, float | None]:
    return {
        name: median([getattr(t, value) for t in transfers]) if transfers else None
        for name, transfers in samples.items()
    }


def _progress(label: str, samples: Samples, rep: int, reps: int, value: str, unit: str) -> None:
    """One line per repetition: each server's figure and its RSS peak."""
    shown = [
        f"{name} {getattr(transfers[-1], value):,.1f} {unit} "
        f"(RSS peak {transfers[-1].rss_peak_mb:,.0f} MB)"
        for name, transfers in samples.items()
        if len(transfers) > rep
    ]
    log(f"  {label} {rep + 1}/{reps}: {', '.join(shown) or 'no server succeeded'}")


def _record_details(ctx: BenchContext, workload: str, samples: Samples) -> None:
    ctx.details.setdefault("transfers", {})[workload] = {
        name: [transfer.as_json() for transfer in transfers] for name, transfers in samples.items()
    }


def _note(ctx: BenchContext, workload: str, text: str) -> str:
    failures = ctx.failure_note(workload)
    return f"{text}; {failures}" if failures else text


# -- one large file ----------------------------------------------------------------------------


def _upload_large(ctx: BenchContext, contender: Contender) -> Transfer:
    large = ctx.payload.large
    flush_disk()
    return contender.probe.measure(
        lambda: contender.client.upload(f"{contender.root}/{large.name}", ctx.payload.large_path),
        payload_bytes=large.size,
        files=1,
    )


def _download_large(ctx: BenchContext, contender: Contender) -> Transfer:
    large = ctx.payload.large
    local = ctx.payload.downloads / f"{contender.name}-{large.name}"
    flush_disk()
    try:
        transfer = contender.probe.measure(
            lambda: contender.client.download(f"{contender.root}/{large.name}", local),
            payload_bytes=large.size,
            files=1,
        )
        verify_file(local, large)
    finally:
        local.unlink(missing_ok=True)
    return transfer


def _growth(ctx: BenchContext, samples: Samples) -> dict[str, float | None]:
    """The worst repetition's peak RSS minus the idle RSS, per server."""
    idle = {contender.name: contender.idle_rss_mb for contender in ctx.contenders}
    return {
        name: max(t.rss_peak_mb for t in transfers) - idle[name] if transfers else None
        for name, transfers in samples.items()
    }


def _growth_note(samples: Samples) -> str:
    """How much RSS grew within each transfer (peak minus the RSS just before), worst rep.

    Unlike the row's value this leaves out memory a server keeps after its first requests
    (lazy imports, caches), so it isolates what moving the file itself costs.
    """
    within = [
        f"{name} {max(t.rss_peak_mb - t.rss_before_mb for t in transfers):,.1f}"
        for name, transfers in samples.items()
        if transfers
    ]
    return "peak minus idle RSS, worst rep; within the transfer: " + ", ".join(within) + " MB"


def large_file(ctx: BenchContext) -> list[Metric]:
    """``large-upload`` and ``large-download`` in MB/s, and the RSS growth of each."""
    uploads, downloads = _empty(ctx), _empty(ctx)
    reps = ctx.sizes.reps
    for rep in range(reps):
        for contender in ctx.order(rep):
            action = functools.partial(_upload_large, ctx, contender)
            _keep(uploads, contender, ctx.attempt("large", contender, action))
        _progress("large-upload", uploads, rep, reps, "mb_per_second", "MB/s")
        for contender in ctx.order(rep):
            action = functools.partial(_download_large, ctx, contender)
            _keep(downloads, contender, ctx.attempt("large", contender, action))
        _progress("large-download", downloads, rep, reps, "mb_per_second", "MB/s")
    _record_details(ctx, "large-upload", uploads)
    _record_details(ctx, "large-download", downloads)
    size = f"{ctx.payload.large.size / MB:,.0f} MB file, median of {reps}"
    return [
        Metric(
            "large-upload",
            "MB/s",
            "higher",
            _median_of(uploads, "mb_per_second"),
            _note(ctx, "large", size),
            THROUGHPUT_TARGET,
        ),
        Metric(
            "large-download",
            "MB/s",
            "higher",
            _median_of(downloads, "mb_per_second"),
            _note(ctx, "large", size),
            THROUGHPUT_TARGET,
        ),
        Metric(
            "RSS growth, large-upload",
            "MB",
            "lower",
            _growth(ctx, uploads),
            _growth_note(uploads),
            MEMORY_GROWTH_TARGET,
            compared=False,
        ),
        Metric(
            "RSS growth, large-download",
            "MB",
            "lower",
            _growth(ctx, downloads),
            _growth_note(downloads),
            MEMORY_GROWTH_TARGET,
            compared=False,
        ),
    ]


# -- many small files --------------------------------------------------------------------------


def small_folder(contender: Contender, rep: int) -> str:
    """The artifact folder that repetition ``rep`` uploads the small files into."""
    return f"{contender.root}/small-{rep}"


def _upload_small(ctx: BenchContext, contender: Contender, rep: int) -> Transfer:
    folder, source = small_folder(contender, rep), ctx.payload.small_dir

    def upload(spec: FileSpec) -> None:
        contender.client.upload(f"{folder}/{spec.name}", source / spec.name)

    return contender.probe.measure(
        lambda: run_pool(ctx.payload.small, upload, ctx.sizes.threads),
        payload_bytes=ctx.payload.small_bytes,
        files=len(ctx.payload.small),
    )


def _list_small(ctx: BenchContext, contender: Contender, rep: int) -> float:
    started = time.perf_counter()
    entries = contender.client.list(small_folder(contender, rep))
    milliseconds = (time.perf_counter() - started) * 1000
    verify_listing(entries, ctx.payload.small)
    return milliseconds


def _download_small(ctx: BenchContext, contender: Contender, rep: int) -> Transfer:
    folder = small_folder(contender, rep)
    target = ctx.payload.downloads / f"{contender.name}-small"
    target.mkdir()

    def download(spec: FileSpec) -> None:
        contender.client.download(f"{folder}/{spec.name}", target / spec.name)

    try:
        transfer = contender.probe.measure(
            lambda: run_pool(ctx.payload.small, download, ctx.sizes.threads),
            payload_bytes=ctx.payload.small_bytes,
            files=len(ctx.payload.small),
        )
        verify_folder(target, ctx.payload.small)
    finally:
        shutil.rmtree(target, ignore_errors=True)
    return transfer


def _small_rep(
    ctx: BenchContext,
    rep: int,
    uploads: Samples,
    listings: dict[str, list[float]],
    downloads: Samples,
) -> None:
    for contender in ctx.order(rep):
        action = functools.partial(_upload_small, ctx, contender, rep)
        _keep(uploads, contender, ctx.attempt("small", contender, action))
    for contender in ctx.order(rep):
        listing = ctx.attempt(
            "small", contender, functools.partial(_list_small, ctx, contender, rep)
        )
        if listing is not None:
            listings[contender.name].append(listing)
    for contender in ctx.order(rep):
        action = functools.partial(_download_small, ctx, contender, rep)
        _keep(downloads, contender, ctx.attempt("small", contender, action))


def small_files(ctx: BenchContext) -> list[Metric]:
    """``small-upload`` and ``small-download`` in files/s, and one listing of the folder."""
    uploads, downloads = _empty(ctx), _empty(ctx)
    listings: dict[str, list[float]] = {contender.name: [] for contender in ctx.contenders}
    reps = ctx.sizes.reps
    for rep in range(reps):
        _small_rep(ctx, rep, uploads, listings, downloads)
        _progress("small-upload", uploads, rep, reps, "files_per_second", "files/s")
        _progress("small-download", downloads, rep, reps, "files_per_second", "files/s")
    _record_details(ctx, "small-upload", uploads)
    _record_details(ctx, "small-download", downloads)
    ctx.details["small-list_ms"] = listings
    count, total = len(ctx.payload.small), ctx.payload.small_bytes / MB
    what = f"{count:,} files of 4-64 KiB ({total:.1f} MB), {ctx.sizes.threads} threads"
    return [
        Metric(
            "small-upload",
            "files/s",
            "higher",
            _median_of(uploads, "files_per_second"),
            _note(ctx, "small", what),
            SMALL_FILES_TARGET,
        ),
        Metric(
            "small-download",
            "files/s",
            "higher",
            _median_of(downloads, "files_per_second"),
            _note(ctx, "small", what),
            SMALL_FILES_TARGET,
        ),
        Metric(
            "small-list",
            "ms",
            "lower",
            {name: median(values) if values else None for name, values in listings.items()},
            _note(ctx, "small", f"one GET /artifacts?path= of the {count:,}-file folder"),
        ),
    ]


# -- Shipyard's folder archive -----------------------------------------------------------------


def _shipyard_only(
    ctx: BenchContext,
    attempt: str,
    metric: str,
    transfer: Callable[[BenchContext, Contender, int], Transfer],
) -> Samples:
    """``transfer`` for Shipyard alone (a path MLflow does not have), once per repetition."""
    shipyard = [contender for contender in ctx.contenders if contender.name == CANDIDATE]
    samples: Samples = {contender.name: [] for contender in shipyard}
    reps = ctx.sizes.reps
    for rep in range(reps):
        for contender in shipyard:
            action = functools.partial(transfer, ctx, contender, rep)
            _keep(samples, contender, ctx.attempt(attempt, contender, action))
        _progress(metric, samples, rep, reps, "files_per_second", "files/s")
    _record_details(ctx, metric, samples)
    return samples


def _download_archive(ctx: BenchContext, contender: Contender, rep: int) -> Transfer:
    local: Path = ctx.payload.downloads / f"{contender.name}-small.zip"
    received: list[int] = []
    try:
        transfer = contender.probe.measure(
            lambda: received.append(
                contender.client.download_archive(small_folder(contender, rep), local)
            ),
            payload_bytes=ctx.payload.small_bytes,
            files=len(ctx.payload.small),
        )
        verify_zip(local, ctx.payload.small)
    finally:
        local.unlink(missing_ok=True)
    return replace(transfer, payload_bytes=received[0])


def archive(ctx: BenchContext) -> list[Metric]:
    """``archive-download``: the small-file folder as one zip, Shipyard only."""
    samples = _shipyard_only(ctx, "archive", "archive-download", _download_archive)
    what = _note(
        ctx, "archive", f"Shipyard only: the {len(ctx.payload.small):,}-file folder as one zip"
    )
    return [
        Metric(
            "archive-download",
            "files/s",
            "higher",
            _median_of(samples, "files_per_second"),
            what,
            compared=False,
        ),
        Metric(
            "archive-download",
            "MB/s",
            "higher",
            _median_of(samples, "mb_per_second"),
            "MB of zip received",
            compared=False,
        ),
    ]


def _upload_archive(ctx: BenchContext, contender: Contender, rep: int) -> Transfer:
    folder = f"{contender.root}/archive-up-{rep}"
    names = [spec.name for spec in ctx.payload.small]
    written: list[int] = []
    transfer = contender.probe.measure(
        lambda: written.append(
            contender.client.upload_archive(folder, ctx.payload.small_dir, names)
        ),
        payload_bytes=ctx.payload.small_bytes,
        files=len(ctx.payload.small),
    )
    if written[0] != len(names):
        raise VerificationError(f"the server wrote {written[0]} files of {len(names)}")
    local: Path = ctx.payload.downloads / f"{contender.name}-archive-up.zip"
    try:
        contender.client.download_archive(folder, local)
        verify_zip(local, ctx.payload.small)
    finally:
        local.unlink(missing_ok=True)
    return transfer


def archive_upload(ctx: BenchContext) -> list[Metric]:
    """``archive-upload``: the small-file folder as one tar ``PUT``, Shipyard only."""
    samples = _shipyard_only(ctx, "archive-upload", "archive-upload", _upload_archive)
    count = len(ctx.payload.small)
    what = _note(
        ctx,
        "archive-upload",
        f"Shipyard only: the {count:,}-file folder as one tar streamed from disk",
    )
    return [
        Metric(
            "archive-upload",
            "files/s",
            "higher",
            _median_of(samples, "files_per_second"),
            what,
            compared=False,
        ),
        Metric(
            "archive-upload",
            "MB/s",
            "higher",
            _median_of(samples, "mb_per_second"),
            "MB of file content sent",
            compared=False,
        ),
    ]
