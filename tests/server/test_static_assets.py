"""The UI's static files: gzipped for clients that accept it, and revalidated by ETag."""

from __future__ import annotations

import gzip
from pathlib import Path

import httpx
import pytest

from shipyard.server.ui import assets

pytestmark = pytest.mark.anyio

PLOTLY = "/static/vendor/plotly.min.js"


async def _raw(
    client: httpx.AsyncClient, url: str, headers: dict[str, str]
) -> tuple[httpx.Response, bytes]:
    """A GET, and its body as it came over the wire (not decoded)."""
    async with client.stream("GET", url, headers=headers) as response:
        body = b"".join([chunk async for chunk in response.aiter_raw()])
    return response, body


async def test_plotly_is_sent_gzipped_to_a_client_that_accepts_gzip(
    client: httpx.AsyncClient,
) -> None:
    original = assets.plotly_bundle().read_bytes()

    response, body = await _raw(client, PLOTLY, {"Accept-Encoding": "gzip, deflate"})

    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["content-type"].startswith("text/javascript")
    assert "accept-encoding" in response.headers["vary"].lower()
    assert len(body) * 3 < len(original)
    assert gzip.decompress(body) == original


async def test_plotly_is_sent_as_it_is_to_a_client_that_does_not(
    client: httpx.AsyncClient,
) -> None:
    response, body = await _raw(client, PLOTLY, {"Accept-Encoding": "identity"})

    assert response.status_code == 200
    assert "content-encoding" not in response.headers
    assert body == assets.plotly_bundle().read_bytes()


@pytest.mark.parametrize("accept", ["gzip", "identity"])
async def test_a_copy_still_current_is_confirmed_with_304_and_no_body(
    client: httpx.AsyncClient, accept: str
) -> None:
    first, _ = await _raw(client, "/static/css/app.css", {"Accept-Encoding": accept})
    etag = first.headers["etag"]

    again, body = await _raw(
        client, "/static/css/app.css", {"Accept-Encoding": accept, "If-None-Match": etag}
    )

    assert first.status_code == 200
    assert again.status_code == 304
    assert body == b""
    assert again.headers["etag"] == etag


async def test_a_changed_file_gets_a_new_etag_and_its_new_content(
    client: httpx.AsyncClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(assets, "STATIC", tmp_path)
    script = tmp_path / "app.js"
    script.write_text("console.log('first');\n" * 100)
    first = await client.get("/static/app.js")

    script.write_text("console.log('second, longer');\n" * 100)
    second = await client.get("/static/app.js", headers={"If-None-Match": first.headers["etag"]})

    assert second.status_code == 200
    assert second.headers["etag"] != first.headers["etag"]
    assert second.text == script.read_text()
