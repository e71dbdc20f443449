"""The artifact API in process, over a local and an S3 artifact store.

MLflow's proxied artifact service (``/api/2.0/mlflow-artifacts``), the run-scoped routes
(``/api/2.0/mlflow/artifacts/list``, ``/get-artifact``), Shipyard's zip archive of a folder, and
the ``--no-serve-artifacts`` mode.
"""

from __future__ import annotations

import dataclasses
import io
import random
import zipfile
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from shipyard.artifacts.local import UPLOADS_FOLDER, LocalArtifactStore
from shipyard.artifacts.s3 import S3ArtifactStore
from shipyard.artifacts.store import ArtifactStore
from shipyard.artifacts.uris import managed_path
from shipyard.server.app import create_app
from shipyard.server.settings import ServerSettings
from shipyard.store.tracking import TrackingStore

if TYPE_CHECKING:
    from conftest import S3Server

pytestmark = pytest.mark.anyio

BASE = "http://shipyard.test"
PROXY = "/api/2.0/mlflow-artifacts"
ARTIFACTS = f"{PROXY}/artifacts"
AJAX_ARTIFACTS = "/ajax-api/2.0/mlflow-artifacts/artifacts"
MLFLOW = "/api/2.0/mlflow"
ARCHIVE = "/api/2.0/shipyard/artifacts/archive"
T0 = 1_700_000_000_000
MiB = 1024 * 1024
DATA = bytes(range(100))


def random_bytes(size: int, seed: int = 0) -> bytes:
    return random.Random(seed).randbytes(size)


def assert_json_error(response: httpx.Response, status: int, error_code: str) -> None:
    assert response.status_code == status, f"{response.status_code}: {response.text}"
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["error_code"] == error_code
    assert body["message"]


def put_file(store: ArtifactStore, path: str, data: bytes) -> None:
    writer = store.writer(path)
    writer.write(data)
    writer.commit()


