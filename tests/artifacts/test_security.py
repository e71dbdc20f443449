"""Issue 3's security table: every artifact route, every hostile path, a 4xx, nothing touched.

Requests are handed to the app as an HTTP server would hand over the raw request line (the path
percent-decoded once, ``raw_path`` and the query string as sent), because an HTTP client such as
httpx would normalise ``..`` segments and drop ``#`` fragments before the app ever saw them. Each
case checks that the request reached the artifact route it aims at, with the hostile text intact,
that the answer is a 4xx, and that nothing beside the artifact root (a canary file, the folder
planted symlinks lead to, /etc/passwd, objects next to the S3 prefix) was read or written.
"""

from __future__ import annotations

import contextlib
import io
import shutil
import uuid
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

import anyio
import httpx
import orjson
import pytest
from fastapi import FastAPI

from shipyard.artifacts.local import LocalArtifactStore
from shipyard.artifacts.s3 import S3ArtifactStore
from shipyard.artifacts.store import ArtifactStore
from shipyard.artifacts.uris import managed_path
from shipyard.server.app import create_app
from shipyard.server.settings import ServerSettings
from shipyard.store.engine import Database
from shipyard.store.model_registry import RegistryStore
from shipyard.store.tracking import TrackingStore

if TYPE_CHECKING:
    from conftest import GuardedSite, S3Server

pytestmark = pytest.mark.anyio

T0 = 1_700_000_000_000
SECRET = b"the secret outside the artifact root"  # what conftest.GuardedSite puts beside it
NOT_YOURS = b"an object beside the store's prefix"

HOSTILE = {
    "etc-passwd": "/etc/passwd",
    "dotdot": "../x",
    "dot-dotdot": "./../x",
    "name-dotdot-dotdot": "a/../../x",
    "encoded-dotdot": "%2e%2e%2fx",
    "double-encoded-dotdot": "%252e%252e%252fx",
    "half-encoded-dotdot": "..%2fx",
    "backslash-dotdot": "..\\x",
    "drive-backslash": "C:\\x",
    "drive-slash": "C:/x",
    "fragment": "x#/../..",
    "params": "x;/../..",
    "file-uri": "file:///etc/passwd",
    "encoded-nul": "x%00",
}
SYMLINKS = {
    "symlink-to-folder-file": "planted-dir/secret.txt",
    "symlink-to-folder": "planted-dir",
    "symlink-to-file": "planted-file",
    "symlink-dangling": "planted-dangling",
}


# -- handing raw requests to the app ---------------------------------------------------------------


@dataclass
class Result:
    """What the app answered, and the scope its router filled in (the route it reached)."""

    status: int
    body: bytes
    scope: dict[str, Any]

    @property
    def route(self) -> str | None:
        route = self.scope.get("route")
        return getattr(route, "path", None)


async def send_raw(app: FastAPI, method: str, target: str, body: bytes = b"") -> Result:
    """Send ``target`` exactly as written, as uvicorn/h11 would pass it to the app."""
    raw_path, _, query = target.partition("?")
    headers = [(b"host", b"shipyard.test"), (b"content-length", str(len(body)).encode())]
    if body[:1] == b"{":
        headers.append((b"content-type", b"application/json"))
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "server": ("shipyard.test", 80),
        "client": ("127.0.0.1", 40000),
        "root_path": "",
        "path": unquote(raw_path),
        "raw_path": raw_path.encode(),
        "query_string": query.encode(),
        "headers": headers,
    }
    done = anyio.Event()
    sent = False
    status = 0
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                done.set()

    try:
        await app(scope, receive, send)
    except Exception:
        # Starlette re-raises an unhandled error after sending its 500; the status tells it.
        if not status:
            raise
    return Result(status, b"".join(chunks), scope)


# -- the routes ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    """An artifact route: where the hostile text goes in its URL, and what body it takes."""

    method: str
    target: str
    """The URL, with ``<p>`` where the hostile text goes and ``<run>`` for the run id."""
    route: str
    """The path of the app route the request must reach."""
    body: str = ""
    """"bytes", or the multipart call ("create", "complete", "abort") whose JSON it sends."""
    param: str | None = "path"
    """The path parameter the text lands in (None: it goes in the query string)."""


