"""Counters rise by exactly each request's usage, as the real server's do."""

from __future__ import annotations

import httpx

from tests.sim.support import SYSTEM, chat, metric, png, scrape, user
from vlmconsole.sim import SimServer

COUNTERS = (
    "vllm:prompt_tokens_total",
    "vllm:generation_tokens_total",
    "vllm:prompt_tokens_cached_total",
    "vllm:prefix_cache_queries_total",
    "vllm:prefix_cache_hits_total",
    "vllm:mm_cache_queries_total",
    "vllm:mm_cache_hits_total",
    "vllm:time_to_first_token_seconds_count",
    "vllm:inter_token_latency_seconds_count",
    "vllm:request_prompt_tokens_sum",
    "vllm:request_prefill_kv_computed_tokens_sum",
    "vllm:iteration_tokens_total_sum",
)


async def deltas(client: httpx.AsyncClient, before: str) -> dict[str, float]:
    """Returns how much each counter rose since the page `before`."""
    after = await scrape(client)
    return {name: metric(after, name) - metric(before, name) for name in COUNTERS}


async def test_each_request_moves_the_counters_by_its_usage(
    sim: tuple[SimServer, httpx.AsyncClient],
) -> None:
    _server, client = sim
    messages = [SYSTEM, user("What is on this screen?", png(21), png(22))]
    for attempt in ("cold", "warm"):
        before = await scrape(client)
        body = await chat(client, messages, max_tokens=12)
        usage = body["usage"]
        cached = usage["prompt_tokens_details"]["cached_tokens"]
        rose = await deltas(client, before)
        assert rose["vllm:prompt_tokens_total"] == usage["prompt_tokens"], attempt
        assert rose["vllm:generation_tokens_total"] == usage["completion_tokens"] == 12
        assert rose["vllm:prompt_tokens_cached_total"] == cached
        assert rose["vllm:prefix_cache_queries_total"] == usage["prompt_tokens"]
        assert rose["vllm:prefix_cache_hits_total"] == cached
        assert rose["vllm:mm_cache_queries_total"] == 2
        assert rose["vllm:mm_cache_hits_total"] == (0 if attempt == "cold" else 2)
        assert rose["vllm:time_to_first_token_seconds_count"] == 1
        assert rose["vllm:inter_token_latency_seconds_count"] == 11
        assert rose["vllm:request_prompt_tokens_sum"] == usage["prompt_tokens"]
        assert (
            rose["vllm:request_prefill_kv_computed_tokens_sum"] == usage["prompt_tokens"] - cached
        )
        assert rose["vllm:iteration_tokens_total_sum"] == usage["prompt_tokens"] - cached + 12
        assert (cached == 0) is (attempt == "cold")
    page = await scrape(client)
    assert metric(page, "vllm:request_success_total", finished_reason="length") == 2
    assert metric(page, "vllm:e2e_request_latency_seconds_count") == 2
    assert metric(page, "vllm:num_requests_running") == 0
    assert metric(page, "vllm:kv_cache_usage_perc") == 0.0
    assert metric(page, "vllm:engine_sleep_state", sleep_state="awake") == 1