@pytest.fixture
async def http(
    settings: ServerSettings, store: TrackingStore, artifact_store: ArtifactStore
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app serving ``artifact_store`` (local, then S3)."""
    app = create_app(settings, store=store, artifacts=artifact_store)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
        yield client


async def upload(http: httpx.AsyncClient, path: str, data: bytes) -> None:
    response = await http.put(f"{ARTIFACTS}/{path}", content=data)
    assert response.status_code == 200, response.text


# -- upload and download -------------------------------------------------------------------------


async def test_upload_answers_200_with_an_empty_object(http: httpx.AsyncClient) -> None:
    response = await http.put(f"{ARTIFACTS}/1/run/artifacts/a.txt", content=b"hello")

    assert response.status_code == 200
    assert response.json() == {}


async def test_uploaded_file_downloads_byte_identical(http: httpx.AsyncClient) -> None:
    data = random_bytes(3 * MiB + 17)
    await upload(http, "d/file.bin", data)

    response = await http.get(f"{ARTIFACTS}/d/file.bin")

    assert response.status_code == 200
    assert response.content == data


async def test_download_sends_content_length(http: httpx.AsyncClient) -> None:
    await upload(http, "d/file.bin", DATA)

    response = await http.get(f"{ARTIFACTS}/d/file.bin")

    assert response.headers["content-length"] == str(len(DATA))


async def test_upload_is_not_held_to_the_json_body_limit(
    settings: ServerSettings, store: TrackingStore, artifact_store: ArtifactStore
) -> None:
    app = create_app(
        dataclasses.replace(settings, max_body_bytes=1024), store=store, artifacts=artifact_store
    )
    data = random_bytes(64 * 1024)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as http:
        response = await http.put(f"{ARTIFACTS}/big.bin", content=data)
        assert response.status_code == 200, response.text

        assert (await http.get(f"{ARTIFACTS}/big.bin")).content == data


async def test_upload_replaces_an_existing_file(http: httpx.AsyncClient) -> None:
    await upload(http, "a.txt", b"old and long")
    await upload(http, "a.txt", b"new")

    assert (await http.get(f"{ARTIFACTS}/a.txt")).content == b"new"


async def test_interrupted_upload_leaves_nothing_behind(
    http: httpx.AsyncClient, artifact_store: ArtifactStore, request: pytest.FixtureRequest
) -> None:
    async def body() -> AsyncIterator[bytes]:
        for _ in range(10):  # past one S3 part, so a multipart upload is under way
            yield b"x" * MiB
        raise ConnectionResetError("the client went away")

    with pytest.raises(ConnectionResetError):
        await http.put(f"{ARTIFACTS}/big.bin", content=body())

    assert list(artifact_store.walk("")) == []
    if isinstance(artifact_store, LocalArtifactStore):
        assert [p for p in artifact_store.root.rglob("*") if p.is_file()] == []
    else:
        assert isinstance(artifact_store, S3ArtifactStore)
        server: S3Server = request.getfixturevalue("s3_server")
        assert server.pending_uploads(artifact_store.bucket) == []


async def test_download_of_a_missing_file_is_404_json(http: httpx.AsyncClient) -> None:
    response = await http.get(f"{ARTIFACTS}/nothing/here.txt")

    assert_json_error(response, 404, "RESOURCE_DOES_NOT_EXIST")


async def test_download_of_a_folder_is_400(http: httpx.AsyncClient) -> None:
    await upload(http, "d/a.txt", b"1")

    response = await http.get(f"{ARTIFACTS}/d")

    assert_json_error(response, 400, "INVALID_PARAMETER_VALUE")


async def test_space_and_unicode_in_names_are_percent_decoded(
    http: httpx.AsyncClient, artifact_store: ArtifactStore
) -> None:
    await upload(http, "d/caf%C3%A9%20au%20lait.txt", b"1")

    assert artifact_store.stat("d/café au lait.txt") is not None
    assert (await http.get(f"{ARTIFACTS}/d/caf%C3%A9%20au%20lait.txt")).content == b"1"


async def test_ajax_api_prefix_serves_the_same_artifacts(http: httpx.AsyncClient) -> None:
    response = await http.put(f"{AJAX_ARTIFACTS}/d/a.txt", content=b"via ajax")
    assert response.status_code == 200

    assert (await http.get(f"{ARTIFACTS}/d/a.txt")).content == b"via ajax"


# -- ranges and download headers -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [
        ("bytes=0-9", 0, 10),
        ("bytes=10-", 10, 100),
        ("bytes=-5", 95, 100),
        ("bytes=90-200", 90, 100),
    ],
)
async def test_range_request_gets_206_with_those_bytes(
    http: httpx.AsyncClient, header: str, start: int, end: int
) -> None:
    await upload(http, "r.bin", DATA)

    response = await http.get(f"{ARTIFACTS}/r.bin", headers={"Range": header})

    assert response.status_code == 206
    assert response.headers["content-range"] == f"bytes {start}-{end - 1}/100"
    assert response.headers["content-length"] == str(end - start)
    assert response.content == DATA[start:end]


@pytest.mark.parametrize("header", ["bytes=100-", "bytes=200-300"])
async def test_unsatisfiable_range_is_416(http: httpx.AsyncClient, header: str) -> None:
    await upload(http, "r.bin", DATA)

    response = await http.get(f"{ARTIFACTS}/r.bin", headers={"Range": header})

    assert response.status_code == 416
    assert response.headers["content-range"] == "bytes */100"


async def test_download_advertises_byte_ranges(http: httpx.AsyncClient) -> None:
    await upload(http, "r.bin", DATA)

    response = await http.get(f"{ARTIFACTS}/r.bin")

    assert response.headers["accept-ranges"] == "bytes"


async def test_download_is_an_attachment_that_cannot_run_in_the_origin(
    http: httpx.AsyncClient,
) -> None:
    await upload(http, "page.html", b"<script>alert(document.cookie)</script>")

    response = await http.get(f"{ARTIFACTS}/page.html")

    assert response.headers["content-disposition"].startswith("attachment;")
    assert 'filename="page.html"' in response.headers["content-disposition"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in response.headers["content-security-policy"]


# -- list and delete ----------------------------------------------------------------------------


async def test_list_names_children_relative_to_the_folder(http: httpx.AsyncClient) -> None:
    for path in ("d/b.txt", "d/a.txt", "d/sub/c.txt"):
        await upload(http, path, b"123")

    response = await http.get(ARTIFACTS, params={"path": "d"})

    assert response.json() == {
        "files": [
            {"path": "a.txt", "is_dir": False, "file_size": 3},
            {"path": "b.txt", "is_dir": False, "file_size": 3},
            {"path": "sub", "is_dir": True},
        ]
    }


async def test_list_without_a_path_lists_the_root(http: httpx.AsyncClient) -> None:
    await upload(http, "d/a.txt", b"1")
    await upload(http, "top.txt", b"1")

    response = await http.get(ARTIFACTS)

    assert response.json() == {
        "files": [
            {"path": "d", "is_dir": True},
            {"path": "top.txt", "is_dir": False, "file_size": 1},
        ]
    }


async def test_list_of_a_missing_folder_is_an_empty_object(http: httpx.AsyncClient) -> None:
    response = await http.get(ARTIFACTS, params={"path": "nothing"})

    assert response.status_code == 200
    assert response.json() == {}


async def test_delete_of_a_file_answers_an_empty_object_and_removes_it(
    http: httpx.AsyncClient,
) -> None:
    await upload(http, "d/a.txt", b"1")

    response = await http.delete(f"{ARTIFACTS}/d/a.txt")

    assert response.status_code == 200
    assert response.json() == {}
    assert (await http.get(f"{ARTIFACTS}/d/a.txt")).status_code == 404


async def test_delete_of_a_folder_removes_everything_below(
    http: httpx.AsyncClient, artifact_store: ArtifactStore
) -> None:
    for path in ("d/a.txt", "d/sub/b.txt", "keep.txt"):
        await upload(http, path, b"1")

    response = await http.delete(f"{ARTIFACTS}/d")

    assert response.status_code == 200
    assert [info.path for info in artifact_store.walk("")] == ["keep.txt"]


async def test_delete_of_a_missing_path_is_404(http: httpx.AsyncClient) -> None:
    response = await http.delete(f"{ARTIFACTS}/nothing.txt")

    assert_json_error(response, 404, "RESOURCE_DOES_NOT_EXIST")


# -- run-scoped routes ---------------------------------------------------------------------------


@pytest.fixture
def run(store: TrackingStore, artifact_store: ArtifactStore) -> dict[str, str]:
    """A run whose artifact folder holds d/a.txt, d/sub/b.txt and top.txt."""
    experiment_id = store.create_experiment("artifacts")
    info = store.create_run(experiment_id=experiment_id, user_id="alice", start_time=T0).info
    root = managed_path(info.artifact_uri, artifact_store.uri)
    assert root is not None
    for path, data in (("d/a.txt", b"aaa"), ("d/sub/b.txt", b"bb"), ("top.txt", b"t")):
        put_file(artifact_store, f"{root}/{path}", data)
    return {"run_id": info.run_id, "artifact_uri": info.artifact_uri}


@pytest.mark.parametrize("prefix", [MLFLOW, "/ajax-api/2.0/mlflow"])
async def test_run_artifact_list_names_files_from_the_run_root(
    http: httpx.AsyncClient, run: dict[str, str], prefix: str
) -> None:
    response = await http.get(
        f"{prefix}/artifacts/list", params={"run_id": run["run_id"], "path": "d"}
    )

    assert response.json() == {
        "root_uri": run["artifact_uri"],
        "files": [
            {"path": "d/a.txt", "is_dir": False, "file_size": 3},
            {"path": "d/sub", "is_dir": True},
        ],
    }


async def test_run_artifact_list_without_a_path_lists_the_run_root(
    http: httpx.AsyncClient, run: dict[str, str]
) -> None:
    response = await http.get(f"{MLFLOW}/artifacts/list", params={"run_id": run["run_id"]})

    assert response.json()["files"] == [
        {"path": "d", "is_dir": True},
        {"path": "top.txt", "is_dir": False, "file_size": 1},
    ]


async def test_run_artifact_list_of_an_empty_folder_has_only_the_root_uri(
    http: httpx.AsyncClient, run: dict[str, str]
) -> None:
    response = await http.get(
        f"{MLFLOW}/artifacts/list", params={"run_id": run["run_id"], "path": "nothing"}
    )

    assert response.json() == {"root_uri": run["artifact_uri"]}


async def test_get_artifact_downloads_a_file_of_the_run(
    http: httpx.AsyncClient, run: dict[str, str]
) -> None:
    response = await http.get(
        "/get-artifact", params={"run_id": run["run_id"], "path": "d/sub/b.txt"}
    )

    assert response.status_code == 200
    assert response.content == b"bb"
    assert response.headers["content-disposition"].startswith("attachment;")


async def test_get_artifact_of_a_missing_file_is_404(
    http: httpx.AsyncClient, run: dict[str, str]
) -> None:
    response = await http.get("/get-artifact", params={"run_id": run["run_id"], "path": "nope"})

    assert_json_error(response, 404, "RESOURCE_DOES_NOT_EXIST")


@pytest.mark.parametrize("route", ["/get-artifact", f"{MLFLOW}/artifacts/list"])
async def test_run_scoped_routes_of_an_unknown_run_are_404(
    http: httpx.AsyncClient, route: str
) -> None:
    response = await http.get(route, params={"run_id": "0" * 32, "path": "a.txt"})

    assert_json_error(response, 404, "RESOURCE_DOES_NOT_EXIST")


FOREIGN_LOCATIONS = [
    "s3://someone-else/x",
    "file:///etc",
    "file:///",
    "gs://bucket/x",
    "mlflow-artifacts:/../../etc",
]


@pytest.mark.parametrize("route", ["/get-artifact", f"{MLFLOW}/artifacts/list"])
@pytest.mark.parametrize("location", FOREIGN_LOCATIONS)
async def test_run_scoped_routes_refuse_a_run_stored_outside_the_store(
    http: httpx.AsyncClient, store: TrackingStore, route: str, location: str
) -> None:
    experiment_id = store.create_experiment("elsewhere", artifact_location=location)
    run = store.create_run(experiment_id=experiment_id, user_id="alice", start_time=T0)
    run_id = run.info.run_id

    response = await http.get(route, params={"run_id": run_id, "path": "passwd"})

    assert 400 <= response.status_code < 500, f"{response.status_code}: {response.text[:200]}"


async def test_run_scoped_routes_serve_a_location_inside_the_store(
    http: httpx.AsyncClient, store: TrackingStore, artifact_store: ArtifactStore
) -> None:
    location = f"{artifact_store.uri}/custom"
    experiment_id = store.create_experiment("custom", artifact_location=location)
    run = store.create_run(experiment_id=experiment_id, user_id="alice", start_time=T0)
    run_id = run.info.run_id
    put_file(artifact_store, f"custom/{run_id}/artifacts/x.txt", b"mine")

    response = await http.get("/get-artifact", params={"run_id": run_id, "path": "x.txt"})

    assert response.content == b"mine"


# -- zip archives ------------------------------------------------------------------------------

TREE = {
    "d/a.txt": b"alpha",
    "d/sub/b.bin": random_bytes(3 * MiB, seed=7),
    "d/sub/deeper/c.txt": b"gamma",
    "d/empty.txt": b"",
    "other.txt": b"not in d",
}


@pytest.fixture
def tree(artifact_store: ArtifactStore) -> ArtifactStore:
    for path, data in TREE.items():
        put_file(artifact_store, path, data)
    return artifact_store


async def test_archive_is_a_zip_of_the_folder_with_identical_files(
    http: httpx.AsyncClient, tree: ArtifactStore
) -> None:
    response = await http.get(f"{ARCHIVE}/d")

    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert archive.testzip() is None
        contents = {name: archive.read(name) for name in archive.namelist()}
    assert contents == {
        path.removeprefix("d/"): data for path, data in TREE.items() if path.startswith("d/")
    }


async def test_archive_of_the_root_holds_everything(
    http: httpx.AsyncClient, tree: ArtifactStore
) -> None:
    response = await http.get(f"{ARCHIVE}/")

    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert sorted(archive.namelist()) == sorted(TREE)


async def test_archive_is_a_zip_attachment_named_after_the_folder(
    http: httpx.AsyncClient, tree: ArtifactStore
) -> None:
    response = await http.get(f"{ARCHIVE}/d/sub")

    assert response.headers["content-type"] == "application/zip"
    assert response.headers["content-disposition"].startswith('attachment; filename="sub.zip"')
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_archive_of_a_missing_folder_is_404(http: httpx.AsyncClient) -> None:
    response = await http.get(f"{ARCHIVE}/nothing")

    assert_json_error(response, 404, "RESOURCE_DOES_NOT_EXIST")


async def test_archive_of_a_file_is_400(http: httpx.AsyncClient, tree: ArtifactStore) -> None:
    response = await http.get(f"{ARCHIVE}/d/a.txt")

    assert_json_error(response, 400, "INVALID_PARAMETER_VALUE")


# -- multipart uploads ---------------------------------------------------------------------------

# As MLflow's client sends it: the URL names the destination folder, the body the local file,
# whose base name becomes the artifact's name (mlflow/server/handlers.py,
# _create_multipart_upload_artifact, and S3ArtifactRepository.create_multipart_upload).
MPU_FOLDER = "1/0123456789abcdef/artifacts/models"
LOCAL_FILE = "/home/alice/work/big.bin"
MPU_PARTS = [
    random_bytes(5 * MiB, seed=1),
    random_bytes(5 * MiB, seed=2),
    random_bytes(MiB, seed=3),
]


async def create_upload(http: httpx.AsyncClient, num_parts: int = 3) -> dict[str, Any]:
    response = await http.post(
        f"{PROXY}/mpu/create/{MPU_FOLDER}", json={"path": LOCAL_FILE, "num_parts": num_parts}
    )
    assert response.status_code == 200, response.text
    created: dict[str, Any] = response.json()
    return created


async def send_part(http: httpx.AsyncClient, credential: dict[str, Any]) -> dict[str, Any]:
    """PUT one part where the credential says (this app, or S3) and report it as MLflow does."""
    url = credential["url"]
    data = MPU_PARTS[credential["part_number"] - 1]
    headers = credential.get("headers") or {}
    if url.startswith(BASE):
        response = await http.put(url.removeprefix(BASE), content=data, headers=headers)
    else:
        async with httpx.AsyncClient() as outside:
            response = await outside.put(url, content=data, headers=headers)
    assert response.status_code == 200, response.text
    return {"part_number": credential["part_number"], "etag": response.headers["etag"], "url": url}


async def complete(
    http: httpx.AsyncClient, upload_id: str, parts: list[dict[str, Any]]
) -> httpx.Response:
    return await http.post(
        f"{PROXY}/mpu/complete/{MPU_FOLDER}",
        json={"path": LOCAL_FILE, "upload_id": upload_id, "parts": parts},
    )


async def test_multipart_create_gives_one_credential_per_part(http: httpx.AsyncClient) -> None:
    created = await create_upload(http)

    assert created["upload_id"]
    assert [c["part_number"] for c in created["credentials"]] == [1, 2, 3]
    assert len({c["url"] for c in created["credentials"]}) == 3


async def test_multipart_credential_headers_are_a_json_object(http: httpx.AsyncClient) -> None:
    created = await create_upload(http)

    assert all(isinstance(c.get("headers", {}), dict) for c in created["credentials"])


@pytest.mark.parametrize("artifact_store", ["local"], indirect=True)
async def test_local_multipart_part_urls_point_at_this_server(http: httpx.AsyncClient) -> None:
    created = await create_upload(http)

    for credential in created["credentials"]:
        assert credential["url"].startswith(f"{BASE}{PROXY}/mpu/parts/{created['upload_id']}/")


async def test_multipart_upload_lands_at_the_folder_and_local_file_name(
    http: httpx.AsyncClient,
) -> None:
    created = await create_upload(http)
    parts = [await send_part(http, credential) for credential in created["credentials"]]

    response = await complete(http, created["upload_id"], parts)

    assert response.status_code == 200, response.text
    download = await http.get(f"{ARTIFACTS}/{MPU_FOLDER}/big.bin")
    assert download.status_code == 200, download.text
    assert download.content == b"".join(MPU_PARTS)


async def test_multipart_part_upload_answers_with_an_etag(http: httpx.AsyncClient) -> None:
    created = await create_upload(http)

    part = await send_part(http, created["credentials"][0])

    assert part["etag"].strip('"')


async def test_multipart_abort_discards_the_upload(
    http: httpx.AsyncClient, artifact_store: ArtifactStore, request: pytest.FixtureRequest
) -> None:
    created = await create_upload(http)
    await send_part(http, created["credentials"][0])

    response = await http.post(
        f"{PROXY}/mpu/abort/{MPU_FOLDER}",
        json={"path": LOCAL_FILE, "upload_id": created["upload_id"]},
    )

    assert response.status_code == 200, response.text
    assert list(artifact_store.walk("")) == []
    if isinstance(artifact_store, LocalArtifactStore):
        assert list((artifact_store.root / UPLOADS_FOLDER).iterdir()) == []
    else:
        assert isinstance(artifact_store, S3ArtifactStore)
        server: S3Server = request.getfixturevalue("s3_server")
        assert server.pending_uploads(artifact_store.bucket) == []


async def test_multipart_complete_with_a_missing_part_is_400(
    http: httpx.AsyncClient, artifact_store: ArtifactStore
) -> None:
    created = await create_upload(http)
    first, _, last = created["credentials"]
    parts = [await send_part(http, first), await send_part(http, last)]
    missing = {"part_number": 2, "etag": '"0123456789abcdef0123456789abcdef"', "url": ""}

    response = await complete(http, created["upload_id"], [parts[0], missing, parts[1]])

    assert_json_error(response, 400, "INVALID_PARAMETER_VALUE")
    assert list(artifact_store.walk("")) == []


# -- --no-serve-artifacts -------------------------------------------------------------------------


@pytest.fixture
async def direct(
    settings: ServerSettings, artifact_store: ArtifactStore
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app started with --no-serve-artifacts (its lifespan opens the store)."""
    app = create_app(dataclasses.replace(settings, serve_artifacts=False), artifacts=artifact_store)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url=BASE) as client,
    ):
        yield client