def _proxied(prefix: str) -> dict[str, Route]:
    base = f"{prefix}/2.0/mlflow-artifacts"
    artifact = f"{base}/artifacts/{{path:path}}"
    return {
        f"GET {base}/artifacts/<p>": Route("GET", f"{base}/artifacts/<p>", artifact),
        f"PUT {base}/artifacts/<p>": Route("PUT", f"{base}/artifacts/<p>", artifact, "bytes"),
        f"DELETE {base}/artifacts/<p>": Route("DELETE", f"{base}/artifacts/<p>", artifact),
        f"GET {base}/artifacts?path=<p>": Route(
            "GET", f"{base}/artifacts?path=<p>", f"{base}/artifacts", param=None
        ),
        f"POST {base}/mpu/create/<p>": Route(
            "POST", f"{base}/mpu/create/<p>", f"{base}/mpu/create/{{path:path}}", "create"
        ),
        f"POST {base}/mpu/complete/<p>": Route(
            "POST", f"{base}/mpu/complete/<p>", f"{base}/mpu/complete/{{path:path}}", "complete"
        ),
        f"POST {base}/mpu/abort/<p>": Route(
            "POST", f"{base}/mpu/abort/<p>", f"{base}/mpu/abort/{{path:path}}", "abort"
        ),
        f"PUT {base}/mpu/parts/<p>/1": Route(
            "PUT",
            f"{base}/mpu/parts/<p>/1",
            f"{base}/mpu/parts/{{upload_id}}/{{part_number}}",
            "bytes",
            param="upload_id",
        ),
    }


def _run_list(prefix: str) -> Route:
    route = f"{prefix}/2.0/mlflow/artifacts/list"
    return Route("GET", f"{route}?run_id=<run>&path=<p>", route, param=None)


ROUTES: dict[str, Route] = {
    **_proxied("/api"),
    **_proxied("/ajax-api"),
    "GET /get-artifact?path=<p>": Route(
        "GET", "/get-artifact?run_id=<run>&path=<p>", "/get-artifact", param=None
    ),
    "GET /model-versions/get-artifact?path=<p>": Route(
        "GET",
        "/model-versions/get-artifact?name=secure&version=1&path=<p>",
        "/model-versions/get-artifact",
        param=None,
    ),
    "GET /api/2.0/mlflow/artifacts/list?path=<p>": _run_list("/api"),
    "GET /ajax-api/2.0/mlflow/artifacts/list?path=<p>": _run_list("/ajax-api"),
    "GET /api/2.0/shipyard/artifacts/archive/<p>": Route(
        "GET",
        "/api/2.0/shipyard/artifacts/archive/<p>",
        "/api/2.0/shipyard/artifacts/archive/{path:path}",
    ),
}
# The routes that serve files of a run or model version, found through its stored location.
LOCATED = [
    "/get-artifact?run_id=<foreign run>&path=secret.txt",
    "/api/2.0/mlflow/artifacts/list?run_id=<foreign run>&path=",
    "/ajax-api/2.0/mlflow/artifacts/list?run_id=<foreign run>&path=",
    "/model-versions/get-artifact?name=beside&version=1&path=secret.txt",
]


# -- one app per store kind, shared by the module -------------------------------------------------


@dataclass
class Site:
    """An app over an artifact store, a run in it, and everything no request may touch."""

    app: FastAPI
    artifacts: ArtifactStore
    guarded: GuardedSite
    run_id: str
    run_root: str
    foreign_run_id: str
    s3: S3Server | None = None
    bucket_neighbours: dict[str, str] = field(default_factory=dict)

    def keys_beside_the_prefix(self) -> dict[str, str]:
        assert isinstance(self.artifacts, S3ArtifactStore) and self.s3 is not None
        prefix = self.artifacts.prefix + "/"
        keys = self.s3.keys(self.artifacts.bucket)
        return {key: etag for key, etag in keys.items() if not key.startswith(prefix)}

    def replant(self) -> None:
        """Put the symlinks back (a faulty delete may have removed one)."""
        if isinstance(self.artifacts, LocalArtifactStore):
            self.guarded.plant_symlinks(self.guarded.root)
            self.guarded.plant_symlinks(self.guarded.root / self.run_root)

    @contextlib.contextmanager
    def untouched(self, *, writes: bool = True) -> Iterator[None]:
        """Fail unless the block leaves everything beside the artifact root alone.

        Listing the bucket is slow, so it is left out for requests that cannot write (what
        they could read beside the prefix is checked in their answer instead).
        """
        with self.guarded.untouched():
            yield
        if self.s3 is not None and writes:
            assert self.keys_beside_the_prefix() == self.bucket_neighbours

    def fresh_upload(self) -> tuple[str, str]:
        """A started multipart upload at ok/big.bin with its one part sent: (id, etag)."""
        upload = self.artifacts.create_multipart_upload("ok/big.bin", 1, _part_url)
        if isinstance(self.artifacts, LocalArtifactStore):
            writer = self.artifacts.part_writer(upload.upload_id, 1)
            writer.write(b"part")
            writer.commit()
            return upload.upload_id, self.artifacts.part_etag(writer)
        response = httpx.put(upload.parts[0].url, content=b"part")
        response.raise_for_status()
        return upload.upload_id, response.headers["etag"]


