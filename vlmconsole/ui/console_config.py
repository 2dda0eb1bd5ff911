"""What `attach` and `demo` give the console besides its sources: where, how often,
and the run's defaults."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from vlmconsole.model.window_policy import WindowPolicy

if TYPE_CHECKING:
    from vlmconsole.model.container import ContainerInfo


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
