"""The turn engine against the built-in simulator: fast checks of what e2e proves on vLLM."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.fault_proxy import FaultProxy
from vlmconsole.model.run_settings import RunSettings
from vlmconsole.model.turn_record import TurnRecord
from vlmconsole.model.window_policy import WindowPolicy
from vlmconsole.settings import ApiKey
from vlmconsole.sim.config import SimConfig
from vlmconsole.sim.sim_server import SimServer, run_in_thread
from vlmconsole.sources.chat import ChatSource
from vlmconsole.sources.endpoint import parse_endpoint
from vlmconsole.sources.image_transport import DataUrlTransport, LoopbackUrlTransport
from vlmconsole.sources.journal import Journal, read_journal
from vlmconsole.sources.screenshots import synthetic_asset
from vlmconsole.sources.turn_engine import RunConfig, TurnEngine

KEY = "sim-key"
MODEL = "vlmconsole-demo-vlm"


@pytest.fixture(scope="module")
def sim() -> Iterator[SimServer]:
    with run_in_thread(SimConfig(speed=200, api_key=KEY, limit_images=8)) as server:
        yield server


def make_engine(
    url: str,
    tmp_path: Path,
    policy: str = "none",
    key: str = KEY,
    max_tokens: int = 8,
    scrape_around_turns: bool = True,
) -> TurnEngine:
    config = RunConfig(
        f"run-{policy}",
        RunSettings(MODEL, WindowPolicy.parse(policy), max_tokens=max_tokens),
        scrape_around_turns=scrape_around_turns,
    )
    journal = Journal(tmp_path / "journal.jsonl")
    return TurnEngine(parse_endpoint(url), ApiKey(key), config, DataUrlTransport(), journal, 10)


@pytest.fixture()
async def engine(sim: SimServer, tmp_path: Path) -> AsyncIterator[TurnEngine]:
    made = make_engine(sim.base_url, tmp_path)
    await made.start()
    yield made
    await made.aclose()


async def run(
    sim: SimServer, tmp_path: Path, policy: str, turns: int, seed: int
) -> list[TurnRecord]:
    made = make_engine(sim.base_url, tmp_path, policy)
    await made.start()
    records = [
        await made.send(f"s{n}", [synthetic_asset(1280, 720, seed + n)]) for n in range(turns)
    ]
    await made.aclose()
    return records


async def test_none_hits_more_each_turn_and_every_turn_is_on_disk_first(
    sim: SimServer, tmp_path: Path
) -> None:
    made = make_engine(sim.base_url, tmp_path)
    await made.start()
    hits = []
    for n in range(5):
        record = await made.send(f"s{n}", [synthetic_asset(1280, 720, 100 + n)])
        assert [r.turn for r in read_journal(tmp_path / "journal.jsonl").records][-1] == n + 1
        hits.append(record.cached_tokens or 0)
        assert record.new_image_tokens == 863 and record.breakdown is not None
        # the demo server counts tokens in every chunk, as vLLM does when asked
        assert record.ttft_source == "usage" and record.itl_p90_s is not None
        # the request's way out, from the HTTP client's trace: inside the TTFT
        http = record.http
        assert http is not None and record.ttft_s is not None
        phases = (http.build_s, http.connect_s, http.upload_s, http.wait_s)
        assert all(p >= 0 for p in phases) and sum(phases) <= record.ttft_s
    await made.aclose()
    assert all(b > a for a, b in zip(hits, hits[1:], strict=False)), hits


async def test_slide_breaks_the_cache_and_chunk_keeps_it_between_drops(
    sim: SimServer, tmp_path: Path
) -> None:
    slide = [r.cached_tokens or 0 for r in await run(sim, tmp_path / "s", "slide:2", 6, 200)]
    assert all(hit < 863 for hit in slide[2:]), slide
    chunk = [r.cached_tokens or 0 for r in await run(sim, tmp_path / "c", "chunk:4", 8, 300)]
    assert chunk[4] < 863 and chunk[6] < 863, chunk  # turns 5 and 7 drop
    assert chunk[5] > 1726 and chunk[7] > 1726, chunk  # turns 6 and 8 grow


async def test_url_transport_reaches_the_server(sim: SimServer, tmp_path: Path) -> None:
    made = TurnEngine(
        parse_endpoint(sim.base_url),
        ApiKey(KEY),
        RunConfig("url", RunSettings(MODEL, transport="url", max_tokens=4)),
        LoopbackUrlTransport(),
        Journal(tmp_path / "j.jsonl"),
    )
    await made.start()
    record = await made.send("via url", [synthetic_asset(1280, 720, 400)])
    await made.swap_transport(DataUrlTransport())
    inline = await made.send("inline now", [synthetic_asset(1280, 720, 401)])
    await made.aclose()
    assert record.ok, record.error
    assert record.request_bytes is not None and record.request_bytes < 2000
    assert record.transport == "url" and inline.transport == "base64"
    assert inline.ok and made.config.settings.transport == "base64"


def test_a_transport_other_than_the_run_settings_name_is_refused(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.jsonl")
    config = RunConfig("mixed", RunSettings(MODEL))
    with pytest.raises(ValueError, match="settings say transport 'base64'"):
        TurnEngine(parse_endpoint(":8000"), None, config, LoopbackUrlTransport(), journal)
    journal.close()


async def test_wrong_key_fails_the_turn_with_a_401_line(sim: SimServer, tmp_path: Path) -> None:
    made = make_engine(sim.base_url, tmp_path, key="wrong")
    await made.start()
    record = await made.send("hi", [])
    await made.aclose()
    assert record.error == "401: the API key was refused (--api-key or VLLM_API_KEY)"


async def test_too_many_images_then_the_session_goes_on(engine: TurnEngine) -> None:
    failed = await engine.send("nine", [synthetic_asset(64, 64, 500 + n) for n in range(9)])
    assert failed.error is not None and failed.error.startswith("400") and "8" in failed.error
    ok = await engine.send("one", [synthetic_asset(64, 64, 600)])
    assert ok.ok and ok.images_in_request == 1 and ok.turn == 2


async def test_context_overflow_is_named(tmp_path: Path) -> None:
    with run_in_thread(SimConfig(speed=200, max_model_len=2048, num_blocks=16)) as small:
        made = make_engine(small.base_url, tmp_path)
        await made.start()
        record = await made.send("three", [synthetic_asset(1280, 720, 700 + n) for n in range(3)])
        await made.aclose()
    assert record.error is not None and "maximum context length is 2048" in record.error


async def test_unknown_model_is_named(sim: SimServer, tmp_path: Path) -> None:
    made = TurnEngine(
        parse_endpoint(sim.base_url),
        ApiKey(KEY),
        RunConfig("m", RunSettings("no-such-model")),
        DataUrlTransport(),
        Journal(tmp_path / "j.jsonl"),
    )
    await made.start()
    record = await made.send("hi", [])
    await made.aclose()
    assert record.error is not None and record.error.startswith("404")


async def test_server_dying_mid_answer_keeps_what_came(sim: SimServer, tmp_path: Path) -> None:
    proxy = FaultProxy(target_port=int(sim.base_url.rsplit(":", 1)[1]), cut_after_bytes=1200)
    await proxy.start()
    made = make_engine(f":{proxy.port}", tmp_path, max_tokens=64, scrape_around_turns=False)
    await made.start()
    record = await made.send("long answer please", [])
    await made.aclose()
    await proxy.stop()
    assert record.error is not None and "mid-answer" in record.error and record.reply


def stalling_engine(
    proxy: FaultProxy, tmp_path: Path, stall_timeout_s: float = 120.0
) -> TurnEngine:
    """Returns an engine whose turns go through `proxy` (which stalls the answer)."""
    return TurnEngine(
        parse_endpoint(f":{proxy.port}"),
        ApiKey(KEY),
        RunConfig("gone", RunSettings(MODEL, max_tokens=64), scrape_around_turns=False),
        DataUrlTransport(),
        Journal(tmp_path / "j.jsonl"),
        stall_timeout_s=stall_timeout_s,
    )


async def in_flight(engine: TurnEngine) -> None:
    """Waits (bounded) until the engine's request is out."""
    for _ in range(200):
        if engine.in_flight:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the turn never went out")


