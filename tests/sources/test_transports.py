"""Image transports: one URL per image, built once; the loopback server serves only those."""

from __future__ import annotations

import base64
from pathlib import Path

import httpx
import pytest

from vlmconsole.sources.image_transport import (
    DataUrlTransport,
    FileUrlTransport,
    LoopbackUrlTransport,
    TransportError,
    make_transport,
)
from vlmconsole.sources.screenshots import synthetic_asset

ASSET = synthetic_asset(64, 48, seed=11)


async def test_data_url_is_built_once_and_decodes_to_the_bytes() -> None:
    transport = DataUrlTransport()
    first = transport.url_for(ASSET)
    assert transport.url_for(ASSET) is first
    assert base64.b64decode(first.split(",", 1)[1]) == ASSET.data


async def test_loopback_server_serves_given_images_only() -> None:
    transport = LoopbackUrlTransport()
    with pytest.raises(TransportError, match="start"):
        transport.url_for(ASSET)
    await transport.start()
    try:
        url = transport.url_for(ASSET)
        assert url.startswith("http://127.0.0.1:") and url == transport.url_for(ASSET)
        async with httpx.AsyncClient() as client:
            served = await client.get(url)
            assert served.content == ASSET.data and served.headers["content-type"] == "image/png"
            guessed = url.rsplit("/", 2)[0] + "/" + "x" * 24 + "/" + ASSET.sha256 + ".png"
            assert (await client.get(guessed)).status_code == 404
            assert (await client.get(f"http://127.0.0.1:{transport.port}/")).status_code == 404
    finally:
        await transport.aclose()


async def test_file_transport_uses_the_original_or_writes_once(tmp_path: Path) -> None:
    transport = FileUrlTransport(tmp_path / "images")
    await transport.start()
    url = transport.url_for(ASSET)
    written = tmp_path / "images" / f"{ASSET.sha256}.png"
    assert url == written.as_uri() and written.read_bytes() == ASSET.data


def test_unknown_transport_is_named(tmp_path: Path) -> None:
    with pytest.raises(TransportError, match="base64, url, file"):
        make_transport("carrier-pigeon", tmp_path)


async def test_a_forgotten_image_is_no_longer_held_or_served(tmp_path: Path) -> None:
    data = DataUrlTransport()
    first = data.url_for(ASSET)
    data.forget(ASSET.sha256)
    again = data.url_for(ASSET)
    assert again == first and again is not first, "built anew: the old one was let go"

    loopback = LoopbackUrlTransport()
    await loopback.start()
    try:
        url = loopback.url_for(ASSET)
        loopback.forget(ASSET.sha256)
        async with httpx.AsyncClient(trust_env=False) as client:
            assert (await client.get(url)).status_code == 404
    finally:
        await loopback.aclose()

    files = FileUrlTransport(tmp_path)
    await files.start()
    url = files.url_for(ASSET)
    files.forget(ASSET.sha256)
    assert files.url_for(ASSET) == url, "the file written for it stays with the session"
