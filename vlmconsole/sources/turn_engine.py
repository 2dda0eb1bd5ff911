"""The turn engine: sends screenshot turns into a growing chat and records each one.

One engine is one run: one server, one model, one window policy, one
transport, one journal. `send` builds the next request from the session
(a pure function of it), scrapes /metrics before and after so the server's own
histograms tell its side of the turn, streams the reply, and journals the
record before it returns: a finished turn is on disk before the next starts.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from asyncio import FIRST_COMPLETED
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from vlmconsole.model.session import (
    ImageRef,
    Session,
    UserTurn,
    WindowPolicy,
    images_still_sent,
    next_messages,
    without_images,
)
from vlmconsole.model.snapshot import MetricsSnapshot
from vlmconsole.model.turn_record import ABANDONED, FAILED, TurnRecord
from vlmconsole.model.turn_timing import (
    StreamTimes,
    breakdown,
    decode_rate,
    histogram_sums,
    in_flight,
    itl_s,
    new_image_tokens,
    server_view_from_request_metrics,
    server_view_from_sums,
    tpot_s,
    ttft_s,
)
from vlmconsole.settings import ApiKey
from vlmconsole.sources.chat import ChatOutcome, ChatSource
from vlmconsole.sources.endpoint import Endpoint
from vlmconsole.sources.image_transport import ImageTransport
from vlmconsole.sources.journal import Journal
from vlmconsole.sources.liveness import LivenessProbe
from vlmconsole.sources.metrics_scrape import MetricsSource
from vlmconsole.sources.screenshots import ImageAsset
from vlmconsole.sources.source_errors import SourceError

PROBE_EVERY_S = 0.5
"""Seconds between liveness probes while a turn is in flight."""
COUNT_WAIT_S = 2.0
"""How long to wait for the server's histograms to count a finished request."""


