"""Artifact paths from clients, checked until nothing hostile is left in them.

Every path or URI a client sends is percent-decoded until it stops changing (so ``%252e%252e``
cannot survive one decoding as ``%2e%2e`` and become ``..`` in a later one), then refused if it
is absolute, names a drive, holds a backslash, a NUL or another control character, a ``#`` or a
``;``, or has a ``..`` segment. What passes is a relative POSIX path with no empty, ``.`` or
``..`` segments: safe to join to an artifact root. (Symlinks are the local store's business:
``local.py`` resolves them and refuses any that leave its root.)
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from shipyard.domain.errors import InvalidParameter

MAX_PATH_LENGTH = 4096
MAX_SEGMENT_BYTES = 255  # what file systems allow for one name
_MAX_DECODE_ROUNDS = 8
_DRIVE = re.compile(r"^[A-Za-z]:")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:/")


def _fully_decoded(text: str) -> str:
    for _ in range(_MAX_DECODE_ROUNDS):
        decoded = unquote(text, errors="strict")
        if decoded == text:
            return text
        text = decoded
    raise InvalidParameter("Invalid path: it is percent-encoded too many times over.")


def _refuse(raw: str, why: str) -> InvalidParameter:
    shown = raw if len(raw) <= 120 else raw[:120] + "..."
    return InvalidParameter(f"Invalid path {shown!r}: {why}.")


def safe_relative_path(raw: str | None, *, allow_empty: bool = True) -> str:
    """A client's artifact path as a safe relative POSIX path ("" for the root)."""
    if raw is None:
        raw = ""
    if len(raw) > MAX_PATH_LENGTH:
        raise _refuse(raw, f"longer than {MAX_PATH_LENGTH} characters")
    try:
        text = _fully_decoded(raw)
    except UnicodeDecodeError as exc:
        raise _refuse(raw, "it is not valid UTF-8 once decoded") from exc
    if any(ord(char) < 32 or ord(char) == 127 for char in text):
        raise _refuse(raw, "control characters (NUL included) are not allowed")
    for char, name in (("\\", "backslashes"), ("#", "'#' fragments"), (";", "';' parameters")):
        if char in text:
            raise _refuse(raw, f"{name} are not allowed")
    if text.startswith("/"):
        raise _refuse(raw, "absolute paths are not allowed; give a path relative to the root")
    if _DRIVE.match(text):
        raise _refuse(raw, "drive letters are not allowed")
    if _SCHEME.match(text):
        raise _refuse(raw, "a URI is not a path; give a path relative to the root")
    segments = [segment for segment in text.split("/") if segment not in ("", ".")]
    if ".." in segments:
        raise _refuse(raw, "'..' segments are not allowed")
    if any(len(segment.encode()) > MAX_SEGMENT_BYTES for segment in segments):
        raise _refuse(raw, f"a file or folder name is longer than {MAX_SEGMENT_BYTES} bytes")
    path = "/".join(segments)
    if not path and not allow_empty:
        raise _refuse(raw, "a file path is needed here")
    return path


def join(*parts: str) -> str:
    """Join relative POSIX paths, skipping empty parts."""
    return "/".join(part.strip("/") for part in parts if part and part.strip("/"))
