"""Helpers for the simulator's tests: images, chat messages, reading /metrics."""

from __future__ import annotations

import base64
import functools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from vlmconsole.sim import SimConfig, SimServer
from vlmconsole.sources.synthetic_images import synthetic_screenshot

MODEL = "vlmconsole-demo-vlm"
FAST = 1000.0
"""The speed the tests run the simulator at."""


@functools.cache
def png(seed: int, width: int = 320, height: int = 180) -> bytes:
    """Returns a synthetic screenshot; 320x180 tiles like 1280x720 (863 tokens)."""
    return synthetic_screenshot(width, height, seed=seed)


def image_part(data: bytes, uuid: str | None = None) -> dict[str, Any]:
    """Returns an `image_url` content part carrying `data` as a base64 data URL."""
    url = "data:image/png;base64," + base64.b64encode(data).decode()
    part: dict[str, Any] = {"type": "image_url", "image_url": {"url": url}}
    if uuid is not None:
        part["uuid"] = uuid
    return part


def user(text: str, *images: bytes) -> dict[str, Any]:
    """Returns a user message with text and images."""
    parts: list[dict[str, Any]] = [{"type": "text", "text": text}]
    return {"role": "user", "content": parts + [image_part(i) for i in images]}


SYSTEM: dict[str, Any] = {"role": "system", "content": "You describe screenshots."}


@asynccontextmanager
async def serving(config: SimConfig) -> AsyncIterator[tuple[SimServer, httpx.AsyncClient]]:
    """Starts a simulator on the test's event loop; yields it and a client for it."""
    server = SimServer(config)
    await server.start()
    try:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as client:
            yield server, client
    finally:
        await server.stop()


async def chat(
    client: httpx.AsyncClient, messages: list[dict[str, Any]], **extra: Any
) -> dict[str, Any]:
    """Returns the body of a successful non-streamed chat completion."""
    body = {"model": MODEL, "messages": messages, "max_tokens": 8, **extra}
    response = await client.post("/v1/chat/completions", json=body)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


@functools.lru_cache(maxsize=16)
def _samples(page: str) -> tuple[tuple[str, dict[str, str], float], ...]:
    return tuple(
        (s.name, s.labels, s.value)
        for family in text_string_to_metric_families(page)
        for s in family.samples
    )


def metric(page: str, sample: str, **labels: str) -> float:
    """Returns the sum of one sample's series on a /metrics page, filtered by labels."""
    return sum(
        value
        for name, found, value in _samples(page)
        if name == sample and all(found.get(k) == v for k, v in labels.items())
    )


async def scrape(client: httpx.AsyncClient) -> str:
    """Returns the simulator's /metrics page."""
    response = await client.get("/metrics")
    assert response.status_code == 200
    return response.text
