"""What the console reads and drives, as interfaces: the one door from the UI to sources.

The console's screens and widgets import only this module of `vlmconsole.sources`
(an import-linter contract). `attach` and `demo` hand in `LiveSources`
(sources/live_sources.py); tests and replays hand in their own. Calls marked
"blocks" are made from thread workers, never on the event loop.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from vlmconsole.model.turn_status import FAILED
from vlmconsole.sources.source_errors import MetricsUnusable, ServerUnreachable, SourceError

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage

    from vlmconsole.model.container import ContainerInfo, ContainerStatus
    from vlmconsole.model.fleet_rows import FleetReading
    from vlmconsole.model.launch_config import LaunchConfig
    from vlmconsole.model.observation import Observation
    from vlmconsole.model.run_settings import RunSettings
    from vlmconsole.model.turn_record import TurnRecord
    from vlmconsole.model.window_policy import WindowPolicy
    from vlmconsole.sources.image_transport import ImageTransport
    from vlmconsole.sources.screenshots import ImageAsset

__all__ = [
    "ChatEngine",
    "ImageAsset",
    "ConsoleSources",
    "ContainerWatch",
    "FleetFeed",
    "LogStream",
    "MetricsFeed",
    "MetricsUnusable",
    "ScreenshotFolder",
    "ServerUnreachable",
    "SourceError",
]


class MetricsFeed(Protocol):
    """One server's identity, health and /metrics, a tick at a time."""

    async def observe(self) -> Observation:
        """Returns what the server says now; raises SourceError (MetricsUnusable when it
        answers and serves models but its /metrics cannot be used)."""
        ...

    def ready(self) -> Observation | None:
        """Returns an observation already in hand, without waiting (the early scrape,
        when it finished while the console loaded: the first frame can show it); else
        None, and `observe()` is asked as usual."""
        ...

    async def aclose(self) -> None:
        """Closes its connections."""
        ...


class ChatEngine(Protocol):
    """The turns of one run: each sent, measured and journaled (sources.turn_engine)."""

    turns: int

    @property
    def in_flight(self) -> bool:
        """Returns True while a turn's answer is not yet in."""
        ...

    async def send(
        self,
        text: str,
        images: list[ImageAsset],
        on_text: Callable[[str], None] | None = None,
    ) -> TurnRecord:
        """Sends one turn; returns its record, already on disk (failures are records)."""
        ...

    def abort(self, reason: str, status: str = FAILED) -> bool:
        """Ends the turn in flight; returns False when there was none."""
        ...

    def record_failure(self, text: str, error: str) -> TurnRecord:
        """Journals a turn that could not be sent (an unreadable image)."""
        ...

    def new_conversation(self) -> None:
        """Starts over from the system prompt alone."""
        ...

    def configure(
        self,
        model: str | None = None,
        policy: WindowPolicy | None = None,
        max_tokens: int | None = None,
    ) -> None:
        """Changes what the next turns use."""
        ...

    async def swap_transport(self, transport: ImageTransport) -> None:
        """Sends images another way from the next turn on."""
        ...

    async def aclose(self) -> None:
        """Closes its connections (the journal stays with the sources)."""
        ...


class LogStream(Protocol):
    """A container's log lines as they are written; `close()` from any thread ends it."""

    def __iter__(self) -> Iterator[str]: ...

    def close(self) -> None: ...


class ContainerWatch(Protocol):
    """The container behind the server (sources.container_watcher)."""

    def check(self) -> ContainerStatus:
        """Returns the container as it is now and what happened to it. Blocks."""
        ...

    def follow_logs(self, info: ContainerInfo, tail: int) -> LogStream:
        """Opens its log stream. Blocks."""
        ...

    def close(self) -> None: ...


class ScreenshotFolder(Protocol):
    """The images folder behind `n` and `w` (sources.image_folder)."""

    @property
    def folder(self) -> Path:
        """The folder itself."""
        ...

    def next_image(self) -> Path | None:
        """Returns the next image in name order. Blocks (lists the folder)."""
        ...

    def new_images(self) -> list[Path]:
        """Returns the images that appeared since the last call. Blocks."""
        ...


class FleetFeed(Protocol):
    """Every vLLM instance one Prometheus scrapes, a refresh at a time (sources.fleet_source)."""

    async def read(self) -> FleetReading:
        """Returns the fleet now; raises SourceError when Prometheus fails us."""
        ...

    async def aclose(self) -> None:
        """Closes its connections."""
        ...


class ConsoleSources(Protocol):
    """Everything the console reads from and sends to, made in one place."""

    @property
    def metrics(self) -> MetricsFeed:
        """The server's identity, health and /metrics."""
        ...

    def chat_engine(self, run: RunSettings) -> ChatEngine:
        """Returns the turn engine for `run`. Blocks (imports the openai SDK)."""
        ...

    def transport(self, name: str) -> ImageTransport:
        """Returns the image transport called `name`; raises SourceError."""
        ...

    def container_watch(self, info: ContainerInfo) -> ContainerWatch:
        """Returns a watcher of the container `info`."""
        ...

    def find_container(self) -> ContainerInfo | None:
        """Returns the local container serving the server's port, if any. Blocks."""
        ...

    def screenshot_folder(self) -> ScreenshotFolder | None:
        """Returns the images folder, None when none was given; raises SourceError."""
        ...

    def load_image(self, path: Path) -> ImageAsset:
        """Returns the checked image at `path`; raises SourceError. Blocks."""
        ...

    def preview(self, asset: ImageAsset, pixels: tuple[int, int]) -> PILImage | None:
        """Returns a small copy of the image for the chat. Blocks."""
        ...

    async def launch(
        self,
        cache_labels: Mapping[str, str] | None,
        max_model_len: int | None,
        container: ContainerInfo | None,
    ) -> LaunchConfig:
        """Returns what the server runs with: its launch settings, each with where it
        was read (cache_labels and max_model_len as the console read them)."""
        ...

    async def aclose(self) -> None:
        """Closes the metrics feed and the journals."""
        ...
