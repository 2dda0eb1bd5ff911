"""Builds the console for tests: real sources on the simulator, a scripted observer, or
scripted sources (tests/app/scripted_sources.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from tests.app.scripted_sources import ScriptedClock, ScriptedSources
from vlmconsole.model.container import ContainerInfo
from vlmconsole.model.observation import Observation
from vlmconsole.packaged import sample_screenshots
from vlmconsole.sources.console_sources import MetricsFeed
from vlmconsole.sources.endpoint import parse_endpoint
from vlmconsole.sources.live_sources import LiveSources
from vlmconsole.sources.source_errors import ServerUnreachable
from vlmconsole.ui.app import VlmConsoleApp
from vlmconsole.ui.console_config import ConsoleConfig

ASSETS = sample_screenshots()


def console_for(
    url: str,
    session_dir: Path,
    observer: MetricsFeed | None = None,
    api_key: str | None = None,
    theme: str | None = None,
    images: Path | None = ASSETS,
    clock: Callable[[], float] | None = None,
    container: ContainerInfo | None = None,
    find_container: bool = False,
) -> VlmConsoleApp:
    """Returns the console on `url`, as `attach` builds it (half-cell previews); a given
    `observer` stands in for the server's /metrics."""
    from vlmconsole.settings import ApiKey

    endpoint = parse_endpoint(url)
    key = ApiKey(api_key) if api_key else None
    config = ConsoleConfig(
        url=endpoint.base_url,
        session_dir=session_dir,
        scrape_interval_s=0.2,
        theme=theme,
        preview="halfcell",
        max_tokens=16,
        container=container,
        find_container=find_container,
    )
    sources = LiveSources(endpoint, key, session_dir, "test", timeout_s=2.0, images_dir=images)
    if observer is not None:
        sources.metrics = observer
    if clock is None:
        return VlmConsoleApp(config, sources)
    return VlmConsoleApp(config, sources, clock)


async def until(pilot: Pilot[Any], check: Callable[[], bool], timeout_s: float = 15) -> None:
    """Waits (bounded) until `check()` holds, letting the app run."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "timed out waiting"
        await pilot.pause(0.05)


class ScriptedObserver:
    """Answers with given observations, or fails while `down` is set."""

    def __init__(self, observation: Observation) -> None:
        self.observation = observation
        self.down = False
        self.calls = 0

    async def observe(self) -> Observation:
        """Returns the observation, or raises ServerUnreachable while down."""
        self.calls += 1
        if self.down:
            raise ServerUnreachable("http://127.0.0.1:9", "connection refused")
        return self.observation

    def ready(self) -> Observation | None:
        """Nothing in hand before it is asked."""
        return None

    async def aclose(self) -> None:
        """Nothing to close."""


SESSION_NAME = "20261124-234418"
"""The session folder's name in scripted consoles (the run bar shows it)."""


def scripted_console(
    tmp_path: Path,
    sources: ScriptedSources | None = None,
    theme: str | None = None,
    clock: Callable[[], float] | None = None,
) -> tuple[VlmConsoleApp, ScriptedSources]:
    """Returns the console on scripted sources (no network, no Docker) and those sources:
    attached to the scripted vLLM container, with the scripted screenshot folder, half-cell
    previews and a still clock unless one is given."""
    session_dir = tmp_path / SESSION_NAME
    sources = sources or ScriptedSources(session_dir)
    config = ConsoleConfig(
        url=sources.info.url,
        session_dir=session_dir,
        scrape_interval_s=0.2,
        theme=theme,
        preview="halfcell",
        max_tokens=16,
        container=sources.container,
    )
    return VlmConsoleApp(config, sources, clock or ScriptedClock()), sources