PROXIED_ROUTES = [
    ("GET", f"{ARTIFACTS}/a.txt", None),
    ("PUT", f"{ARTIFACTS}/a.txt", None),
    ("DELETE", f"{ARTIFACTS}/a.txt", None),
    ("GET", ARTIFACTS, None),
    ("GET", f"{AJAX_ARTIFACTS}/a.txt", None),
    ("POST", f"{PROXY}/mpu/create/d", {"path": "a.bin", "num_parts": 1}),
    ("POST", f"{PROXY}/mpu/complete/d", {"path": "a.bin", "upload_id": "ab", "parts": []}),
    ("POST", f"{PROXY}/mpu/abort/d", {"path": "a.bin", "upload_id": "ab"}),
    ("PUT", f"{PROXY}/mpu/parts/0123456789abcdef/1", None),
]


@pytest.mark.parametrize(
    ("method", "url", "body"), PROXIED_ROUTES, ids=[f"{m} {u}" for m, u, _ in PROXIED_ROUTES]
)
async def test_without_serving_proxied_routes_are_404_json(
    direct: httpx.AsyncClient, method: str, url: str, body: dict[str, Any] | None
) -> None:
    content = b"data" if method == "PUT" else None
    response = await direct.request(method, url, json=body, content=content)

    assert_json_error(response, 404, "RESOURCE_DOES_NOT_EXIST")