def _part_url(upload_id: str, part_number: int) -> str:
    return f"http://shipyard.test/api/2.0/mlflow-artifacts/mpu/parts/{upload_id}/{part_number}"


@pytest.fixture(scope="module", params=["local", "s3"])
def site(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    make_guarded_site: Callable[[Path], GuardedSite],
) -> Iterator[Site]:
    base = tmp_path_factory.mktemp(f"security-{request.param}")
    guarded = make_guarded_site(base / "site")
    database = base / "tracking.db"
    shutil.copyfile(request.getfixturevalue("sqlite_template"), database)
    s3: S3Server | None = None
    artifacts: ArtifactStore
    if request.param == "local":
        artifacts = LocalArtifactStore(guarded.root)
    else:
        s3 = request.getfixturevalue("s3_server")
        bucket = f"security-{uuid.uuid4().hex[:20]}"
        s3.client().create_bucket(Bucket=bucket)
        for key in ("some/canary.txt", "some/prefixed/secret.txt", "passwd", "etc/passwd"):
            s3.client().put_object(Bucket=bucket, Key=key, Body=NOT_YOURS)
        artifacts = S3ArtifactStore(f"s3://{bucket}/some/prefix", endpoint_url=s3.endpoint_url)
    tracking = TrackingStore(Database(f"sqlite:///{database}"), "mlflow-artifacts:")
    tracking.ensure_default_experiment()
    experiment_id = tracking.create_experiment("security")
    info = tracking.create_run(experiment_id=experiment_id, user_id="eve", start_time=T0).info
    run_root = managed_path(info.artifact_uri, artifacts.uri)
    assert run_root
    writer = artifacts.writer(f"{run_root}/ok.txt")
    writer.write(b"ok")
    writer.commit()
    registry = RegistryStore(tracking.db)
    registry.create_registered_model("secure")
    registry.create_model_version(
        name="secure", source=info.artifact_uri, storage_location=info.artifact_uri
    )
    # A client may name any artifact location, and a database imported from MLflow may hold
    # model versions stored anywhere: these two point beside the root, at the secret.
    foreign = tracking.create_experiment("beside", artifact_location=guarded.outside.as_uri())
    foreign_run_id = tracking.create_run(
        experiment_id=foreign, user_id="eve", start_time=T0
    ).info.run_id
    (guarded.outside / foreign_run_id / "artifacts").mkdir(parents=True)
    (guarded.outside / foreign_run_id / "artifacts" / "secret.txt").write_bytes(b"secret")
    registry.create_registered_model("beside")
    registry.create_model_version(
        name="beside",
        source=guarded.outside.as_uri(),
        storage_location=guarded.outside.as_uri(),
    )
    settings = ServerSettings(
        backend_store_uri=f"sqlite:///{database}",
        artifacts_destination=str(guarded.root),
        data_dir=base,
    )
    app = create_app(settings, store=tracking, artifacts=artifacts)
    result = Site(app, artifacts, guarded, info.run_id, run_root, foreign_run_id, s3)
    if s3 is not None:
        result.bucket_neighbours = result.keys_beside_the_prefix()
    result.replant()
    try:
        yield result
    finally:
        tracking.close()


def _body(site: Site, route: Route) -> bytes:
    if route.body == "bytes":
        return b"written by an attacker"
    if route.body == "create":
        return orjson.dumps({"path": "big.bin", "num_parts": 1})
    if route.body in ("complete", "abort"):
        upload_id, etag = site.fresh_upload()
        message: dict[str, Any] = {"path": "big.bin", "upload_id": upload_id}
        if route.body == "complete":
            message["parts"] = [{"part_number": 1, "etag": etag, "url": _part_url(upload_id, 1)}]
        return orjson.dumps(message)
    return b""


async def _attack(site: Site, route: Route, text: str) -> Result:
    target = route.target.replace("<run>", site.run_id).replace("<p>", text)
    body = _body(site, route)
    with site.untouched(writes=route.method != "GET"):
        result = await send_raw(site.app, route.method, target, body)
    for outside in (SECRET, NOT_YOURS):
        assert outside not in result.body, "the answer carries bytes from outside the root"
    return result


