"""The API server's side of a request: check it, load its images, render, queue it.

As in vLLM, every image of every request is decoded and looked up in the
processor cache (counted in `vllm:mm_cache_*`), and the time that takes is paid
before the request reaches the engine's queue; the frontend does this work for one
request at a time.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Sequence

from vlmconsole.sim import tokens
from vlmconsole.sim.config import SimConfig
from vlmconsole.sim.cost_model import preprocess_seconds
from vlmconsole.sim.engine import Engine, RequestHandle
from vlmconsole.sim.error_replies import ApiError, prompt_too_long, too_many_images, unknown_model
from vlmconsole.sim.image_cost import BadImage
from vlmconsole.sim.media import MediaLoader
from vlmconsole.sim.mm_cache import ProcessorCache
from vlmconsole.sim.protocol import ChatRequest, ImageRef
from vlmconsole.sim.sequence import EngineRequest
from vlmconsole.sim.template import ImagePart, Message, Prompt, TextPart, render_prompt


def new_request_id() -> str:
    """Returns a fresh id shaped like vLLM's (`chatcmpl-` and 16 hex digits)."""
    return f"chatcmpl-{secrets.token_hex(8)}"


class Frontend:
    """Turns chat requests into engine requests."""

    def __init__(self, config: SimConfig, engine: Engine) -> None:
        self.config = config
        self.engine = engine
        self.media = MediaLoader()
        self.mm_cache = ProcessorCache(int(config.mm_processor_cache_gb * 1024**3))
        self._work = asyncio.Lock()

    async def submit_chat(self, chat: ChatRequest, request_id: str) -> tuple[RequestHandle, Prompt]:
        """Checks, loads and queues an HTTP chat request; returns its handle and prompt.

        Raises ApiError (404 unknown model, 400 too many images, a broken or
        forbidden image, or a prompt longer than max_model_len).
        """
        if chat.model != self.config.model:
            raise unknown_model(chat.model, self.config.model)
        if len(chat.image_refs) > self.config.limit_images:
            raise too_many_images(self.config.limit_images)
        arrival_s = self.engine.clock()
        messages: list[Message] = []
        images = 0
        for raw in chat.messages:
            if raw.parts is None:
                messages.append(Message(raw.role, raw.text))
                continue
            parts: list[TextPart | ImagePart] = []
            for part in raw.parts:
                if isinstance(part, ImageRef):
                    parts.append(await self._image(part, images))
                    images += 1
                else:
                    parts.append(part)
            messages.append(Message(raw.role, parts=tuple(parts)))
        return await self.submit(
            messages, chat.max_tokens, chat.ignore_eos, request_id, arrival_s=arrival_s
        )

    async def _image(self, ref: ImageRef, index: int) -> ImagePart:
        try:
            return ImagePart(await self.media.load(ref, index))
        except BadImage as error:
            raise ApiError(str(error)) from error

    async def submit(
        self,
        messages: Sequence[Message],
        max_tokens: int | None,
        ignore_eos: bool,
        request_id: str,
        arrival_s: float | None = None,
    ) -> tuple[RequestHandle, Prompt]:
        """Renders decoded messages, pays the preprocessing time and queues the request.

        Returns the request's handle and its prompt; raises ApiError when the prompt
        does not fit the context.
        """
        arrival = self.engine.clock() if arrival_s is None else arrival_s
        prompt = render_prompt(messages)
        room = self.config.max_model_len - len(prompt.token_ids)
        if room < 1:
            raise prompt_too_long(self.config.max_model_len, len(prompt.token_ids))
        missed: list[int] = []
        hits = 0
        for message in messages:
            for part in message.parts or ():
                if isinstance(part, ImagePart):
                    hit = self.mm_cache.query(part.image)
                    self.engine.metrics.mm_lookup(hit)
                    hits += hit
                    if not hit:
                        missed.append(part.image.tiles)
        async with self._work:
            seconds = preprocess_seconds(self.engine.calibration, missed, hits)
            await asyncio.sleep(seconds / self.config.speed)
        seed = tokens.reply_seed(prompt.token_ids)
        request = EngineRequest(
            request_id=request_id,
            prompt=prompt,
            max_tokens=min(max_tokens or room, room),
            max_tokens_param=max_tokens,
            stop_after=None if ignore_eos else tokens.natural_length(seed),
            seed=seed,
            arrival_s=arrival,
        )
        return self.engine.submit(request), prompt

    async def close(self) -> None:
        """Releases the image fetcher's HTTP client."""
        await self.media.close()