async def test_without_serving_experiments_get_the_store_uri_as_location(
    direct: httpx.AsyncClient, artifact_store: ArtifactStore
) -> None:
    created = await direct.post(f"{MLFLOW}/experiments/create", json={"name": "direct"})
    experiment_id = created.json()["experiment_id"]

    response = await direct.get(
        f"{MLFLOW}/experiments/get", params={"experiment_id": experiment_id}
    )

    location = response.json()["experiment"]["artifact_location"]
    assert location == f"{artifact_store.uri}/{experiment_id}"


async def test_without_serving_runs_get_artifact_uris_in_the_store(
    direct: httpx.AsyncClient, artifact_store: ArtifactStore
) -> None:
    created = await direct.post(f"{MLFLOW}/experiments/create", json={"name": "direct"})
    experiment_id = created.json()["experiment_id"]

    response = await direct.post(
        f"{MLFLOW}/runs/create", json={"experiment_id": experiment_id, "start_time": T0}
    )

    info = response.json()["run"]["info"]
    assert (
        info["artifact_uri"] == f"{artifact_store.uri}/{experiment_id}/{info['run_id']}/artifacts"
    )


async def test_without_serving_get_artifact_still_serves_run_files(
    direct: httpx.AsyncClient, artifact_store: ArtifactStore
) -> None:
    created = await direct.post(f"{MLFLOW}/experiments/create", json={"name": "direct"})
    experiment_id = created.json()["experiment_id"]
    run = await direct.post(
        f"{MLFLOW}/runs/create", json={"experiment_id": experiment_id, "start_time": T0}
    )
    run_id = run.json()["run"]["info"]["run_id"]
    put_file(artifact_store, f"{experiment_id}/{run_id}/artifacts/x.txt", b"written directly")

    response = await direct.get("/get-artifact", params={"run_id": run_id, "path": "x.txt"})

    assert response.status_code == 200, response.text
    assert response.content == b"written directly"
