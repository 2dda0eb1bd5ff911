"""Messages that workers post to the app: typed, and coalesced when they come fast."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message
from textual.worker import Worker

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage

    from vlmconsole.model.container import ContainerInfo, ContainerStatus
    from vlmconsole.model.observation import Observation
    from vlmconsole.model.server_info import ServerInfo
    from vlmconsole.model.turn_record import TurnRecord
    from vlmconsole.sources.console_sources import ChatEngine


@dataclass
class MetricsScraped(Message):
    """A scrape tick succeeded."""

    observation: Observation
    at_s: float

    def can_replace(self, message: Message) -> bool:
        """Returns True: only the newest scrape matters when several queue up."""
        return isinstance(message, MetricsScraped)


@dataclass
class ScrapeFailed(Message):
    """A scrape tick failed; `error` is one line a person can act on."""

    error: str
    at_s: float
    answered: bool = False
    """The server answered, but not usably (a refused key, no /metrics, not vLLM's)."""
    info: ServerInfo | None = None
    """What the server said it is, when it did (the chat can go on without metrics)."""


@dataclass
class ReplyText(Message):
    """Words of the reply streaming in for turn `turn`."""

    turn: int
    text: str


@dataclass
class TurnFinished(Message):
    """A turn finished or failed; its record is already on disk."""

    record: TurnRecord


@dataclass
class TurnStarted(Message):
    """A turn was sent: what the user pushed."""

    turn: int
    text: str
    image_label: str | None
    image_size: tuple[int, int] | None
    preview: PILImage | None
    """A small copy of the image for the chat's preview (made off the event loop)."""


@dataclass
class ContainerSeen(Message):
    """A container check: the container as it is now and what happened to it."""

    status: ContainerStatus


@dataclass
class EngineReady(Message):
    """The turn engine was built (off the event loop: it imports the openai SDK)."""

    engine: ChatEngine


@dataclass
class ContainerFound(Message):
    """The container behind the attached port, looked up after start-up (None: none)."""

    info: ContainerInfo | None


class ReceiptShown(Message):
    """A turn's receipt is on screen: its request and reply bodies are garbage now."""


@dataclass
class WorkerFailed(Message):
    """A worker raised what it did not expect; the app puts it on screen."""

    worker: Worker[object]
