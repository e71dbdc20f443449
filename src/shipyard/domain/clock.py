"""The time as the tracking protocol counts it: milliseconds since the epoch."""

import time


def now_ms() -> int:
    """The current time in milliseconds since the Unix epoch."""
    return time.time_ns() // 1_000_000
