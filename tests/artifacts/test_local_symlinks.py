"""Symlinks planted inside a local artifact root that lead outside it: refused, outside untouched.

Every test runs inside ``guarded_site.untouched()``, which fails if anything beside the root (the
secret folder the links point at, the canary file) was opened, listed, created, renamed or
deleted, or if its contents or mtimes changed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

from shipyard.artifacts.local import LocalArtifactStore
from shipyard.artifacts.store import UploadedPart
from shipyard.domain.errors import InvalidParameter

if TYPE_CHECKING:
    from conftest import GuardedSite


def part_url(upload_id: str, part_number: int) -> str:
    return f"http://shipyard.test/parts/{upload_id}/{part_number}"


@pytest.fixture
def store(guarded_site: GuardedSite) -> LocalArtifactStore:
    """A local store whose root holds real files and symlinks leading out (at the top and below)."""
    artifacts = LocalArtifactStore(guarded_site.root)
    writer = artifacts.writer("real/inside.txt")
    writer.write(b"inside")
    writer.commit()
    guarded_site.plant_symlinks(guarded_site.root)
    guarded_site.plant_symlinks(guarded_site.root / "nested")
    return artifacts


def write(store: LocalArtifactStore, path: str) -> None:
    writer = store.writer(path)
    writer.write(b"written through a symlink")
    writer.commit()


OPERATIONS: dict[str, tuple[Callable[[LocalArtifactStore, str], object], list[str]]] = {
    "read": (
        lambda store, path: b"".join(store.read(path)),
        ["planted-file", "planted-dir/secret.txt", "nested/planted-dir/secret.txt"],
    ),
    "write": (
        write,
        [
            "planted-dir/new.txt",
            "planted-dir/deeper/new.txt",
            "planted-file",
            "planted-dangling",
            "nested/planted-dir/new.txt",
        ],
    ),
    "list": (lambda store, path: store.list(path), ["planted-dir", "nested/planted-dir"]),
    "walk": (lambda store, path: list(store.walk(path)), ["planted-dir", "nested/planted-dir"]),
    "delete": (
        lambda store, path: store.delete(path),
        ["planted-dir", "planted-file", "planted-dir/secret.txt", "nested/planted-dir"],
    ),
    "stat": (
        lambda store, path: store.stat(path),
        ["planted-dir", "planted-file", "planted-dir/secret.txt", "planted-dangling"],
    ),
    "local_path": (lambda store, path: store.local_path(path), ["planted-file"]),
    "create_multipart_upload": (
        lambda store, path: store.create_multipart_upload(path, 1, part_url),
        ["planted-dir/big.bin", "planted-file"],
    ),
}
CASES = [(name, path) for name, (_, paths) in OPERATIONS.items() for path in paths]


@pytest.mark.parametrize(("operation", "path"), CASES, ids=[f"{n}:{p}" for n, p in CASES])
def test_operation_through_a_symlink_leading_out_is_refused(
    store: LocalArtifactStore, guarded_site: GuardedSite, operation: str, path: str
) -> None:
    run, _ = OPERATIONS[operation]

    with guarded_site.untouched(), pytest.raises(InvalidParameter, match="symlink"):
        run(store, path)


def test_listing_the_root_leaves_out_symlinks_leading_out(
    store: LocalArtifactStore, guarded_site: GuardedSite
) -> None:
    with guarded_site.untouched():
        names = [info.path for info in store.list("")]

    assert names == ["nested", "real"]


def test_walking_the_root_never_descends_into_symlinks(
    store: LocalArtifactStore, guarded_site: GuardedSite
) -> None:
    with guarded_site.untouched():
        paths = [info.path for info in store.walk("")]

    assert paths == ["real/inside.txt"]


def test_deleting_a_folder_holding_a_symlink_leaves_its_target_alone(
    store: LocalArtifactStore, guarded_site: GuardedSite
) -> None:
    with guarded_site.untouched():
        store.delete("nested")

    assert store.stat("nested") is None
    assert guarded_site.secret.is_file()


def test_symlink_planted_between_create_and_complete_is_refused(
    store: LocalArtifactStore, guarded_site: GuardedSite
) -> None:
    upload = store.create_multipart_upload("later/big.bin", 1, part_url)
    writer = store.part_writer(upload.upload_id, 1)
    writer.write(b"part")
    writer.commit()
    parts = [UploadedPart(1, store.part_etag(writer))]
    (guarded_site.root / "later").symlink_to(guarded_site.outside, target_is_directory=True)

    with guarded_site.untouched(), pytest.raises(InvalidParameter):
        store.complete_multipart_upload("later/big.bin", upload.upload_id, parts)


def test_symlink_staying_inside_the_root_is_followed(
    store: LocalArtifactStore, guarded_site: GuardedSite
) -> None:
    (guarded_site.root / "alias").symlink_to(guarded_site.root / "real", target_is_directory=True)

    with guarded_site.untouched():
        data = b"".join(store.read("alias/inside.txt"))

    assert data == b"inside"


def test_store_on_a_symlinked_root_works(guarded_site: GuardedSite) -> None:
    link = guarded_site.base / "root-link"
    link.symlink_to(guarded_site.root, target_is_directory=True)
    store = LocalArtifactStore(link)

    write(store, "via-link.txt")

    assert (guarded_site.root / "via-link.txt").is_file()
