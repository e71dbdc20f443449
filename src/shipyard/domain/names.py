"""Readable names for runs that were started without one: ``adjective-noun-123``."""

from __future__ import annotations

import secrets

_ADJECTIVES = (
    "amber", "bold", "brave", "bright", "calm", "clever", "crisp", "daring", "eager", "fair",
    "fast", "fierce", "gentle", "glad", "golden", "grand", "happy", "hardy", "honest", "humble",
    "jolly", "keen", "kind", "lively", "loyal", "lucky", "merry", "mighty", "nimble", "noble",
    "polite", "proud", "quick", "quiet", "rapid", "silent", "sleek", "smart", "steady", "sturdy",
    "sunny", "swift", "tidy", "upbeat", "vivid", "warm", "wise", "witty", "young", "zesty",
)  # fmt: skip

_NOUNS = (
    "albatross", "badger", "beacon", "bison", "canoe", "cedar", "comet", "coral", "crane",
    "dolphin", "falcon", "ferry", "fjord", "gull", "harbor", "heron", "horizon", "island",
    "kelp", "lagoon", "lantern", "lighthouse", "mast", "narwhal", "oar", "orca", "otter",
    "pelican", "pier", "puffin", "quay", "reef", "rudder", "sail", "schooner", "seal", "shell",
    "skiff", "sloop", "sparrow", "starfish", "tern", "tide", "walrus", "wave", "whale", "wharf",
    "yacht", "yawl", "zephyr",
)  # fmt: skip


def generate_run_name() -> str:
    """A fresh random run name such as ``swift-heron-417``."""
    adjective = secrets.choice(_ADJECTIVES)
    noun = secrets.choice(_NOUNS)
    return f"{adjective}-{noun}-{secrets.randbelow(1000)}"