def _check_refused(result: Result, route: Route, text: str) -> None:
    if route.param == "upload_id" and "/" in unquote(text):
        # A "/" cannot sit in one path segment: the request matches no route at all.
        assert result.route is None
    else:
        assert result.route == route.route, "the request did not reach the route under test"
        if route.param is not None:
            assert result.scope["path_params"][route.param] == unquote(text)
    assert 400 <= result.status < 500, f"{result.status}: {result.body[:300]!r}"


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
@pytest.mark.parametrize("route_name", ROUTES.keys())
async def test_hostile_path_is_refused_and_nothing_outside_is_touched(
    site: Site, route_name: str, text: str
) -> None:
    route = ROUTES[route_name]

    result = await _attack(site, route, text)

    _check_refused(result, route, text)


SYMLINK_ROUTES = {name: route for name, route in ROUTES.items() if route.param != "upload_id"}


# Harmless text for each route that only reads: proves the table's refusals are not a set-up that
# serves nothing (a missing run, say). ``<root>`` is the run's folder under the artifact root.
HARMLESS = {
    "/api/2.0/mlflow-artifacts/artifacts/{path:path}": "<root>/ok.txt",
    "/api/2.0/mlflow-artifacts/artifacts": "<root>",
    "/get-artifact": "ok.txt",
    "/model-versions/get-artifact": "ok.txt",
    "/api/2.0/mlflow/artifacts/list": "",
    "/api/2.0/shipyard/artifacts/archive/{path:path}": "<root>",
}
READERS = {
    name: route
    for name, route in ROUTES.items()
    if route.method == "GET" and route.route.replace("/ajax-api/", "/api/") in HARMLESS
}


@pytest.mark.parametrize("route_name", READERS.keys())
async def test_harmless_path_is_served_by_the_same_route(site: Site, route_name: str) -> None:
    route = READERS[route_name]
    text = HARMLESS[route.route.replace("/ajax-api/", "/api/")].replace("<root>", site.run_root)
    target = route.target.replace("<run>", site.run_id).replace("<p>", text)

    result = await send_raw(site.app, route.method, target)

    assert result.route == route.route
    assert result.status == 200, result.body[:300]
    assert b"ok" in result.body


LOCAL_ONLY = pytest.mark.parametrize("site", ["local"], indirect=True)
"""For symlinks, which exist on local disk only."""


@LOCAL_ONLY
@pytest.mark.parametrize("text", SYMLINKS.values(), ids=SYMLINKS.keys())
@pytest.mark.parametrize("route_name", SYMLINK_ROUTES.keys())
async def test_path_through_a_planted_symlink_is_refused_and_nothing_outside_is_touched(
    site: Site, route_name: str, text: str
) -> None:
    route = SYMLINK_ROUTES[route_name]
    site.replant()

    result = await _attack(site, route, text)

    _check_refused(result, route, text)


@pytest.mark.parametrize("target", LOCATED)
async def test_files_stored_beside_the_root_are_refused_and_not_read(
    site: Site, target: str
) -> None:
    target = target.replace("<foreign run>", site.foreign_run_id)

    with site.untouched():
        result = await send_raw(site.app, "GET", target)

    assert 400 <= result.status < 500, f"{result.status}: {result.body[:300]!r}"


@pytest.mark.parametrize("root", ["", ".", "./", "%2e", "%2e/", "a/..", "/"])
async def test_delete_of_the_artifact_root_is_refused(site: Site, root: str) -> None:
    with site.untouched():
        result = await send_raw(site.app, "DELETE", f"/api/2.0/mlflow-artifacts/artifacts/{root}")

    assert 400 <= result.status < 500, f"{result.status}: {result.body[:300]!r}"
    assert site.artifacts.stat(f"{site.run_root}/ok.txt") is not None


@LOCAL_ONLY
async def test_archive_of_a_folder_holding_symlinks_leaves_them_out(site: Site) -> None:
    site.replant()

    with site.untouched():
        result = await send_raw(
            site.app, "GET", f"/api/2.0/shipyard/artifacts/archive/{site.run_root}"
        )

    assert result.status == 200, result.body[:300]
    with zipfile.ZipFile(io.BytesIO(result.body)) as archive:
        names = archive.namelist()
    assert "ok.txt" in names
    assert not [name for name in names if name.startswith("planted")]
    assert SECRET not in result.body


@LOCAL_ONLY
async def test_listing_a_folder_holding_symlinks_leaves_them_out(site: Site) -> None:
    site.replant()

    with site.untouched():
        result = await send_raw(
            site.app, "GET", f"/api/2.0/mlflow-artifacts/artifacts?path={site.run_root}"
        )

    assert result.status == 200, result.body[:300]
    assert [entry["path"] for entry in orjson.loads(result.body)["files"]] == ["ok.txt"]


async def test_raw_requests_reach_the_app_unnormalised(site: Site) -> None:
    result = await send_raw(site.app, "GET", "/api/2.0/mlflow-artifacts/artifacts/a/../../x")

    assert result.scope["path_params"]["path"] == "a/../../x"
