"""Bad input and faults against the real vLLM server: a clear message, nothing lost."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.cli import program, user_env, vlmconsole, workdir
from tests.support.fault_proxy import FaultProxy
from tests.support.real_vllm import RealVllmServer
from vlmconsole.model.run_settings import RunSettings
from vlmconsole.model.turn_record import TurnRecord
from vlmconsole.settings import ApiKey
from vlmconsole.sources.endpoint import parse_endpoint
from vlmconsole.sources.image_transport import DataUrlTransport
from vlmconsole.sources.journal import Journal, read_journal
from vlmconsole.sources.screenshots import synthetic_asset
from vlmconsole.sources.synthetic_images import synthetic_screenshot
from vlmconsole.sources.turn_engine import RunConfig, TurnEngine

pytestmark = pytest.mark.e2e


def finished_requests(server: RealVllmServer) -> float:
    done = vlmconsole("status", f":{server.port}", "--json", "--sample", "0", server=server)
    assert done.returncode == 0, done.stderr
    return float(sum(json.loads(done.stdout)["scopes"][0]["requests_finished"].values()))


def test_a_killed_bench_loses_no_finished_turn(vllm_server: RealVllmServer, tmp_path: Path) -> None:
    before = finished_requests(vllm_server)
    process = subprocess.Popen(
        [
            *program(),
            "bench",
            f":{vllm_server.port}",
            "--synthetic",
            "1280x720",
            "--turns",
            "30",
            "--max-tokens",
            "4",
            "--out",
            str(tmp_path),
        ],
        env=user_env(vllm_server),
        cwd=workdir(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )
    journal = tmp_path / "journal.jsonl"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if journal.exists() and journal.read_text().count("\n") >= 3:
            break
        assert process.poll() is None, "bench ended before it could be killed"
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
    time.sleep(3)  # let the server finish a request that was in flight
    contents = read_journal(journal)
    turns = [r.turn for r in contents.records]
    assert len(turns) >= 3 and turns == list(range(1, len(turns) + 1))
    assert all(r.ok for r in contents.records)
    assert contents.skipped in (
        (),
        (f"line {len(turns) + 1}: torn (the console stopped mid-write)",),
    )
    finished = finished_requests(vllm_server) - before
    assert finished - len(turns) in (0, 1), "only a turn still in flight may be missing"


def test_a_corrupt_screenshot_fails_its_turn_and_the_run_goes_on(
    vllm_server: RealVllmServer, tmp_path: Path
) -> None:
    shots = tmp_path / "shots"
    shots.mkdir()
    (shots / "1.png").write_bytes(synthetic_screenshot(1280, 720, seed=71))
    (shots / "2.png").write_bytes(synthetic_screenshot(1280, 720, seed=72)[:5000])  # truncated
    (shots / "3.png").write_bytes(synthetic_screenshot(1280, 720, seed=73))
    done = vlmconsole(
        "bench",
        f":{vllm_server.port}",
        "--images",
        str(shots),
        "--max-tokens",
        "4",
        "--out",
        str(tmp_path / "out"),
        server=vllm_server,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "2.png: corrupt or truncated image" in done.stdout
    records = read_journal(tmp_path / "out" / "journal.jsonl").records
    assert [r.status for r in records] == ["ok", "failed", "ok"]
    assert records[2].images_in_request == 2, "the failed turn is not in the conversation"


def test_a_folder_without_images_and_a_refused_key_stop_before_any_turn(
    vllm_server: RealVllmServer, tmp_path: Path
) -> None:
    (tmp_path / "notes.txt").write_text("not a screenshot")
    done = vlmconsole(
        "bench", f":{vllm_server.port}", "--images", str(tmp_path), server=vllm_server
    )
    assert done.returncode == 2 and "no images here" in done.stderr
    done = vlmconsole(
        "bench",
        f":{vllm_server.port}",
        "--synthetic",
        "640x480",
        "--api-key",
        "sk-wrong",
        "--out",
        str(tmp_path / "out"),
        server=vllm_server,
        key=False,
    )
    assert done.returncode == 2 and "API key was refused" in done.stderr
    assert "sk-wrong" not in done.stdout + done.stderr


@pytest.fixture()
async def engine(vllm_server: RealVllmServer, tmp_path: Path) -> AsyncIterator[TurnEngine]:
    made = TurnEngine(
        parse_endpoint(vllm_server.base_url),
        ApiKey(vllm_server.api_key or ""),
        RunConfig("faults", RunSettings(vllm_server.model, max_tokens=48)),
        DataUrlTransport(),
        Journal(tmp_path / "journal.jsonl"),
        stall_timeout_s=120.0,
    )
    await made.start()
    yield made
    await made.aclose()
    made.journal.close()


async def test_context_overflow_is_named_and_the_session_goes_on(engine: TurnEngine) -> None:
    many = [synthetic_asset(640, 480, 8000 + n) for n in range(39)]  # 39 x 863 > 32,768
    failed = await engine.send("all at once", many)
    assert not failed.ok and failed.error is not None
    assert failed.error.startswith("400") and "maximum context length" in failed.error
    after = await engine.send("one more", [synthetic_asset(640, 480, 8100)])
    assert after.ok and after.images_in_request == 1 and after.turn == 2


async def test_a_conversation_that_outgrew_the_context_starts_over(engine: TurnEngine) -> None:
    # 36 x 863 image tokens fit 32,768; two more in the next turn do not
    first = await engine.send(
        "a long look", [synthetic_asset(640, 480, 8200 + n) for n in range(36)]
    )
    assert first.ok, first.error
    pair = [synthetic_asset(640, 480, 8300), synthetic_asset(640, 480, 8301)]
    full = await engine.send("two more", pair)
    assert not full.ok and full.context_full, full.error
    engine.new_conversation()
    fresh = await engine.send("from the top", [synthetic_asset(640, 480, 8302)])
    assert fresh.ok and fresh.images_in_request == 1, fresh.error
    assert fresh.prompt_tokens is not None and fresh.prompt_tokens < 1_500


async def test_too_many_images_is_named(engine: TurnEngine) -> None:
    tiny = [synthetic_asset(32, 32, 9000 + n) for n in range(65)]
    failed = await engine.send("65 images", tiny)
    assert failed.error is not None and failed.error.startswith("400")
    assert "64" in failed.error


async def send_through(
    proxy: FaultProxy, server: RealVllmServer, tmp_path: Path, stall_timeout_s: float = 120.0
) -> TurnRecord:
    """Sends one long text-only turn to the real server through a faulty proxy; returns it."""
    await proxy.start()
    made = TurnEngine(
        parse_endpoint(f":{proxy.port}"),
        ApiKey(server.api_key or ""),
        RunConfig("faulty", RunSettings(server.model, max_tokens=200), scrape_around_turns=False),
        DataUrlTransport(),
        Journal(tmp_path / "journal.jsonl"),
        stall_timeout_s=stall_timeout_s,
    )
    await made.start()
    try:
        return await made.send("text only, long answer", [])
    finally:
        await made.aclose()
        await proxy.stop()


async def test_a_server_dying_mid_answer_fails_the_turn_with_what_came(
    vllm_server: RealVllmServer, tmp_path: Path
) -> None:
    proxy = FaultProxy(target_port=vllm_server.port, cut_after_bytes=1500)
    record = await send_through(proxy, vllm_server, tmp_path)
    assert not record.ok and record.error is not None
    assert "mid-answer" in record.error and record.reply, record.error
    kept = read_journal(tmp_path / "journal.jsonl").records
    assert kept[0].reply == record.reply and kept[0].status == "failed"


@pytest.mark.parametrize("stall_timeout_s", [2.0, 5.0])  # 5 s is httpx's default timeout
async def test_a_stalled_stream_fails_within_its_timeout_and_two_seconds(
    vllm_server: RealVllmServer, tmp_path: Path, stall_timeout_s: float
) -> None:
    proxy = FaultProxy(target_port=vllm_server.port, stall_after_bytes=1500)
    record = await send_through(proxy, vllm_server, tmp_path, stall_timeout_s=stall_timeout_s)
    assert record.error == f"the server stalled: no data for {stall_timeout_s:g} s"
    assert record.e2e_s is not None and record.e2e_s < stall_timeout_s + 2, record.e2e_s
    assert read_journal(tmp_path / "journal.jsonl").records == (record,)
