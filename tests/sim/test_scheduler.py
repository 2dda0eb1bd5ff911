"""The scheduler under a KV cache too small for the load: requests wait, get preempted, finish."""

from __future__ import annotations

import asyncio

import httpx

from tests.sim.support import FAST, MODEL, metric, png, scrape, serving, user
from vlmconsole.sim import SimConfig
from vlmconsole.sim.scheduler import Scheduler
from vlmconsole.sim.sequence import EngineRequest, Status
from vlmconsole.sim.template import Prompt


def request(n: int, prompt_tokens: int, max_tokens: int) -> EngineRequest:
    """Returns an engine request with a distinct text-only prompt."""
    ids = tuple(1000 + n * 1000 + i for i in range(prompt_tokens))
    return EngineRequest(f"r{n}", Prompt(ids), max_tokens, max_tokens, None, n, 0.0)


def test_a_full_cache_preempts_the_newest_request_and_every_request_still_finishes() -> None:
    config = SimConfig(block_size=16, num_blocks=8, max_model_len=128, max_num_batched_tokens=64)
    scheduler = Scheduler(config)
    seqs = [scheduler.add(request(n, 30, 40), 0.0) for n in range(3)]
    preemptions, most_waiting, most_usage, step = 0, 0, 0.0, 0
    while scheduler.has_work():
        step += 1
        assert step < 10_000, "the scheduler is stuck"
        plan = scheduler.schedule(float(step))
        preemptions += len(plan.preempted)
        assert len(scheduler.running) <= config.max_num_seqs
        most_waiting = max(most_waiting, len(scheduler.waiting))
        most_usage = max(most_usage, scheduler.cache.usage)
        scheduler.complete(plan, float(step) + 0.5)
    assert preemptions > 0
    assert most_waiting >= 1
    assert most_usage == 1.0
    assert all(s.status is Status.FINISHED and s.finish_reason == "length" for s in seqs)
    assert all(len(s.output) == 40 for s in seqs)
    assert sum(s.num_preemptions for s in seqs) == preemptions
    assert scheduler.cache.usage == 0.0


def test_max_num_seqs_caps_the_running_requests() -> None:
    scheduler = Scheduler(SimConfig(max_num_seqs=2))
    for n in range(5):
        scheduler.add(request(n, 10, 5), 0.0)
    plan = scheduler.schedule(0.0)
    assert len(plan.admitted) == 2
    assert (len(scheduler.running), len(scheduler.waiting)) == (2, 3)


async def test_over_http_a_tiny_cache_makes_requests_wait_and_preempts_yet_all_finish() -> None:
    # The real load capture's server: 44 blocks of 128, max_model_len 5504.
    config = SimConfig(speed=FAST, num_blocks=44, max_model_len=5504)
    async with serving(config) as (server, client):
        seen_waiting: list[float] = []
        done = asyncio.Event()

        async def watch() -> None:
            while not done.is_set():
                page = await scrape(client)
                seen_waiting.append(metric(page, "vllm:num_requests_waiting"))
                await asyncio.sleep(0.002)

        async def one(n: int) -> httpx.Response:
            images = [png(100 + 3 * n + i) for i in range(3)]
            body = {
                "model": MODEL,
                "messages": [user(f"Request {n}.", *images)],
                "max_tokens": 256,
                "ignore_eos": True,
            }
            return await client.post("/v1/chat/completions", json=body)

        watcher = asyncio.create_task(watch())
        responses = await asyncio.gather(*(one(n) for n in range(6)))
        done.set()
        await watcher
        assert [r.status_code for r in responses] == [200] * 6
        assert all(r.json()["usage"]["completion_tokens"] == 256 for r in responses)
        page = await scrape(client)
        assert metric(page, "vllm:num_preemptions_total") > 0
        assert metric(page, "vllm:request_num_preemptions_sum") > 0
        assert metric(page, "vllm:request_success_total", finished_reason="length") == 6
        assert max(seen_waiting) >= 1
        assert metric(page, "vllm:num_requests_waiting") == 0
        assert metric(page, "vllm:num_requests_running") == 0
        assert metric(page, "vllm:kv_cache_usage_perc") == 0.0
        assert not server.engine.scheduler.has_work()
