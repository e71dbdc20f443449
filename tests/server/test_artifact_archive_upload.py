"""``PUT /api/2.0/shipyard/artifacts/archive/<folder>``: a tar archive unpacked into a folder.

In process, over a local artifact store and an S3 store on the moto server (the fixtures of
``tests/artifacts/conftest.py``). Archives are built with ``tarfile`` here; hostile ones carry
traversal names, links and garbage, and must leave the store untouched.
"""

from __future__ import annotations

import dataclasses
import gzip
import io
import random
import shutil
import tarfile
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

import artifacts.conftest as artifact_fixtures
from shipyard.artifacts.store import ArtifactStore
from shipyard.server.app import create_app
from shipyard.server.settings import ServerSettings
from shipyard.store.tracking import TrackingStore

pytestmark = pytest.mark.anyio

# The artifact stores of tests/artifacts, registered for this module by being bound here.
s3_server = artifact_fixtures.s3_server
s3_bucket = artifact_fixtures.s3_bucket
local_store = artifact_fixtures.local_store
s3_store = artifact_fixtures.s3_store
artifact_store = artifact_fixtures.artifact_store

BASE = "http://shipyard.test"
ARCHIVE = "/api/2.0/shipyard/artifacts/archive"
ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts"


@pytest.fixture
def db_uri(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """SQLite only: archive uploads do not touch the tracking database."""
    path = tmp_path / "tracking.db"
    shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
    return f"sqlite:///{path}"


@pytest.fixture
async def http(
    settings: ServerSettings, store: TrackingStore, artifact_store: ArtifactStore
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app serving ``artifact_store`` (local, then S3)."""
    app = create_app(settings, store=store, artifacts=artifact_store)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client:
        yield client


def nested_files() -> dict[str, bytes]:
    """Files at several depths, 0 bytes to a little over 1 MiB (several read chunks)."""
    rng = random.Random(7)
    files = {f"sub/deeper/f{i}.bin": rng.randbytes(rng.randint(1, 64 * 1024)) for i in range(20)}
    files["top.txt"] = b"top"
    files["empty.txt"] = b""
    files["sub/big.bin"] = rng.randbytes(1024 * 1024 + 513)
    files["sub/name with spaces and \u00e9.txt"] = b"unicode"
    return files


def file_member(name: str, data: bytes) -> tuple[tarfile.TarInfo, io.BytesIO]:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, io.BytesIO(data)


def tar_of(
    files: dict[str, bytes],
    *,
    extra: tuple[tarfile.TarInfo, ...] = (),
    gz: bool = False,
) -> bytes:
    """A tar archive (gzip-compressed with ``gz``) of ``files``, then the ``extra`` members."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as archive:
        folder = tarfile.TarInfo("sub")
        folder.type = tarfile.DIRTYPE
        archive.addfile(folder)
        for name, data in files.items():
            archive.addfile(*file_member(name, data))
        for member in extra:
            archive.addfile(member)
    body = out.getvalue()
    return gzip.compress(body) if gz else body


async def downloaded(http: httpx.AsyncClient, folder: str) -> dict[str, bytes]:
    """Every file of ``folder`` as the server's zip archive hands it back."""
    response = await http.get(f"{ARCHIVE}/{folder}")
    assert response.status_code == 200, response.text
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def everything(store: ArtifactStore) -> list[str]:
    return [item.path for item in store.walk("")]


def assert_refused(response: httpx.Response, *words: str) -> None:
    assert response.status_code == 400, f"{response.status_code}: {response.text}"
    body = response.json()
    assert body["error_code"] == "INVALID_PARAMETER_VALUE"
    for word in words:
        assert word in body["message"]


# -- round trips ---------------------------------------------------------------------------------


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip"])
async def test_archive_round_trip(
    http: httpx.AsyncClient, artifact_store: ArtifactStore, gz: bool
) -> None:
    files = nested_files()
    body = tar_of(files, gz=gz)

    response = await http.put(f"{ARCHIVE}/1/run/artifacts/up", content=body)

    assert response.status_code == 200, response.text
    assert response.json() == {"files": len(files), "bytes": sum(map(len, files.values()))}
    assert await downloaded(http, "1/run/artifacts/up") == files
    listing = await http.get(ARTIFACTS, params={"path": "1/run/artifacts/up/sub/deeper"})
    assert len(listing.json()["files"]) == 20
    one = await http.get(f"{ARTIFACTS}/1/run/artifacts/up/sub/big.bin")
    assert one.content == files["sub/big.bin"]


async def test_archive_into_the_root_and_streamed_in_chunks(http: httpx.AsyncClient) -> None:
    files = {"a.txt": b"a", "d/b.txt": b"b" * 100_000}
    body = tar_of(files)

    async def chunked() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 4096):
            yield body[start : start + 4096]

    response = await http.put(f"{ARCHIVE}/", content=chunked())

    assert response.status_code == 200, response.text
    assert response.json()["files"] == 2
    assert await downloaded(http, "d") == {"b.txt": files["d/b.txt"]}


async def test_archive_replaces_existing_files(http: httpx.AsyncClient) -> None:
    await http.put(f"{ARTIFACTS}/f/a.txt", content=b"old and longer")

    response = await http.put(f"{ARCHIVE}/f", content=tar_of({"a.txt": b"new"}))

    assert response.status_code == 200, response.text
    assert (await http.get(f"{ARTIFACTS}/f/a.txt")).content == b"new"


async def test_a_repeated_name_keeps_the_last_member(http: httpx.AsyncClient) -> None:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as archive:
        for index in range(20):
            archive.addfile(*file_member("same.txt", f"version {index}".encode()))

    response = await http.put(f"{ARCHIVE}/r", content=out.getvalue())

    assert response.status_code == 200, response.text
    assert response.json() == {"files": 1, "bytes": len(b"version 19")}
    assert (await http.get(f"{ARTIFACTS}/r/same.txt")).content == b"version 19"


async def test_archive_upload_is_not_held_to_the_json_body_limit(
    settings: ServerSettings, store: TrackingStore, artifact_store: ArtifactStore
) -> None:
    app = create_app(
        dataclasses.replace(settings, max_body_bytes=1024), store=store, artifacts=artifact_store
    )
    files = {"big.bin": random.Random(1).randbytes(256 * 1024)}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as http:
        response = await http.put(f"{ARCHIVE}/limits", content=tar_of(files))

        assert response.status_code == 200, response.text
        assert await downloaded(http, "limits") == files


# -- hostile archives ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["../x", "/etc/x", "a/../../x", "ok/..\\..\\x", "C:/x", "a/%2e%2e/%2e%2e/x"]
)
async def test_traversal_names_are_refused_and_nothing_is_written(
    http: httpx.AsyncClient, artifact_store: ArtifactStore, name: str
) -> None:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as archive:
        archive.addfile(*file_member("first.txt", b"would be first"))
        archive.addfile(*file_member(name, b"escaped"))
    body = out.getvalue()

    response = await http.put(f"{ARCHIVE}/1/run/artifacts", content=body)

    assert_refused(response, "Archive member", repr(name))
    assert everything(artifact_store) == []


def link(name: str, kind: bytes, target: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return info


@pytest.mark.parametrize(
    ("member", "what"),
    [
        (link("evil", tarfile.SYMTYPE, "/etc/passwd"), "symbolic link"),
        (link("sub/evil", tarfile.SYMTYPE, "../../.."), "symbolic link"),
        (link("hard", tarfile.LNKTYPE, "top.txt"), "hard link"),
        (link("dev", tarfile.CHRTYPE), "device"),
        (link("blk", tarfile.BLKTYPE), "device"),
        (link("fifo", tarfile.FIFOTYPE), "FIFO"),
    ],
    ids=["symlink-absolute", "symlink-relative", "hardlink", "chardev", "blockdev", "fifo"],
)
async def test_links_and_special_files_are_refused_and_nothing_is_written(
    http: httpx.AsyncClient, artifact_store: ArtifactStore, member: tarfile.TarInfo, what: str
) -> None:
    body = tar_of({"top.txt": b"top", "sub/a.txt": b"a"}, extra=(member,))

    response = await http.put(f"{ARCHIVE}/1/run/artifacts", content=body)

    assert_refused(response, "Archive member", repr(member.name), what)
    assert everything(artifact_store) == []


@pytest.mark.parametrize(
    "body",
    [b"", b"this is not a tar archive" * 100, b"\x1f\x8b not really gzip", b"PK\x03\x04zip"],
    ids=["empty", "text", "bad-gzip", "zip"],
)
async def test_a_body_that_is_not_a_tar_archive_is_refused(
    http: httpx.AsyncClient, artifact_store: ArtifactStore, body: bytes
) -> None:
    response = await http.put(f"{ARCHIVE}/x", content=body)

    assert_refused(response, "tar archive")
    assert everything(artifact_store) == []


async def test_a_truncated_archive_is_refused_and_nothing_is_written(
    http: httpx.AsyncClient, artifact_store: ArtifactStore
) -> None:
    body = gzip.compress(tar_of(nested_files()))

    response = await http.put(f"{ARCHIVE}/x", content=body[: len(body) // 2])

    assert_refused(response, "tar archive")
    assert everything(artifact_store) == []


async def test_a_file_that_is_also_a_folder_is_refused(
    http: httpx.AsyncClient, artifact_store: ArtifactStore
) -> None:
    response = await http.put(f"{ARCHIVE}/x", content=tar_of({"a": b"file", "a/b": b"below"}))

    assert_refused(response, "'a/b'")
    assert everything(artifact_store) == []


async def test_a_hostile_folder_in_the_url_is_refused(http: httpx.AsyncClient) -> None:
    response = await http.put(f"{ARCHIVE}/%2e%2e/outside", content=tar_of({"a.txt": b"a"}))

    assert_refused(response, "'..'")
