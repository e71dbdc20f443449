"""Progress lines on stdout, stamped with the time since the benchmark started."""

import time

_STARTED = time.monotonic()


def elapsed() -> float:
    """Seconds since this module was imported, i.e. since the benchmark started."""
    return time.monotonic() - _STARTED


def log(message: str) -> None:
    """Print one progress line and flush it, so piping to a file still shows progress."""
    print(f"[{elapsed():7.1f}s] {message}", flush=True)
