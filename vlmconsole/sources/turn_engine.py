"""The turn engine: sends screenshot turns into a growing chat and records each one.

One engine is one run: one server, one model, one window policy, one
transport, one journal. `send` builds the next request from the session
(a pure function of it), has /metrics scraped before and after so the server's
own histograms tell its side of the turn (sources/turn_scrape.py), streams the
reply while a probe watches that the server is still there (sources/liveness.py),
and journals the record (derived in model/turn_measurement.py) before it returns:
a finished turn is on disk before the next starts.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from vlmconsole.model.run_settings import RunSettings
from vlmconsole.model.session import (
    ImageRef,
    Message,
    Session,
    UserTurn,
    chat_payload,
    images_still_sent,
    next_messages,
    without_images,
)
from vlmconsole.model.turn_measurement import (
    ChatOutcome,
    ServerScrapes,
    TurnLabels,
    TurnRequest,
    ended_outcome,
    learned_image_tokens,
    turn_record,
    unsent_record,
)
from vlmconsole.model.turn_record import TurnRecord
from vlmconsole.model.turn_status import ABANDONED, FAILED
from vlmconsole.model.window_policy import WindowPolicy
from vlmconsole.settings import ApiKey
from vlmconsole.sources.chat import ChatSource
from vlmconsole.sources.endpoint import Endpoint
from vlmconsole.sources.image_transport import ImageTransport, saved_bytes
from vlmconsole.sources.journal import Journal
from vlmconsole.sources.liveness import LivenessProbe
from vlmconsole.sources.metrics_scrape import MetricsSource
from vlmconsole.sources.screenshots import ImageAsset
from vlmconsole.sources.turn_scrape import TurnScraper

CACHE_MISS = "Cache miss for image"
"""How vLLM (0.32) refuses an image sent by id that its processor cache does not hold."""


@dataclass(frozen=True, slots=True)
class RunConfig:
    """One run: its id, what its turns use (model, policy, transport, reply length), and
    how the engine runs them."""

    run_id: str
    settings: RunSettings
    system_prompt: str | None = None
    scrape_around_turns: bool = True
    """Scrape /metrics around each turn for the server's own timing of it."""
    watch_server: bool = True
    """Probe /health while a turn is in flight, and end the turn once the server is gone."""
    extra_body: dict[str, Any] | None = None


