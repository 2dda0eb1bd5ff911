"""The demo server's --kv-cache-metrics histograms, its 0.33 face, and `demo --headless`:
serving until SIGTERM, on loopback, a stand-in vLLM for fleets and scripts."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time

import httpx

from tests.sim.support import FAST, chat, metric, png, scrape, serving, user
from tests.support.real_vllm import free_port
from vlmconsole.sim import SimConfig
from vlmconsole.sim.kv_cache import KvCache


def test_block_residency_is_timed_from_allocation_to_eviction() -> None:
    now = [0.0]
    cache = KvCache(num_blocks=2, block_size=16, clock=lambda: now[0])
    (a, b) = cache.allocate(2) or []
    cache.register(a, b"first")
    cache.release([a, b])
    now[0] = 3.0
    cache.hold(cache.lookup([b"first"]))  # reused 3 s after it was made
    cache.release([a])
    now[0] = 10.0
    cache.allocate(2)  # evicts the cached block: lived 10 s, idle 7 s
    times = cache.drain_residency()
    assert times.reuse_gaps == [3.0]
    assert times.lifetimes == [10.0] and times.idle_before_evict == [7.0]
    assert cache.drain_residency().lifetimes == [], "drained"


async def test_kv_cache_metrics_export_the_residency_histograms() -> None:
    config = SimConfig(
        speed=FAST, kv_cache_metrics=True, max_model_len=4096, num_blocks=40, version="0.33.0"
    )
    async with serving(config) as (_server, client):
        assert (await client.get("/version")).json() == {"version": "0.33.0"}
        for n in range(6):  # distinct images fill and then evict the small cache
            await chat(client, [user("what is this?", png(n, 1280, 720))], max_tokens=2)
        page = await scrape(client)
    assert metric(page, "vllm:kv_block_lifetime_seconds_count") > 0
    assert metric(page, "vllm:kv_block_idle_before_evict_seconds_count") > 0
    assert "vllm:kv_block_reuse_gap_seconds_bucket" in page
    async with serving(SimConfig(speed=FAST)) as (_server, client):
        assert "kv_block_lifetime" not in await scrape(client), "only with --kv-cache-metrics"


def test_demo_headless_serves_until_sigterm() -> None:
    port = free_port()
    demo = subprocess.Popen(
        [sys.executable, "-m", "vlmconsole", "demo", "--headless", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )
    try:
        assert demo.stdout is not None
        first = demo.stdout.readline()
        assert f"on http://127.0.0.1:{port}" in first, first + (
            demo.stderr.read() if demo.stderr else ""
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                page = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2).text
                break
            except httpx.ConnectError:
                assert time.monotonic() < deadline, "the demo server never answered"
                time.sleep(0.1)
        assert "vllm:num_requests_running" in page
        demo.send_signal(signal.SIGTERM)
        out, err = demo.communicate(timeout=15)
        assert demo.returncode == 0, err
        assert "demo server stopped" in out and "Traceback" not in err
    finally:
        if demo.poll() is None:
            demo.kill()


def test_demo_headless_on_a_taken_port_says_so_in_one_line() -> None:
    async def hold() -> None:
        server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        done = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "vlmconsole", "demo", "--headless", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=30,
            stdin=subprocess.DEVNULL,
        )
        server.close()
        assert done.returncode == 2
        assert done.stderr.strip().count("\n") == 0 and "cannot listen on" in done.stderr
        assert "Traceback" not in done.stderr

    asyncio.run(hold())
