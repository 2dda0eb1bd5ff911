"""The uuid transport on the real vLLM test server: each screenshot's bytes go once,
the prefix cache hits as under base64, and a restarted server costs one retried turn."""

from __future__ import annotations

import asyncio
import secrets
from pathlib import Path

import pytest

from tests.support.real_vllm import RealVllmServer
from vlmconsole.model.run_settings import RunSettings
from vlmconsole.model.turn_record import TurnRecord
from vlmconsole.model.window_policy import WindowPolicy
from vlmconsole.settings import ApiKey
from vlmconsole.sources.endpoint import parse_endpoint
from vlmconsole.sources.image_transport import DataUrlTransport, make_transport
from vlmconsole.sources.journal import Journal
from vlmconsole.sources.screenshots import ImageAsset, synthetic_asset
from vlmconsole.sources.turn_engine import RunConfig, TurnEngine

pytestmark = pytest.mark.e2e

TURNS = 12
FRESH = 1000 * secrets.randbelow(10**6)
"""Screenshots this server has not seen (its prefix cache outlives a test run)."""


def engine(server: RealVllmServer, tmp_path: Path, transport: str) -> TurnEngine:
    settings = RunSettings(server.model, WindowPolicy(), transport=transport, max_tokens=4)
    key = ApiKey(server.api_key) if server.api_key else None
    return TurnEngine(
        parse_endpoint(server.base_url),
        key,
        RunConfig(f"run-{transport}", settings),
        make_transport(transport, tmp_path),
        Journal(tmp_path / f"{transport}.jsonl"),
        60,
    )


def shots(seed: int, count: int = TURNS) -> list[ImageAsset]:
    return [synthetic_asset(1280, 720, seed=seed + n) for n in range(count)]


async def run(made: TurnEngine, images: list[ImageAsset], words: str) -> list[TurnRecord]:
    await made.start()
    return [await made.send(f"{words} {n}", [image]) for n, image in enumerate(images)]


def data_url_bytes(asset: ImageAsset) -> int:
    return len(DataUrlTransport().url_for(asset))


def test_each_screenshot_goes_once_and_hits_as_base64(
    vllm_server: RealVllmServer, tmp_path: Path
) -> None:
    async def both() -> tuple[list[TurnRecord], list[TurnRecord]]:
        inline, by_id = (
            engine(vllm_server, tmp_path, "base64"),
            engine(vllm_server, tmp_path, "uuid"),
        )
        try:  # other screenshots, other words: neither run hits what the other left
            return (
                await run(inline, shots(FRESH), "base64 screen"),
                await run(by_id, shots(FRESH + 100), "uuidid screen"),
            )
        finally:
            await inline.aclose()
            await by_id.aclose()

    inline, by_id = asyncio.run(both())
    assert all(r.ok for r in inline + by_id), [r.error for r in inline + by_id]
    # turn for turn (the random model's 4-token replies differ in length between the
    # runs, so the cacheable prefix may differ by a block of 16 tokens)
    for n, (b64, uid) in enumerate(zip(inline, by_id, strict=True)):
        assert b64.cached_tokens is not None and uid.cached_tokens is not None
        assert abs(uid.cached_tokens - b64.cached_tokens) <= 16, (n, b64, uid)
    assert (by_id[-1].cached_tokens or 0) > 0.8 * (by_id[-1].prompt_tokens or 0), "it hits"
    images = shots(FRESH + 100)
    for n, record in enumerate(by_id):
        assert record.request_bytes is not None
        assert record.request_bytes <= data_url_bytes(images[n]) * 1.05 + 2048, n
        assert record.image_bytes_saved == sum(data_url_bytes(i) for i in images[:n])
    last_inline, last_by_id = inline[-1].request_bytes, by_id[-1].request_bytes
    assert last_inline is not None and last_by_id is not None
    assert last_by_id * (TURNS - 2) < last_inline, (last_by_id, last_inline)


def test_a_restarted_server_costs_one_turn_sent_again_with_bytes(
    own_vllm_server: RealVllmServer, tmp_path: Path
) -> None:
    server = own_vllm_server
    images = shots(FRESH + 200, 5)
    made = engine(server, tmp_path, "uuid")

    async def before() -> list[TurnRecord]:
        return await run(made, images[:3], "screen")

    async def after() -> list[TurnRecord]:
        try:
            return [await made.send(f"screen {n}", [images[n]]) for n in (3, 4)]
        finally:
            await made.aclose()

    loop = asyncio.new_event_loop()
    try:
        first = loop.run_until_complete(before())
        server.stop()
        server.start()
        server.wait_healthy()
        later = loop.run_until_complete(after())
    finally:
        loop.close()
    records = first + later
    assert all(r.ok for r in records), [r.error for r in records]
    assert [r.resent_after_cache_miss for r in records] == [False, False, False, True, False]
    assert later[0].image_bytes_saved == 0
    assert later[1].image_bytes_saved == sum(data_url_bytes(i) for i in images[:4])
