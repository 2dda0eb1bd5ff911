"""Builds the console for tests: real sources on the simulator, or a scripted observer."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from textual.pilot import Pilot

from vlmconsole.model.container import ContainerInfo
from vlmconsole.model.run_settings import RunSettings
from vlmconsole.packaged import sample_screenshots
from vlmconsole.sources.endpoint import parse_endpoint
from vlmconsole.sources.image_transport import make_transport
from vlmconsole.sources.journal import Journal
from vlmconsole.sources.observer import Observation, Observer
from vlmconsole.sources.source_errors import ServerUnreachable
from vlmconsole.sources.turn_engine import RunConfig, TurnEngine
from vlmconsole.ui.app import VlmConsoleApp
from vlmconsole.ui.console_config import ConsoleConfig

ASSETS = sample_screenshots()


def console_for(
    url: str,
    session_dir: Path,
    observer: object | None = None,
    api_key: str | None = None,
    theme: str | None = None,
    images: Path | None = ASSETS,
    clock: Callable[[], float] | None = None,
    container: ContainerInfo | None = None,
    find_container: bool = False,
) -> VlmConsoleApp:
    """Returns the console on `url`, as `attach` builds it (half-cell previews)."""
    from vlmconsole.settings import ApiKey

    endpoint = parse_endpoint(url)
    key = ApiKey(api_key) if api_key else None
    config = ConsoleConfig(
        url=endpoint.base_url,
        session_dir=session_dir,
        scrape_interval_s=0.2,
        images_dir=images,
        theme=theme,
        preview="halfcell",
        max_tokens=16,
        container=container,
        find_container=find_container,
    )

    def make_engine(run: RunSettings) -> TurnEngine:
        return TurnEngine(
            endpoint,
            key,
            RunConfig("test", run),
            make_transport(run.transport, session_dir),
            Journal(session_dir / "journal.jsonl"),
        )

    chosen = observer if observer is not None else Observer(endpoint, key, 2.0)
    if clock is None:
        return VlmConsoleApp(config, chosen, make_engine)  # type: ignore[arg-type]
    return VlmConsoleApp(config, chosen, make_engine, clock)  # type: ignore[arg-type]


async def until(pilot: Pilot[None], check: Callable[[], bool], timeout_s: float = 15) -> None:
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

    async def aclose(self) -> None:
        """Nothing to close."""