async def test_a_stalled_stream_times_out(sim: SimServer, tmp_path: Path) -> None:
    proxy = FaultProxy(target_port=int(sim.base_url.rsplit(":", 1)[1]), stall_after_bytes=1200)
    await proxy.start()
    made = stalling_engine(proxy, tmp_path, stall_timeout_s=0.5)
    await made.start()
    record = await made.send("long answer please", [])
    await made.aclose()
    await proxy.stop()
    assert record.error == "the server stalled: no data for 0.5 s"


async def test_unreadable_image_turn_is_journaled_as_failed(engine: TurnEngine) -> None:
    record = engine.record_failure("see this", "shot.png: the file is empty")
    assert not record.ok and record.error == "shot.png: the file is empty"
    assert read_journal(engine.journal.path).records[-1] == record


async def test_images_that_left_the_window_are_let_go(sim: SimServer, tmp_path: Path) -> None:
    made = make_engine(sim.base_url, tmp_path, "slide:2")
    await made.start()
    try:
        for n in range(6):
            record = await made.send(f"s{n}", [synthetic_asset(320, 180, 900 + n)])
            assert record.ok, record.error
            assert len(made._assets) <= 2, "only the window's images are held"
            assert isinstance(made.transport, DataUrlTransport)
            assert len(made.transport._urls) <= 2, "and only their data URLs"
        assert record.images_in_request == 2
        # a wider window later: the images let go of stay out, the words stay in
        made.set_policy(WindowPolicy.parse("none"))
        widened = await made.send("s6", [synthetic_asset(320, 180, 906)])
        assert widened.ok, widened.error
        assert widened.images_in_request == 3, "two held, one new"
    finally:
        await made.aclose()


