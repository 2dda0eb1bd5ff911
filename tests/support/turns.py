"""Sends a growing multi-turn screenshot conversation with the openai SDK, for e2e tests."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from openai import OpenAI

from tests.support.real_vllm import RealVllmServer
from vlmconsole.sources.synthetic_images import synthetic_screenshot


@dataclass(frozen=True)
class SentTurn:
    """What the server reported for one turn."""

    prompt_tokens: int
    completion_tokens: int
    cached_tokens: int


def send_growing_conversation(
    server: RealVllmServer, turns: int, seed: int, max_tokens: int = 8
) -> list[SentTurn]:
    """Sends `turns` turns, each adding one 1280x720 screenshot; returns their usages."""
    client = OpenAI(base_url=f"{server.base_url}/v1", api_key=server.api_key, max_retries=0)
    messages: list[Any] = [{"role": "system", "content": "You watch a screen."}]
    sent: list[SentTurn] = []
    for turn in range(turns):
        png = synthetic_screenshot(1280, 720, seed=seed * 1000 + turn)
        url = "data:image/png;base64," + base64.b64encode(png).decode()
        messages.append(
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": f"Screen {turn + 1}: what changed?"},
                    {"type": "image_url", "image_url": {"url": url}},
                ],
            }
        )
        stream = client.chat.completions.create(
            model=server.model,
            messages=messages,
            max_tokens=max_tokens,
            stream=True,
            stream_options={"include_usage": True},
        )
        reply = ""
        usage = None
        for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                reply += chunk.choices[0].delta.content
            if chunk.usage is not None:
                usage = chunk.usage
        assert usage is not None
        details = usage.prompt_tokens_details
        cached = details.cached_tokens if details and details.cached_tokens else 0
        sent.append(SentTurn(usage.prompt_tokens, usage.completion_tokens, cached))
        messages.append({"role": "assistant", "content": reply})
    return sent
