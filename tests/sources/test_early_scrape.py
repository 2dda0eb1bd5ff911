"""The first scrape, run in a thread while the console loads, against the demo server."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator

import pytest

from vlmconsole.sim.config import SimConfig
from vlmconsole.sim.sim_server import SimServer, run_in_thread
from vlmconsole.sources.early_scrape import ScrapeAhead
from vlmconsole.sources.endpoint import parse_endpoint
from vlmconsole.sources.observer import Observer
from vlmconsole.sources.source_errors import ServerUnreachable


@pytest.fixture(scope="module")
def sim() -> Iterator[SimServer]:
    with run_in_thread(SimConfig(speed=50)) as server:
        yield server


def early(url: str) -> ScrapeAhead:
    endpoint = parse_endpoint(url)
    return ScrapeAhead(Observer(endpoint, None, 2.0), lambda: Observer(endpoint, None, 2.0))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port  # nothing listens there once the probe is closed


def test_the_early_result_is_in_hand_once_then_the_feed_scrapes(sim: SimServer) -> None:
    feed = early(sim.base_url)
    assert feed.wait_s(10.0)
    first = feed.ready()
    assert first is not None and first.snapshot.has("kv_cache_usage"), "the parsed page"
    assert feed.ready() is None, "handed over once"

    async def later() -> None:
        try:
            observed = await feed.observe()  # not the early one again: a new scrape
            assert observed.snapshot is not first.snapshot
        finally:
            await feed.aclose()

    asyncio.run(later())


def test_an_early_scrape_that_failed_is_raised_by_the_first_observe() -> None:
    feed = early(f"http://127.0.0.1:{free_port()}")
    assert feed.wait_s(10.0)
    assert feed.ready() is None, "a failure is not in hand"

    async def first() -> None:
        try:
            with pytest.raises(ServerUnreachable, match="refused"):
                await feed.observe()
        finally:
            await feed.aclose()

    asyncio.run(first())
