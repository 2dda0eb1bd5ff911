"""The uuid transport on the demo server: each image's bytes go once, then its id; a
server that lost the images gets the turn again with every image's bytes."""

from __future__ import annotations

from pathlib import Path

import pytest

from vlmconsole.model.run_settings import RunSettings
from vlmconsole.model.turn_record import TurnRecord
from vlmconsole.model.window_policy import WindowPolicy
from vlmconsole.sim.config import SimConfig
from vlmconsole.sim.sim_server import SimServer, run_in_thread
from vlmconsole.sources.endpoint import parse_endpoint
from vlmconsole.sources.image_transport import (
    DataUrlTransport,
    ImageTransport,
    UuidTransport,
    make_transport,
)
from vlmconsole.sources.journal import Journal
from vlmconsole.sources.screenshots import ImageAsset, synthetic_asset
from vlmconsole.sources.turn_engine import RunConfig, TurnEngine

MODEL = "vlmconsole-demo-vlm"
TURNS = 12
SHOTS = [synthetic_asset(1280, 720, seed=500 + n) for n in range(TURNS)]


def config() -> SimConfig:
    return SimConfig(speed=200, limit_images=TURNS + 2)


def engine(url: str, tmp_path: Path, transport: ImageTransport) -> TurnEngine:
    settings = RunSettings(MODEL, WindowPolicy(), transport=transport.name, max_tokens=4)
    run = RunConfig(f"run-{transport.name}", settings)
    journal = Journal(tmp_path / f"{transport.name}.jsonl")
    return TurnEngine(parse_endpoint(url), None, run, transport, journal, 10)


async def turns(sim: SimServer, tmp_path: Path, transport: ImageTransport) -> list[TurnRecord]:
    made = engine(sim.base_url, tmp_path, transport)
    await made.start()
    try:
        return [await made.send(f"shot {n}", [shot]) for n, shot in enumerate(SHOTS)]
    finally:
        await made.aclose()


def data_url_bytes(asset: ImageAsset) -> int:
    return len(DataUrlTransport().url_for(asset))


async def test_each_image_goes_once_and_the_cache_is_the_same_as_base64s(
    tmp_path: Path,
) -> None:
    with run_in_thread(config()) as sim:
        inline = await turns(sim, tmp_path, make_transport("base64", tmp_path))
    with run_in_thread(config()) as sim:
        by_id = await turns(sim, tmp_path, make_transport("uuid", tmp_path))
    assert all(r.ok for r in inline + by_id), [r.error for r in inline + by_id]
    assert [r.cached_tokens for r in by_id] == [r.cached_tokens for r in inline]
    for n, (b64, uid) in enumerate(zip(inline, by_id, strict=True)):
        assert uid.request_bytes is not None and b64.request_bytes is not None
        new = data_url_bytes(SHOTS[n])
        # only its new screenshot's bytes, within 5% + 2 KB (the words and the ids)
        assert uid.request_bytes <= new * 1.05 + 2048, (n, uid.request_bytes, new)
        earlier = sum(data_url_bytes(shot) for shot in SHOTS[:n])
        assert uid.image_bytes_saved == earlier and b64.image_bytes_saved is None
        assert not uid.resent_after_cache_miss
    last_by_id, last_inline = by_id[-1].request_bytes, inline[-1].request_bytes
    assert last_by_id is not None and last_inline is not None
    assert last_by_id * (TURNS - 2) < last_inline  # about 1/12


async def test_a_server_that_lost_the_images_gets_one_turn_again_with_bytes(
    tmp_path: Path,
) -> None:
    transport = UuidTransport()
    with run_in_thread(config()) as sim:
        port = int(sim.base_url.rsplit(":", 1)[1])
        made = engine(sim.base_url, tmp_path, transport)
        await made.start()
        first = [await made.send(f"shot {n}", [SHOTS[n]]) for n in range(3)]
    try:
        with run_in_thread(config(), port=port):  # restarted: it knows no image
            after = [await made.send(f"shot {n}", [SHOTS[n]]) for n in range(3, 5)]
    finally:
        await made.aclose()
    assert all(r.ok for r in first + after), [r.error for r in first + after]
    assert [r.resent_after_cache_miss for r in first + after] == [False] * 3 + [True, False]
    resent, next_one = after
    assert resent.image_bytes_saved == 0, "every image's bytes went again"
    assert next_one.image_bytes_saved == sum(data_url_bytes(s) for s in SHOTS[:4])


def test_ids_are_stable_within_a_run_and_differ_between_runs() -> None:
    one, other = UuidTransport(), UuidTransport()
    assert one.uuid_of(SHOTS[0]) == one.uuid_of(SHOTS[0]) != one.uuid_of(SHOTS[1])
    assert one.uuid_of(SHOTS[0]) != other.uuid_of(SHOTS[0])
    part = one.part_for(SHOTS[0])
    assert part["image_url"]["url"].startswith("data:image/png;base64,")
    one.settle([SHOTS[0].sha256], ok=False)
    assert one.part_for(SHOTS[0]) == part, "a failed turn proves nothing was kept"
    one.settle([SHOTS[0].sha256], ok=True)
    assert one.part_for(SHOTS[0]) == {
        "type": "image_url",
        "image_url": None,
        "uuid": one.uuid_of(SHOTS[0]),
    }
    one.send_bytes_again()
    assert one.part_for(SHOTS[0]) == part


@pytest.mark.parametrize("name", ["base64", "url", "file"])
async def test_the_other_transports_send_their_url_every_time(name: str, tmp_path: Path) -> None:
    transport = make_transport(name, tmp_path)
    await transport.start()
    try:
        part = transport.part_for(SHOTS[0])
        transport.settle([SHOTS[0].sha256], ok=True)
        assert transport.part_for(SHOTS[0]) == part and part["image_url"]["url"]
        assert "uuid" not in part
    finally:
        await transport.aclose()
