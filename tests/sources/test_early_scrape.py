"""The first scrape, run in a child process (or a thread) while the console loads, against
the demo server."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator

import pytest

from vlmconsole.settings import ApiKey
from vlmconsole.sim.config import SimConfig
from vlmconsole.sim.sim_server import SimServer, run_in_thread
from vlmconsole.sources import early_scrape
from vlmconsole.sources.early_scrape import ScrapeAhead
from vlmconsole.sources.endpoint import parse_endpoint
from vlmconsole.sources.first_scrape_child import SCRAPE_FAILED, request_bytes
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


def in_a_child(url: str, api_key: str | None = None) -> ScrapeAhead:
    endpoint = parse_endpoint(url)
    key = ApiKey(api_key) if api_key else None
    request = request_bytes(endpoint.base_url, key, 2.0)
    return ScrapeAhead(
        Observer(endpoint, key, 2.0), lambda: Observer(endpoint, key, 2.0), request, 20.0
    )


def test_a_child_process_scrapes_first_with_the_key_kept_off_its_command_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def not_here(*_: object) -> None:
        raise AssertionError("scraped in the console's process, not in the child")

    monkeypatch.setattr(ScrapeAhead, "_scrape_first", not_here)
    with run_in_thread(SimConfig(speed=50, api_key="sk-first-scrape")) as server:
        feed = in_a_child(server.base_url, "sk-first-scrape")
        child = feed._child
        assert child is not None, "plain http: a child process scrapes"
        assert "sk-first" not in str(child.args), "the key goes on stdin"
        assert feed.wait_s(20.0)
        first = feed.ready()
        assert child.returncode == 0
        assert first is not None and first.info.models, "the key reached /v1/models"
        assert first.snapshot.has("kv_cache_usage"), "the parsed page, read back from the child"
        asyncio.run(feed.aclose())


def test_a_child_that_cannot_reach_the_server_hands_over_to_the_first_observe() -> None:
    feed = in_a_child(f"http://127.0.0.1:{free_port()}")
    assert feed.wait_s(20.0)
    assert feed._child is not None and feed._child.returncode == SCRAPE_FAILED
    assert feed.ready() is None

    async def first() -> None:
        try:  # the feed's own scrape, in the console's words
            with pytest.raises(ServerUnreachable, match="refused"):
                await feed.observe()
        finally:
            await feed.aclose()

    asyncio.run(first())


def test_a_child_that_does_not_run_leaves_the_scrape_to_a_thread(
    sim: SimServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(early_scrape, "MODULE", "vlmconsole.no_such_module")
    feed = in_a_child(sim.base_url)
    assert feed.wait_s(20.0)
    assert feed._child is not None and feed._child.returncode not in (0, SCRAPE_FAILED)
    first = feed.ready()
    assert first is not None and first.snapshot.has("kv_cache_usage"), "scraped in the thread"
    asyncio.run(feed.aclose())
