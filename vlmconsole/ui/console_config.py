"""What `attach` and `demo` give the console: where, how often, the run's defaults, and
the sources it reads (an observer, and a factory for the turn engine)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from vlmconsole.model.container import ContainerInfo
from vlmconsole.model.run_settings import RunSettings
from vlmconsole.model.session import WindowPolicy
from vlmconsole.sources.observer import Observation

if TYPE_CHECKING:
    from vlmconsole.sources.turn_engine import TurnEngine


class ObserverLike(Protocol):
    """What the console needs from an observer (sources.observer.Observer, or a test's)."""

    async def observe(self) -> Observation: ...

    async def aclose(self) -> None: ...


EngineFactory = Callable[[RunSettings], "TurnEngine"]
"""Makes the turn engine once the model is known (sources, or a test's)."""


@dataclass(frozen=True, slots=True)
class ConsoleConfig:
    """The console's start-up settings."""

    url: str
    session_dir: Path
    scrape_interval_s: float = 1.0
    model: str | None = None
    """The model to chat with; the server's first when None."""
    policy: WindowPolicy = field(default_factory=WindowPolicy)
    transport: str = "base64"
    max_tokens: int = 64
    images_dir: Path | None = None
    """Where `n` takes the next screenshot from, and `w` watches."""
    theme: str | None = None
    preview: str = "auto"
    """Image previews: "auto" (resolved before the app runs: ui/terminal_probe.py),
    "tgp", "sixel", "halfcell" (tests) or "none"."""
    container: ContainerInfo | None = None
    """The container behind the server, when known (its state and log are followed)."""
    find_container: bool = False
    """Look for the local container serving the URL's port once the console is up."""
    text: str = "What changed on this screen?"
    """Words sent with a screenshot pushed without words."""