class TurnEngine:
    """Runs the turns of one run and journals each."""

    def __init__(
        self,
        endpoint: Endpoint,
        api_key: ApiKey | None,
        config: RunConfig,
        transport: ImageTransport,
        journal: Journal,
        stall_timeout_s: float = 120.0,
        wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        if transport.name != config.settings.transport:
            raise ValueError(
                f"the run's settings say transport {config.settings.transport!r},"
                f" but the engine was given {transport.name!r}"
            )
        self.config = config
        self.transport = transport
        self.journal = journal
        self.chat = ChatSource(endpoint, api_key, stall_timeout_s)
        self.scraper = TurnScraper(
            MetricsSource(endpoint, api_key, timeout_s=5.0) if config.scrape_around_turns else None
        )
        self.probe = LivenessProbe(endpoint, api_key) if config.watch_server else None
        session = Session(policy=config.settings.policy)
        if config.system_prompt is not None:
            session = Session(config.system_prompt, config.settings.policy)
        self.session = session
        self.turns = 0
        self._assets: dict[str, ImageAsset] = {}
        self._image_tokens: dict[str, int] = {}
        self._last_ok: TurnRecord | None = None
        self._wall_clock = wall_clock
        self._started = False
        self._stream: asyncio.Task[ChatOutcome] | None = None
        self._ended_by: tuple[str, str] | None = None
        """(status, reason) when abort() ended the turn in flight."""

    @property
    def in_flight(self) -> bool:
        """Returns True while a turn's request is out and its answer not yet in."""
        return self._stream is not None and not self._stream.done()

    def abort(self, reason: str, status: str = FAILED) -> bool:
        """Ends the turn in flight at once; its record says `status` and `reason`.

        For a server seen gone (a killed vLLM can leave the connection open, so the
        stream would only fail after the whole stall timeout) and for a user who
        cancels. Returns False when no turn was in flight.
        """
        if self._stream is None or self._stream.done():
            return False
        self._ended_by = (status, reason)
        self._stream.cancel()
        return True

    async def start(self) -> None:
        """Starts the transport (the url transport's server); send() does it when needed."""
        if not self._started:
            await self.transport.start()
            self._started = True

    async def aclose(self) -> None:
        """Closes connections and the transport; the journal stays open for its owner."""
        await self.chat.aclose()
        await self.scraper.aclose()
        if self.probe is not None:
            await self.probe.aclose()
        await self.transport.aclose()

    def new_conversation(self) -> None:
        """Starts over: the next turn carries no earlier turn (the run and journal go on).

        The way out once a conversation no longer fits the model's context.
        """
        self.session = Session(self.session.system_prompt, self.session.policy)
        self._last_ok = None  # its prompt size says nothing about the next turn's
        self._let_go_of_images()

    def set_policy(self, policy: WindowPolicy) -> None:
        """Applies another window policy from the next turn on."""
        self.configure(policy=policy)

    def configure(
        self,
        model: str | None = None,
        policy: WindowPolicy | None = None,
        max_tokens: int | None = None,
    ) -> None:
        """Changes what the next turns use; the conversation so far stays."""
        settings = self.config.settings
        if model is not None:
            settings = replace(settings, model=model)
        if policy is not None:
            settings = replace(settings, policy=policy)
            self.session = self.session.with_policy(policy)
            self._let_go_of_images()
        if max_tokens is not None:
            settings = replace(settings, max_tokens=max_tokens)
        self.config = replace(self.config, settings=settings)

    async def swap_transport(self, transport: ImageTransport) -> None:
        """Sends images another way from the next turn on."""
        await transport.start()
        old, self.transport = self.transport, transport
        settings = replace(self.config.settings, transport=transport.name)
        self.config = replace(self.config, settings=settings)
        await old.aclose()

    def record_failure(self, text: str, error: str) -> TurnRecord:
        """Journals a turn that could not be sent (such as an unreadable image); returns it."""
        self.turns += 1
        record = unsent_record(self._labels(), text, error)
        self.journal.append(record)
        return record

    async def send(
        self,
        text: str,
        images: list[ImageAsset],
        on_text: Callable[[str], None] | None = None,
    ) -> TurnRecord:
        """Sends one turn; returns its record, already on disk. Failures are records too."""
        await self.start()
        self.turns += 1
        labels = self._labels()
        prep_start = time.perf_counter()
        for asset in images:
            self._assets[asset.sha256] = asset
        user = UserTurn(text, tuple(ImageRef(a.sha256, a.label) for a in images))
        messages = without_images(next_messages(self.session, user), set(self._assets))
        parts = self._image_parts(messages)
        payload = chat_payload(messages, parts)
        prep_s = time.perf_counter() - prep_start
        request_ids = tuple(i for m in messages for i in m.image_ids)
        request = TurnRequest(tuple(a.info() for a in images), request_ids, prep_s)
        scrapes = await self.scraper.before()
        outcome = await self._stream_reply(payload, on_text, labels, request)
        resent = False
        if outcome.error is not None and CACHE_MISS in outcome.error and not outcome.reply:
            # the server lost images it had (restarted, evicted): once more, all bytes
            self.transport.send_bytes_again()
            parts = self._image_parts(messages)
            payload = chat_payload(messages, parts)
            outcome = await self._stream_reply(payload, on_text, labels, request)
            resent = True
        scrapes = await self.scraper.after(scrapes, outcome)
        self.transport.settle(request_ids, outcome.error is None)
        saved = sum(saved_bytes(parts[i], self._assets[i]) for i in parts)
        record = replace(
            self._record(labels, request, outcome, scrapes),
            image_bytes_saved=saved if self.transport.name == "uuid" else None,
            resent_after_cache_miss=resent,
        )
        self.journal.append(record)
        if record.ok:
            self.session = self.session.with_exchange(user, outcome.reply)
            self._last_ok = record
        self._let_go_of_images()
        return record

    def _labels(self) -> TurnLabels:
        """Returns the labels of the turn numbered `self.turns`, starting now."""
        settings = self.config.settings
        return TurnLabels(
            run_id=self.config.run_id,
            policy=str(settings.policy),
            turn=self.turns,
            started_at=self._wall_clock().isoformat(timespec="milliseconds"),
            model=settings.model,
            transport=self.transport.name,
        )

    def _image_parts(self, messages: list[Message]) -> dict[str, dict[str, Any]]:
        """Returns the content part of each image the messages carry (the transport's)."""
        return {
            image_id: self.transport.part_for(self._assets[image_id])
            for message in messages
            for image_id in message.image_ids
        }

    def _record(
        self,
        labels: TurnLabels,
        request: TurnRequest,
        outcome: ChatOutcome,
        scrapes: ServerScrapes,
    ) -> TurnRecord:
        """Returns the turn's record; remembers the image costs it measured."""
        record = turn_record(labels, request, outcome, scrapes, self._image_tokens, self._last_ok)
        self._image_tokens.update(learned_image_tokens(record))
        return record

    async def _stream_reply(
        self,
        payload: list[dict[str, Any]],
        on_text: Callable[[str], None] | None,
        labels: TurnLabels,
        request: TurnRequest,
    ) -> ChatOutcome:
        """Streams the reply in a task of its own, so that abort() can end it.

        Ended by abort(): the outcome carries abort's status and reason and the words
        that had arrived. Cancelled from outside (the program quitting): the turn is
        journaled as abandoned, then the cancellation goes on.
        """
        words: list[str] = []

        def heard(text: str) -> None:
            words.append(text)
            if on_text is not None:
                on_text(text)

        settings = self.config.settings
        sent = time.perf_counter()
        self._ended_by = None
        self._stream = asyncio.create_task(
            self.chat.stream(
                settings.model, payload, settings.max_tokens, heard, self.config.extra_body
            )
        )
        try:
            if self.probe is not None:
                gone = await self.probe.gone_during(self._stream)
                if gone is not None:
                    self.abort(gone)
            return await self._stream
        except asyncio.CancelledError:
            current = asyncio.current_task()
            ended_by = self._ended_by
            if ended_by is None or (current is not None and current.cancelling()):
                self._stream.cancel()
                reason = "the program ended with the turn in flight"
                outcome = ended_outcome(sent, time.perf_counter(), words, ABANDONED, reason)
                self.journal.append(self._record(labels, request, outcome, ServerScrapes()))
                raise
            return ended_outcome(sent, time.perf_counter(), words, *ended_by)
        finally:
            self._stream = None

    def _let_go_of_images(self) -> None:
        """Drops the images that left the window: their bytes were the engine's memory
        (1,000 screenshots under slide:4 held every one). A wider policy set later
        brings back only the images still held."""
        still = images_still_sent(self.session)
        for image_id in [i for i in self._assets if i not in still]:
            del self._assets[image_id]
            self.transport.forget(image_id)
