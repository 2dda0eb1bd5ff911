"""The simulator's plain endpoints, its lifecycle and its background load."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import httpx
import pytest

from tests.sim.support import FAST, MODEL, metric, png, scrape, serving, user
from vlmconsole.sim import SimConfig, SimServer, run_in_thread


async def test_version_health_load_and_models(sim: tuple[SimServer, httpx.AsyncClient]) -> None:
    server, client = sim
    assert server.base_url.startswith("http://127.0.0.1:")
    assert (await client.get("/version")).json() == {"version": "0.32.0"}
    health = await client.get("/health")
    assert (health.status_code, health.content) == (200, b"")
    server.set_healthy(False)
    assert (await client.get("/health")).status_code == 503
    server.set_healthy(True)
    assert (await client.get("/health")).status_code == 200
    assert (await client.get("/load")).json() == {"server_load": 0}
    models = (await client.get("/v1/models")).json()
    assert models["object"] == "list"
    (card,) = models["data"]
    assert card["id"] == MODEL and card["object"] == "model" and card["owned_by"] == "vllm"
    assert card["max_model_len"] == 32768 and card["parent"] is None and card["root"]
    assert card["permission"][0]["object"] == "model_permission"


async def test_load_counts_the_requests_in_flight() -> None:
    async with serving(SimConfig(speed=5.0)) as (_server, client):
        body = {"model": MODEL, "messages": [user("Wait.", png(41))], "max_tokens": 64}
        pending = asyncio.create_task(client.post("/v1/chat/completions", json=body))
        loads = []
        while not pending.done() and 1 not in loads:
            loads.append((await client.get("/load")).json()["server_load"])
            await asyncio.sleep(0.005)
        assert 1 in loads
        assert (await pending).status_code == 200
        assert (await client.get("/load")).json() == {"server_load": 0}


def test_run_in_thread_serves_blocking_clients_and_stops() -> None:
    with run_in_thread(SimConfig(speed=FAST)) as server:
        url = server.base_url
        assert httpx.get(f"{url}/version").json() == {"version": "0.32.0"}
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{url}/version", timeout=2)


async def test_it_listens_on_loopback_only() -> None:
    server = SimServer(SimConfig())
    with pytest.raises(ValueError, match="loopback"):
        await server.start(host="0.0.0.0")


def test_a_cache_too_small_for_one_full_length_request_is_refused_as_vllm_does() -> None:
    with pytest.raises(ValueError, match="max_model_len"):
        SimConfig(num_blocks=10, block_size=128, max_model_len=32768)


async def test_background_load_moves_the_metrics_and_hits_the_prefix_cache() -> None:
    async with serving(SimConfig(speed=FAST, background_load=True)) as (_server, client):
        for _ in range(400):
            page = await scrape(client)
            if metric(page, "vllm:prefix_cache_hits_total") > 0:
                break
            await asyncio.sleep(0.01)
        assert metric(page, "vllm:prompt_tokens_total") > 0
        assert metric(page, "vllm:generation_tokens_total") > 0
        assert metric(page, "vllm:prefix_cache_hits_total") > 0
        assert metric(page, "vllm:mm_cache_queries_total") > 0


def test_the_simulator_never_imports_textual() -> None:
    code = (
        "import sys, vlmconsole.sim, vlmconsole.sim.sim_server, vlmconsole.sim.background; "
        "sys.exit('textual' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr
