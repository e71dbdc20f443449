"""Client paths and URIs: what ``safe_relative_path`` lets through, what ``managed_path`` maps."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from shipyard.artifacts.paths import MAX_PATH_LENGTH, safe_relative_path
from shipyard.artifacts.uris import managed_path, require_managed_path
from shipyard.domain.errors import InvalidParameter

ACCEPTED = [
    ("a/b.txt", "a/b.txt"),
    ("a//b.txt", "a/b.txt"),
    ("./a/./b.txt", "a/b.txt"),
    ("a/b/", "a/b"),
    ("", ""),
    (".", ""),
    ("a%20b.txt", "a b.txt"),
    ("caf%C3%A9/x", "café/x"),
    ("日本/ファイル.txt", "日本/ファイル.txt"),
    ("x%2Fy", "x/y"),
    ("..foo/bar..", "..foo/bar.."),
    (".../x", ".../x"),
    ("percent%2520.txt", "percent .txt"),
]

REFUSED = {
    "absolute": "/etc/passwd",
    "double-slash-absolute": "//etc/passwd",
    "dotdot": "../x",
    "dot-dotdot": "./../x",
    "dotdot-after-name": "a/../../x",
    "dotdot-staying-inside": "a/../b",
    "trailing-dotdot": "a/..",
    "encoded-dotdot": "%2e%2e%2fx",
    "encoded-dotdot-upper": "%2E%2E%2Fx",
    "double-encoded-dotdot": "%252e%252e%252fx",
    "half-encoded-dotdot": "..%2fx",
    "dot-encoded-dot": ".%2e/x",
    "backslash-dotdot": "..\\x",
    "encoded-backslash": "..%5cx",
    "drive-backslash": "C:\\x",
    "drive-slash": "C:/x",
    "unc": "\\\\server\\share",
    "fragment": "x#/../..",
    "encoded-fragment": "x%23/../..",
    "params": "x;/../..",
    "file-uri": "file:///etc/passwd",
    "http-uri": "http://example.com/x",
    "s3-uri": "s3://bucket/x",
    "encoded-nul": "x%00",
    "nul": "x\x00",
    "newline": "a\nb",
    "encoded-newline": "a%0ab",
    "escape": "a\x1bb",
    "delete-char": "a\x7fb",
    "tab": "a\tb",
    "invalid-utf8": "%ff",
    "overlong-utf8-dot": "%c0%ae%c0%ae/x",
    "over-long": "a" * (MAX_PATH_LENGTH + 1),
}


@pytest.mark.parametrize(("raw", "expected"), ACCEPTED, ids=[raw or "empty" for raw, _ in ACCEPTED])
def test_safe_relative_path_normalises_harmless_paths(raw: str, expected: str) -> None:
    assert safe_relative_path(raw) == expected


def test_safe_relative_path_takes_none_as_the_root() -> None:
    assert safe_relative_path(None) == ""


@pytest.mark.parametrize("raw", REFUSED.values(), ids=REFUSED.keys())
def test_safe_relative_path_refuses_hostile_paths(raw: str) -> None:
    with pytest.raises(InvalidParameter):
        safe_relative_path(raw)


def test_safe_relative_path_refuses_dotdot_encoded_many_times_over() -> None:
    raw = "../x"
    for _ in range(12):
        raw = quote(raw, safe="")

    with pytest.raises(InvalidParameter):
        safe_relative_path(raw)


def test_safe_relative_path_accepts_the_longest_allowed_path() -> None:
    raw = "/".join(["a" * 99] * (MAX_PATH_LENGTH // 100)) + "x"

    assert safe_relative_path(raw) == raw


@pytest.mark.parametrize("raw", ["", ".", "./", "./."])
def test_safe_relative_path_refuses_the_root_where_a_file_is_needed(raw: str) -> None:
    with pytest.raises(InvalidParameter):
        safe_relative_path(raw, allow_empty=False)


def test_safe_relative_path_refusal_names_the_path() -> None:
    with pytest.raises(InvalidParameter, match=r"\.\./secret"):
        safe_relative_path("../secret")


# -- URIs --------------------------------------------------------------------------------------

LOCAL_ROOT = "file:///srv/shipyard/artifacts"
S3_ROOT = "s3://bucket/some/prefix"

MANAGED = [
    ("mlflow-artifacts:/a/b", LOCAL_ROOT, "a/b"),
    ("mlflow-artifacts://host:5000/a/b", LOCAL_ROOT, "a/b"),
    ("mlflow-artifacts:/1/0123abcd/artifacts", S3_ROOT, "1/0123abcd/artifacts"),
    ("mlflow-artifacts:", LOCAL_ROOT, ""),
    ("mlflow-artifacts:/", LOCAL_ROOT, ""),
    ("mlflow-artifacts:/dir/a%20b.txt", LOCAL_ROOT, "dir/a b.txt"),
    (LOCAL_ROOT, LOCAL_ROOT, ""),
    (LOCAL_ROOT + "/", LOCAL_ROOT, ""),
    (LOCAL_ROOT + "/1/run/artifacts", LOCAL_ROOT, "1/run/artifacts"),
    (S3_ROOT, S3_ROOT, ""),
    (S3_ROOT + "/1/run/artifacts", S3_ROOT, "1/run/artifacts"),
]

FOREIGN = [
    ("s3://someone-else/x", S3_ROOT),
    ("s3://bucket/some/prefixed/x", S3_ROOT),
    ("s3://bucket/some/x", S3_ROOT),
    ("s3://bucket-2/some/prefix/x", S3_ROOT),
    ("file:///etc", LOCAL_ROOT),
    ("file:///etc/passwd", LOCAL_ROOT),
    ("file:///srv/shipyard/artifacts-other/x", LOCAL_ROOT),
    ("file:///srv/shipyard", LOCAL_ROOT),
    ("/srv/shipyard/artifacts/x", LOCAL_ROOT),
    ("http://example.com/api/2.0/mlflow-artifacts/artifacts/x", LOCAL_ROOT),
    ("gs://bucket/some/prefix/x", S3_ROOT),
    ("", LOCAL_ROOT),
]

HOSTILE_MANAGED = [
    ("mlflow-artifacts:/../x", LOCAL_ROOT),
    ("mlflow-artifacts:/a/%2e%2e/%2e%2e/x", LOCAL_ROOT),
    ("mlflow-artifacts://host:5000/a/../../x", LOCAL_ROOT),
    ("mlflow-artifacts:/x%00", LOCAL_ROOT),
    (LOCAL_ROOT + "/../../etc/passwd", LOCAL_ROOT),
    (LOCAL_ROOT + "/a/%2e%2e%2f%2e%2e%2fx", LOCAL_ROOT),
    (S3_ROOT + "/../other/x", S3_ROOT),
]


@pytest.mark.parametrize(("uri", "store_uri", "expected"), MANAGED, ids=[u for u, _, _ in MANAGED])
def test_managed_path_maps_uris_under_the_store_root(
    uri: str, store_uri: str, expected: str
) -> None:
    assert managed_path(uri, store_uri) == expected


@pytest.mark.parametrize(("uri", "store_uri"), FOREIGN, ids=[u or "empty" for u, _ in FOREIGN])
def test_managed_path_is_none_for_foreign_uris(uri: str, store_uri: str) -> None:
    assert managed_path(uri, store_uri) is None


@pytest.mark.parametrize(("uri", "store_uri"), HOSTILE_MANAGED, ids=[u for u, _ in HOSTILE_MANAGED])
def test_managed_path_refuses_uris_that_climb_out_of_the_root(uri: str, store_uri: str) -> None:
    with pytest.raises(InvalidParameter):
        managed_path(uri, store_uri)


def test_managed_path_ignores_a_trailing_slash_on_the_store_uri() -> None:
    assert managed_path(S3_ROOT + "/x", S3_ROOT + "/") == "x"


def test_require_managed_path_refuses_foreign_uris() -> None:
    with pytest.raises(InvalidParameter, match="someone-else"):
        require_managed_path("s3://someone-else/x", S3_ROOT)
