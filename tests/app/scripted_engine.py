"""The turn engine as a script: the turns the real vLLM test server answered, replayed.

`ScriptedEngine` implements ChatEngine (sources/console_sources.py) with no network: each
turn streams a recorded reply through `on_text` in a few pieces and returns the recorded
turn's measurements (tests/fixtures/journal-real-vllm.jsonl), renumbered and naming the
images actually pushed. Failures are records made as the real engine makes them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace

from tests.support.fixtures import REAL_JOURNAL
from vlmconsole.model.run_settings import RunSettings
from vlmconsole.model.turn_measurement import TurnLabels, unsent_record
from vlmconsole.model.turn_record import TurnRecord
from vlmconsole.model.turn_status import FAILED
from vlmconsole.model.window_policy import WindowPolicy
from vlmconsole.sources.image_transport import ImageTransport
from vlmconsole.sources.journal import read_journal
from vlmconsole.sources.screenshots import ImageAsset

RECORDED = read_journal(REAL_JOURNAL).records
"""Three turns of one conversation, as the real vLLM CPU test server answered them."""
RUN_ID = "20261124T234418"


def context_full(record: TurnRecord, max_model_len: int) -> TurnRecord:
    """Returns the failed record the engine makes of `record` when vLLM refuses its prompt
    for not fitting the context: the server's 400, no usage, no timings, no reply."""
    prompt = record.prompt_tokens
    error = (
        f"400 from the server: This model's maximum context length is {max_model_len} tokens."
        f" However, your prompt contains {prompt} input tokens, which exceeds this limit even"
        " without any output tokens. Please reduce the length of the input prompt."
        f" (parameter=input_tokens, value={prompt})"
    )
    return replace(
        record,
        status=FAILED,
        error=error,
        new_images=tuple(replace(image, tokens=None) for image in record.new_images),
        e2e_s=0.012,  # a refusal comes back at once
        ttft_s=None,
        decode_tok_s=None,
        server_decode_tok_s=None,
        itl_s=None,
        tpot_s=None,
        prompt_tokens=None,
        cached_tokens=None,
        new_tokens=None,
        completion_tokens=None,
        image_tokens_in_request=None,
        new_image_tokens=None,
        image_tokens_source=None,
        server=None,
        breakdown=None,
        reply="",
    )


class ScriptedEngine:
    """The turn engine, replaying the recorded conversation turn by turn.

    The n-th turn of a conversation gets the n-th recorded turn's measurements (a new
    conversation starts the recording over); a prompt longer than `max_model_len` is
    refused as vLLM refuses it. Turns numbered in `held` stream half their reply and
    stay in flight until abort().
    """

    def __init__(
        self, run: RunSettings, max_model_len: int, held: frozenset[int] = frozenset()
    ) -> None:
        self.settings = run
        self.transport = run.transport
        self.max_model_len = max_model_len
        self.held = held
        self.turns = 0
        self.position = 0
        """Turns of the current conversation that the server answered."""
        self.conversations = 1
        self.sent: list[tuple[str, tuple[str, ...]]] = []
        """Each turn's words and image labels, as send() was given them."""
        self.closed = False
        self._in_flight = False
        self._ended_by: tuple[str, str] | None = None
        self._release = asyncio.Event()

    @property
    def in_flight(self) -> bool:
        """Returns True while a turn's answer is not yet in."""
        return self._in_flight

    async def send(
        self,
        text: str,
        images: list[ImageAsset],
        on_text: Callable[[str], None] | None = None,
    ) -> TurnRecord:
        """Streams the recorded reply in pieces; returns the turn's record."""
        self.turns += 1
        self.sent.append((text, tuple(a.label for a in images)))
        recorded = self._recorded(images)
        if recorded.prompt_tokens is not None and recorded.prompt_tokens > self.max_model_len:
            return context_full(recorded, self.max_model_len)
        self._in_flight, self._ended_by = True, None
        self._release.clear()
        pieces = _pieces(recorded.reply, 4)
        if self.turns in self.held:
            pieces = pieces[:2]
        heard: list[str] = []
        try:
            for piece in pieces:
                await asyncio.sleep(0)
                if self._ended_by is not None:
                    break
                heard.append(piece)
                if on_text is not None:
                    on_text(piece)
            if self.turns in self.held:
                await self._release.wait()
        finally:
            self._in_flight = False
        if self._ended_by is not None:
            return self._ended(recorded, "".join(heard), *self._ended_by)
        self.position += 1
        return recorded

    def _recorded(self, images: list[ImageAsset]) -> TurnRecord:
        """Returns the recording's next turn as this engine's turn, with the images sent."""
        base = RECORDED[min(self.position, len(RECORDED) - 1)]
        beyond = self.position - len(RECORDED) + 1
        if beyond > 0:  # past the recording: the prompt grows as it grew turn by turn
            growth = (base.prompt_tokens or 0) - (RECORDED[-2].prompt_tokens or 0)
            base = replace(
                base,
                prompt_tokens=(base.prompt_tokens or 0) + beyond * growth,
                cached_tokens=(base.cached_tokens or 0) + beyond * growth,
                images_in_request=base.images_in_request + beyond,
            )
        tokens = [image.tokens for image in base.new_images]
        return replace(
            base,
            run_id=RUN_ID,
            turn=self.turns,
            policy=str(self.settings.policy),
            model=self.settings.model,
            transport=self.transport,
            new_images=tuple(
                asset.info(tokens[i] if i < len(tokens) else None) for i, asset in enumerate(images)
            ),
        )

    def _ended(self, recorded: TurnRecord, reply: str, status: str, reason: str) -> TurnRecord:
        """Returns the record of a turn abort() ended: the words heard, no usage."""
        labels = self._labels()
        ended = unsent_record(labels, "", reason)
        return replace(
            ended,
            status=status,
            new_images=tuple(replace(i, tokens=None) for i in recorded.new_images),
            images_in_request=recorded.images_in_request,
            reply=reply,
            extra={},
        )

    def _labels(self) -> TurnLabels:
        return TurnLabels(
            RUN_ID,
            str(self.settings.policy),
            self.turns,
            "2026-11-24T23:44:21.000+00:00",
            self.settings.model,
            self.transport,
        )

    def abort(self, reason: str, status: str = FAILED) -> bool:
        """Ends the turn in flight; returns False when there was none."""
        if not self._in_flight:
            return False
        self._ended_by = (status, reason)
        self._release.set()
        return True

    def record_failure(self, text: str, error: str) -> TurnRecord:
        """Returns the record of a turn that could not be sent, as the real engine makes it."""
        self.turns += 1
        return unsent_record(self._labels(), text, error)

    def new_conversation(self) -> None:
        """Starts the recording over."""
        self.position = 0
        self.conversations += 1

    def configure(
        self,
        model: str | None = None,
        policy: WindowPolicy | None = None,
        max_tokens: int | None = None,
    ) -> None:
        """Changes what the next turns use."""
        s = self.settings
        self.settings = RunSettings(
            model or s.model, policy or s.policy, s.transport, max_tokens or s.max_tokens
        )

    async def swap_transport(self, transport: ImageTransport) -> None:
        """Names the new transport in the next records (it is never started)."""
        self.transport = transport.name

    async def aclose(self) -> None:
        """Nothing to close."""
        self.closed = True


def _pieces(text: str, count: int) -> list[str]:
    """Returns `text` cut into `count` pieces (the stream's chunks)."""
    size = max(1, -(-len(text) // count))
    return [text[i : i + size] for i in range(0, len(text), size)]
