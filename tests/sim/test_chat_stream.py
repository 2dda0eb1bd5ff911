"""A streamed screenshot turn, as the openai SDK reads it, shaped as vLLM 0.32 sends it."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import httpx
from openai import OpenAI

from tests.sim.support import (
    FAST,
    MODEL,
    SYSTEM,
    chat,
    image_part,
    metric,
    png,
    scrape,
    serving,
    user,
)
from vlmconsole.sim import SimConfig, SimServer, run_in_thread
from vlmconsole.sources.synthetic_images import synthetic_screenshot


def test_streamed_turn_role_first_then_content_then_usage_with_cached_tokens() -> None:
    shot = synthetic_screenshot(1280, 720, seed=20261124)
    url = "data:image/png;base64," + base64.b64encode(shot).decode()
    messages: Any = [
        {"role": "system", "content": "You describe screenshots."},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "What is on this screen?"},
                {"type": "image_url", "image_url": {"url": url}},
            ],
        },
    ]
    with run_in_thread(SimConfig(speed=FAST)) as server:
        client = OpenAI(base_url=f"{server.base_url}/v1", api_key="unused", max_retries=0)
        runs = []
        for _ in range(2):
            stream = client.chat.completions.create(
                model=MODEL,
                messages=messages,
                max_tokens=16,
                stream=True,
                stream_options={"include_usage": True},
            )
            runs.append(list(stream))
    for chunks in runs:
        first, *content, last = chunks
        assert first.choices[0].delta.role == "assistant"
        assert first.choices[0].delta.content == ""
        assert len(content) == 16, "one chunk a token"
        assert all(c.choices[0].delta.content for c in content)
        assert [c.choices[0].finish_reason for c in content][-1] == "length"
        assert last.choices == []
        assert last.usage is not None
        assert last.usage.completion_tokens == 16
        assert last.usage.total_tokens == last.usage.prompt_tokens + 16
    cold, warm = (chunks[-1].usage for chunks in runs)
    assert cold is not None and warm is not None
    assert cold.prompt_tokens == warm.prompt_tokens == 890  # the real server: 889
    assert cold.prompt_tokens_details is not None and warm.prompt_tokens_details is not None
    assert cold.prompt_tokens_details.cached_tokens == 0
    assert warm.prompt_tokens_details.cached_tokens == 768, "6 full blocks; never the last token"
    extra = cold.prompt_tokens_details.model_extra or {}
    assert extra["multimodal_tokens"] == {"image": 863}
    assert extra["created_cache_tokens"] == 768


async def test_raw_stream_lines_match_vllms(sim: tuple[SimServer, httpx.AsyncClient]) -> None:
    _server, client = sim
    body = {
        "model": MODEL,
        "messages": [SYSTEM, user("What is on this screen?", png(3))],
        "max_tokens": 3,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    async with client.stream("POST", "/v1/chat/completions", json=body) as response:
        assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
        lines = [line async for line in response.aiter_lines()]
    events = [line for line in lines if line]
    assert all(e.startswith("data: ") for e in events)
    assert events[-1] == "data: [DONE]"
    chunks = [json.loads(e[6:]) for e in events[:-1]]
    ids = {c["id"] for c in chunks}
    assert len(ids) == 1 and ids.pop().startswith("chatcmpl-")
    assert chunks[0]["choices"][0] == {
        "index": 0,
        "delta": {"role": "assistant", "content": ""},
        "logprobs": None,
        "finish_reason": None,
    }
    assert chunks[-2]["choices"][0]["finish_reason"] == "length"
    assert chunks[-2]["choices"][0]["stop_reason"] is None
    usage = chunks[-1]
    assert set(usage) == {"id", "object", "created", "model", "choices", "usage",
                          "system_fingerprint"}  # fmt: skip
    assert usage["system_fingerprint"].startswith("vllm-0.32.0-")
    assert usage["usage"] == {
        "prompt_tokens": 890,
        "total_tokens": 893,
        "completion_tokens": 3,
        "prompt_tokens_details": {
            "cached_tokens": 0,
            "created_cache_tokens": 768,
            "multimodal_tokens": {"image": 863},
        },
    }


async def test_not_streamed_completion_carries_the_text_and_usage(
    sim: tuple[SimServer, httpx.AsyncClient],
) -> None:
    _server, client = sim
    body = await chat(client, [user("Describe.", png(4))], max_tokens=5)
    assert body["object"] == "chat.completion"
    message = body["choices"][0]["message"]
    assert message["role"] == "assistant" and len(message["content"].split()) >= 4
    assert body["choices"][0]["finish_reason"] == "length"
    assert body["usage"]["completion_tokens"] == 5


async def test_without_ignore_eos_the_reply_stops_on_its_own(
    sim: tuple[SimServer, httpx.AsyncClient],
) -> None:
    _server, client = sim
    natural = await chat(client, [user("Hi.")], max_tokens=1000)
    assert natural["choices"][0]["finish_reason"] == "stop"
    assert natural["usage"]["completion_tokens"] < 1000
    forced = await chat(client, [user("Hi.")], max_tokens=300, ignore_eos=True)
    assert forced["choices"][0]["finish_reason"] == "length"
    assert forced["usage"]["completion_tokens"] == 300


async def test_uuid_names_an_image_for_the_caches(
    sim: tuple[SimServer, httpx.AsyncClient],
) -> None:
    _server, client = sim

    def turn(data: bytes, uuid: str) -> list[dict[str, Any]]:
        return [SYSTEM, {"role": "user", "content": [image_part(data, uuid=uuid)]}]

    await chat(client, turn(png(5), "screen-a"))
    same_uuid = await chat(client, turn(png(6), "screen-a"))
    other_uuid = await chat(client, turn(png(5), "screen-b"))
    assert same_uuid["usage"]["prompt_tokens_details"]["cached_tokens"] > 0
    assert other_uuid["usage"]["prompt_tokens_details"]["cached_tokens"] == 0


async def test_continuous_usage_stats_put_running_usage_on_every_chunk(
    sim: tuple[SimServer, httpx.AsyncClient],
) -> None:
    _server, client = sim
    body = {
        "model": MODEL,
        "messages": [user("Count.")],
        "max_tokens": 4,
        "stream": True,
        "stream_options": {"include_usage": True, "continuous_usage_stats": True},
    }
    async with client.stream("POST", "/v1/chat/completions", json=body) as response:
        lines = [line async for line in response.aiter_lines() if line.startswith("data: {")]
    chunks = [json.loads(line[6:]) for line in lines]
    running = [c["usage"]["completion_tokens"] for c in chunks[1:-1]]
    assert running == [1, 2, 3, 4]


async def test_a_client_that_hangs_up_aborts_its_request() -> None:
    async with serving(SimConfig(speed=50.0)) as (server, client):
        body = {
            "model": MODEL,
            "messages": [user("Talk.", png(51))],
            "max_tokens": 2000,
            "ignore_eos": True,
            "stream": True,
        }
        async with client.stream("POST", "/v1/chat/completions", json=body) as response:
            async for line in response.aiter_lines():
                if '"content":"' in line and '"role"' not in line:
                    break  # hang up after the first token
        for _ in range(200):
            page = await scrape(client)
            if metric(page, "vllm:request_success_total", finished_reason="abort") == 1:
                break
            await asyncio.sleep(0.01)
        assert metric(page, "vllm:request_success_total", finished_reason="abort") == 1
        assert metric(page, "vllm:kv_cache_usage_perc") == 0.0
        assert not server.engine.scheduler.has_work()