async def test_a_stall_timeout_equal_to_httpx_default_is_honoured(
    sim: SimServer, tmp_path: Path
) -> None:
    # 5 s is httpx's default timeout: the SDK used to swap it for its own 600 s.
    proxy = FaultProxy(target_port=int(sim.base_url.rsplit(":", 1)[1]), stall_after_bytes=1200)
    await proxy.start()
    made = stalling_engine(proxy, tmp_path, stall_timeout_s=5.0)
    await made.start()
    started = time.monotonic()
    try:
        record = await asyncio.wait_for(made.send("long answer please", []), timeout=20)
    finally:
        await made.aclose()
        await proxy.stop()
    took_s = time.monotonic() - started
    assert record.error == "the server stalled: no data for 5 s"
    assert 4.5 < took_s < 7.0, f"failed after {took_s:.1f} s"


@pytest.mark.parametrize("bad", [0.0, -1.0, float("nan")])
def test_a_stall_timeout_of_zero_or_less_is_refused(bad: float) -> None:
    with pytest.raises(ValueError, match="stall timeout must be more than 0 s"):
        ChatSource(parse_endpoint(":8000"), None, stall_timeout_s=bad)


@dataclass
class TurnOut:
    """A turn out through a stalling proxy: its answer started, then stopped coming."""

    proxy: FaultProxy
    engine: TurnEngine
    turn: asyncio.Future[TurnRecord]


@pytest.fixture()
async def turn_out(sim: SimServer, tmp_path: Path) -> AsyncIterator[TurnOut]:
    proxy = FaultProxy(target_port=int(sim.base_url.rsplit(":", 1)[1]), stall_after_bytes=1200)
    await proxy.start()
    made = stalling_engine(proxy, tmp_path)
    await made.start()
    turn = asyncio.ensure_future(made.send("long answer please", []))
    try:
        await in_flight(made)
        yield TurnOut(proxy, made, turn)
    finally:
        turn.cancel()
        await made.aclose()
        await proxy.stop()


async def test_a_server_gone_mid_turn_fails_the_turn_within_seconds(
    turn_out: TurnOut, tmp_path: Path
) -> None:
    await asyncio.sleep(0.5)  # the answer has started and stalled
    gone_at = time.monotonic()
    await turn_out.proxy.stop_listening()  # killed: new connections refused, the stream hangs
    record = await asyncio.wait_for(turn_out.turn, timeout=15)
    took_s = time.monotonic() - gone_at
    assert record.status == "failed"
    assert record.error == "the server went away mid-turn: connection refused"
    assert took_s < 3.0, f"the turn hung {took_s:.1f} s after the server went"
    assert read_journal(tmp_path / "j.jsonl").records[-1] == record


async def test_a_turn_in_flight_can_be_cancelled(turn_out: TurnOut, tmp_path: Path) -> None:
    made = turn_out.engine
    assert made.abort("cancelled by the user", "cancelled")
    record = await asyncio.wait_for(turn_out.turn, timeout=5)
    assert not made.in_flight and not made.abort("again", "cancelled")
    assert record.status == "cancelled" and record.error == "cancelled by the user"
    assert read_journal(tmp_path / "j.jsonl").records[-1] == record


async def test_quitting_with_a_turn_in_flight_journals_it_as_abandoned(
    turn_out: TurnOut, tmp_path: Path
) -> None:
    turn_out.turn.cancel()
    with pytest.raises(asyncio.CancelledError):
        await turn_out.turn
    records = read_journal(tmp_path / "j.jsonl").records
    assert [r.status for r in records] == ["abandoned"]
    assert records[0].error == "the program ended with the turn in flight"