@dataclass(frozen=True, slots=True)
class RunConfig:
    """What one run sends: to whom, how, and under which window policy."""

    run_id: str
    model: str
    policy: WindowPolicy
    max_tokens: int = 64
    system_prompt: str | None = None
    server_view: bool = True
    """Scrape /metrics around each turn for the server's side of it."""
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
        self.config = config
        self.transport = transport
        self.journal = journal
        self.chat = ChatSource(endpoint, api_key, stall_timeout_s)
        self.metrics = (
            MetricsSource(endpoint, api_key, timeout_s=5.0) if config.server_view else None
        )
        self.probe = LivenessProbe(endpoint, api_key) if config.watch_server else None
        session = Session(policy=config.policy)
        if config.system_prompt is not None:
            session = Session(config.system_prompt, config.policy)
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
        if self.metrics is not None:
            await self.metrics.aclose()
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
        fields = _fields(self.config)
        if model is not None:
            fields["model"] = model
        if policy is not None:
            fields["policy"] = policy
            self.session = self.session.with_policy(policy)
            self._let_go_of_images()
        if max_tokens is not None:
            fields["max_tokens"] = max_tokens
        self.config = RunConfig(**fields)

    async def swap_transport(self, transport: ImageTransport) -> None:
        """Sends images another way from the next turn on."""
        await transport.start()
        old, self.transport = self.transport, transport
        await old.aclose()

    def _payload(self, messages: list[Any]) -> list[dict[str, Any]]:
        payload: list[dict[str, Any]] = []
        for message in messages:
            if not message.image_ids:
                payload.append({"role": message.role, "content": message.text})
                continue
            parts: list[dict[str, Any]] = []
            if message.text:
                parts.append({"type": "text", "text": message.text})
            for image_id in message.image_ids:
                url = self.transport.url_for(self._assets[image_id])
                parts.append({"type": "image_url", "image_url": {"url": url}})
            payload.append({"role": message.role, "content": parts})
        return payload

    async def _scrape(self) -> tuple[MetricsSnapshot | None, str | None]:
        if self.metrics is None:
            return None, "the server's view was not asked for"
        try:
            return await self.metrics.scrape(), None
        except SourceError as error:
            return None, f"the server's /metrics could not be read ({error})"

    async def _scrape_counted(self, before: MetricsSnapshot) -> MetricsSnapshot | None:
        """Returns a scrape taken once the server counted the request (or the last one tried)."""
        start_sums = histogram_sums(before)
        deadline = time.monotonic() + COUNT_WAIT_S
        after: MetricsSnapshot | None = None
        while True:
            after, _ = await self._scrape()
            sums = histogram_sums(after) if after is not None else None
            if sums is None or start_sums is None or sums.requests > start_sums.requests:
                return after
            if time.monotonic() > deadline:
                return after
            await asyncio.sleep(0.05)

    def record_failure(self, text: str, error: str) -> TurnRecord:
        """Journals a turn that could not be sent (such as an unreadable image); returns it."""
        self.turns += 1
        record = TurnRecord(
            run_id=self.config.run_id,
            policy=str(self.config.policy),
            turn=self.turns,
            started_at=self._wall_clock().isoformat(timespec="milliseconds"),
            status="failed",
            model=self.config.model,
            transport=self.transport.name,
            error=error,
            reply="",
            extra={"text": text},
        )
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
        started_at = self._wall_clock().isoformat(timespec="milliseconds")
        prep_start = time.perf_counter()
        for asset in images:
            self._assets[asset.sha256] = asset
        user = UserTurn(text, tuple(ImageRef(a.sha256, a.label) for a in images))
        messages = without_images(next_messages(self.session, user), set(self._assets))
        payload = self._payload(messages)
        prep_s = time.perf_counter() - prep_start
        request_ids = [i for m in messages for i in m.image_ids]
        before, note = await self._scrape()
        outcome = await self._stream_reply(
            payload, on_text, started_at, images, request_ids, prep_s
        )
        after: MetricsSnapshot | None = None
        if before is not None and outcome.error is None:
            after = await self._scrape_counted(before)
        elif before is not None and outcome.ended_as is None and not _server_lost(outcome):
            after, _ = await self._scrape()  # a refused request is never counted: no wait
        record = self._record(started_at, images, request_ids, prep_s, outcome, before, after, note)
        if outcome.ended_as is not None:
            record = _with_status(record, outcome.ended_as)
        self.journal.append(record)
        if record.ok:
            self.session = self.session.with_exchange(user, outcome.reply)
            self._last_ok = record
        self._let_go_of_images()
        return record

    async def _stream_reply(
        self,
        payload: list[dict[str, Any]],
        on_text: Callable[[str], None] | None,
        started_at: str,
        images: list[ImageAsset],
        request_ids: list[str],
        prep_s: float,
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

        sent = time.perf_counter()
        self._ended_by = None
        self._stream = asyncio.create_task(
            self.chat.stream(
                self.config.model, payload, self.config.max_tokens, heard, self.config.extra_body
            )
        )
        try:
            await self._watch(self._stream)
            return await self._stream
        except asyncio.CancelledError:
            current = asyncio.current_task()
            ended_by = self._ended_by
            if ended_by is None or (current is not None and current.cancelling()):
                self._stream.cancel()
                ended_by = (ABANDONED, "the program ended with the turn in flight")
                outcome = _ended(sent, words, ABANDONED, ended_by[1])
                record = self._record(
                    started_at, images, request_ids, prep_s, outcome, None, None, None
                )
                self.journal.append(_with_status(record, ABANDONED))
                raise
            return _ended(sent, words, *ended_by)
        finally:
            self._stream = None

    async def _watch(self, stream: asyncio.Task[ChatOutcome]) -> None:
        """Waits for `stream`, probing the server about once a second; ends the turn
        (abort) when the probe says the server is gone."""
        if self.probe is None:
            return
        self.probe.reset()
        while not stream.done():
            finished, _ = await asyncio.wait({stream}, timeout=PROBE_EVERY_S)
            if finished:
                return
            probe = asyncio.create_task(self.probe.gone())
            either: set[asyncio.Future[Any]] = {stream, probe}
            first, _ = await asyncio.wait(either, return_when=FIRST_COMPLETED)
            if stream in first:
                probe.cancel()
                return
            reason = probe.result()
            if reason is not None:
                self.abort(reason)
                return

    def _let_go_of_images(self) -> None:
        """Drops the images that left the window: their bytes were the engine's memory
        (1,000 screenshots under slide:4 held every one). A wider policy set later
        brings back only the images still held."""
        still = images_still_sent(self.session)
        for image_id in [i for i in self._assets if i not in still]:
            del self._assets[image_id]
            self.transport.forget(image_id)

    def _record(
        self,
        started_at: str,
        images: list[ImageAsset],
        request_ids: list[str],
        prep_s: float,
        outcome: ChatOutcome,
        before: MetricsSnapshot | None,
        after: MetricsSnapshot | None,
        note: str | None,
    ) -> TurnRecord:
        usage = outcome.usage
        times = outcome.times
        completion = usage.completion_tokens if usage else 0
        new_ids = list(dict.fromkeys(a.sha256 for a in images))
        tokens_by_image: dict[str, int] | None = None
        source: str | None = None
        if usage is not None and usage.image_tokens is not None:
            tokens_by_image = new_image_tokens(
                request_ids, new_ids, usage.image_tokens, self._image_tokens
            )
            source = "server"
        elif usage is not None and self._last_ok is not None and new_ids and len(new_ids) == 1:
            last = self._last_ok
            if last.prompt_tokens is not None and last.completion_tokens is not None:
                grown = usage.prompt_tokens - last.prompt_tokens - last.completion_tokens
                tokens_by_image = {new_ids[0]: grown}
                source = "derived (prompt growth, includes this turn's words)"
        if tokens_by_image and outcome.error is None:
            self._image_tokens.update(tokens_by_image)
        server = None
        parts = None
        first = ttft_s(times)
        if usage is not None and before is not None and after is not None:
            start_sums, end_sums = histogram_sums(before), histogram_sums(after)
            if start_sums is not None and end_sums is not None:
                server, note = server_view_from_sums(
                    start_sums, end_sums, usage.prompt_tokens, in_flight(before)
                )
            else:
                note = "the server does not export the per-request histograms"
            if server is not None and first is not None:
                parts = breakdown(first, server)
        if outcome.request_metrics is not None:
            per_request = server_view_from_request_metrics(outcome.request_metrics)
            server = per_request or server
        new_tokens = sum(tokens_by_image.values()) if tokens_by_image else None
        server_decode = None
        if server is not None and server.decode_s and completion >= 2:
            server_decode = (completion - 1) / server.decode_s
        return TurnRecord(
            run_id=self.config.run_id,
            policy=str(self.config.policy),
            turn=self.turns,
            started_at=started_at,
            status="ok" if outcome.error is None else "failed",
            model=self.config.model,
            transport=self.transport.name,
            error=outcome.error,
            new_images=tuple(
                a.info(tokens_by_image.get(a.sha256) if tokens_by_image else None) for a in images
            ),
            images_in_request=len(request_ids),
            request_bytes=outcome.request_bytes,
            prep_s=prep_s,
            ttft_s=first,
            decode_tok_s=decode_rate(times, completion),
            server_decode_tok_s=server_decode,
            itl_s=itl_s(times, completion),
            tpot_s=tpot_s(times, completion),
            e2e_s=times.done_at_s - times.sent_at_s,
            prompt_tokens=usage.prompt_tokens if usage else None,
            cached_tokens=usage.cached_tokens if usage else None,
            new_tokens=usage.new_tokens if usage else None,
            completion_tokens=usage.completion_tokens if usage else None,
            image_tokens_in_request=usage.image_tokens if usage else None,
            new_image_tokens=new_tokens,
            image_tokens_source=source,
            server=server,
            server_note=None if server is not None else note,
            breakdown=parts,
            reply=outcome.reply,
        )


def _ended(sent_s: float, words: list[str], status: str, reason: str) -> ChatOutcome:
    """Returns the outcome of a turn ended before its answer: the words heard, no usage."""
    now = time.perf_counter()
    times = StreamTimes(sent_s, None, None, now, 0)
    return ChatOutcome(times, None, "".join(words), None, None, reason, ended_as=status)


def _server_lost(outcome: ChatOutcome) -> bool:
    """Returns True when the turn failed because the server went: no scrape after it
    (a killed vLLM's orphaned processes can keep the port open, and a scrape would wait
    its whole timeout before the turn's record could be written)."""
    error = outcome.error or ""
    return "lost the server" in error or "closed the connection" in error


def _with_status(record: TurnRecord, status: str) -> TurnRecord:
    return dataclasses.replace(record, status=status)


def _fields(config: RunConfig) -> dict[str, Any]:
    return {name: getattr(config, name) for name in RunConfig.__dataclass_fields__}
