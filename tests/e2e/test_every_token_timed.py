"""Every token timed on the real vLLM test server: tokens that decode to no text still
set the TTFT and count in the decode rate."""

from __future__ import annotations

import asyncio
import json
import statistics
import time

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.real_vllm import RealVllmServer
from vlmconsole.model.turn_measurement import ChatOutcome
from vlmconsole.model.turn_timing import TTFT_BY_USAGE, decode_rate, ttft_s
from vlmconsole.settings import ApiKey
from vlmconsole.sources.chat import ChatSource
from vlmconsole.sources.endpoint import parse_endpoint

pytestmark = pytest.mark.e2e

TOKENS = 8
RUNS = 9
"""Alternating pairs; the medians hold while up to four turns of either client stall
(seen: two of five at 0.3 s on a busy 2-core machine, from both clients alike)."""
NO_TEXT = 2
"""tiny-idefics3's <fake_token_around_image>: a special token, shown as no text."""
SILENT = {"logit_bias": {str(NO_TEXT): 100}, "skip_special_tokens": True}
"""Every token is the special one: the reply streams a chunk a token, each with no text."""


def decode_sums(base_url: str) -> tuple[float, float]:
    """Returns vllm:request_decode_time_seconds' (sum, count) from /metrics."""
    text = httpx.get(f"{base_url}/metrics", timeout=10).text
    found = {"sum": 0.0, "count": 0.0}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            for part in found:
                if sample.name == f"vllm:request_decode_time_seconds_{part}":
                    found[part] += sample.value
    return found["sum"], found["count"]


def messages() -> list[dict[str, object]]:
    return [{"role": "user", "content": "Say something."}]


def raw_ttft_s(server: RealVllmServer) -> float:
    """A minimal raw-httpx client's TTFT: to the first chunk whose usage counts a token."""
    body = {
        "model": server.model,
        "messages": messages(),
        "max_tokens": TOKENS,
        "stream": True,
        "stream_options": {"include_usage": True, "continuous_usage_stats": True},
        **SILENT,
    }
    headers = {"Authorization": f"Bearer {server.api_key}"}
    first: float | None = None
    payload = json.dumps(body).encode()
    with httpx.Client(verify=False, timeout=60) as client:  # plain http: no TLS to build
        sent = time.perf_counter()
        with client.stream(
            "POST",
            f"{server.base_url}/v1/chat/completions",
            content=payload,
            headers={**headers, "Content-Type": "application/json"},
        ) as response:
            for line in response.iter_lines():  # to the end: an abandoned stream is aborted
                at = time.perf_counter()  # by the server while the next turn runs
                if first is None and line.startswith("data:") and "[DONE]" not in line:
                    chunk = json.loads(line[5:])
                    usage = chunk.get("usage") or {}
                    if chunk.get("choices") and usage.get("completion_tokens"):
                        first = at - sent
    assert first is not None, "no token chunk came"
    return first


def test_tokens_without_text_time_the_turn(vllm_server: RealVllmServer) -> None:
    key = ApiKey(vllm_server.api_key) if vllm_server.api_key else None
    ours: list[float] = []
    raw: list[float] = []
    rates: list[tuple[float, float]] = []

    async def turns() -> None:
        # one client for every turn, as the console keeps one; its first request (the
        # SDK building its parts) and the raw client's first connection are not timed
        source = ChatSource(parse_endpoint(vllm_server.base_url), key)
        try:
            await source.stream(vllm_server.model, messages(), TOKENS, extra_body=SILENT)
            raw_ttft_s(vllm_server)
            for _ in range(RUNS):  # alternating, turn for turn
                before = decode_sums(vllm_server.base_url)
                # vLLM's API server renders /metrics on the loop that streams the tokens:
                # a reply that starts right after the page can arrive in one burst (seen
                # here: 8 tokens within 0.2 ms, 40,000 tok/s by the client, 290 by the
                # server); the console's own decode rate prefers the server's for this
                await asyncio.sleep(0.5)
                outcome = await source.stream(
                    vllm_server.model, messages(), TOKENS, extra_body=SILENT
                )
                check(outcome, before)
                await asyncio.sleep(0.5)  # after the scrapes above, as before ours
                raw.append(raw_ttft_s(vllm_server))
        finally:
            await source.aclose()

    def check(outcome: ChatOutcome, before: tuple[float, float]) -> None:
        assert outcome.error is None and outcome.reply == "", "no token rendered any text"
        assert outcome.usage is not None and outcome.usage.completion_tokens == TOKENS
        times = outcome.times
        assert times.ttft_source == TTFT_BY_USAGE and times.first_text_at_s is None
        assert sum(tokens for _, tokens in times.token_chunks) == TOKENS
        first = ttft_s(times)
        rate = decode_rate(times, TOKENS)
        assert first is not None and rate is not None
        ours.append(first)
        deadline = time.monotonic() + 10
        after = decode_sums(vllm_server.base_url)
        while after[1] <= before[1] and time.monotonic() < deadline:
            time.sleep(0.05)
            after = decode_sums(vllm_server.base_url)
        assert after[1] == before[1] + 1, "the server counted this one request"
        rates.append((rate, (TOKENS - 1) / (after[0] - before[0])))

    asyncio.run(turns())
    assert abs(statistics.median(ours) - statistics.median(raw)) < 0.020, (ours, raw)
    # each request's client rate against the server's own for it (the medians of the two
    # lists apart could come from different requests)
    assert statistics.median(c / s for c, s in rates) == pytest.approx(1.0, abs=0.10), rates
