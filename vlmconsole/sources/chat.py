"""One streamed chat turn through the openai SDK, timed with one monotonic clock.

Every outcome comes back as a ChatOutcome, failures included: a failed turn
still reports what was received before it failed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import httpx
import openai
from openai import AsyncOpenAI
from openai.types.chat import ChatCompletionMessageParam

from vlmconsole.model.timing import StreamTimes, Usage
from vlmconsole.settings import ApiKey
from vlmconsole.sources.endpoint import Endpoint
from vlmconsole.sources.http import transport_cause

Clock = Callable[[], float]

try:  # openai 3 talks through httpx2, a fork of httpx; errors may come from either
    import httpx2

    _TRANSPORT_ERRORS: tuple[type[Exception], ...] = (httpx.TransportError, httpx2.TransportError)
except ImportError:  # pragma: no cover - older openai on plain httpx
    _TRANSPORT_ERRORS = (httpx.TransportError,)
_FAILURES: tuple[type[Exception], ...] = (openai.OpenAIError, *_TRANSPORT_ERRORS)


@dataclass(frozen=True, slots=True)
class ChatOutcome:
    """What one streamed request gave: timings, usage, words, or why it failed."""

    times: StreamTimes
    usage: Usage | None
    reply: str
    request_bytes: int | None
    request_metrics: dict[str, Any] | None
    """vLLM's per-request `metrics` object (--enable-per-request-metrics), when sent."""
    error: str | None = None
    ended_as: str | None = None
    """Set when the turn was ended before its answer (failed, cancelled, abandoned)."""


def _error_message(error: Exception, had_key: bool, stall_timeout_s: float) -> str:
    """Returns one line a person can act on for an SDK or transport error."""
    if isinstance(error, openai.APITimeoutError):
        return f"the server stalled: no data for {stall_timeout_s:g} s"
    if isinstance(error, openai.APIStatusError):
        body = error.body
        detail = ""
        if isinstance(body, dict):
            inner = body.get("error", body)
            detail = str(inner.get("message", "")) if isinstance(inner, dict) else str(inner)
        detail = detail or error.message
        if error.status_code == 401:
            hint = "the API key was refused" if had_key else "the server wants an API key"
            return f"401: {hint} (--api-key or VLLM_API_KEY)"
        return f"{error.status_code} from the server: {detail}"
    if isinstance(error, (openai.APIConnectionError, *_TRANSPORT_ERRORS)):
        cause = error.__cause__ or error
        if isinstance(cause, httpx.TransportError):
            detail = transport_cause(cause, stall_timeout_s)
        else:  # some errors say nothing: name them, never leave `lost the server: `
            detail = str(cause).strip() or type(cause).__name__
        if detail in ("", "Connection error."):
            detail = "the connection dropped"
        return f"lost the server: {detail}"
    return f"{type(error).__name__}: {error}"


class ChatSource:
    """Streams chat completions from one server. Close it when done."""

    def __init__(
        self,
        endpoint: Endpoint,
        api_key: ApiKey | None,
        stall_timeout_s: float = 120.0,
        connect_timeout_s: float = 5.0,
        clock: Clock = time.perf_counter,
    ) -> None:
        for name, value in (
            ("stall timeout", stall_timeout_s),
            ("connect timeout", connect_timeout_s),
        ):
            if not value > 0:
                raise ValueError(f"the {name} must be more than 0 s, not {value:g}")
        self.stall_timeout_s = stall_timeout_s
        self._clock = clock
        self._had_key = api_key is not None
        self._last_request_bytes: int | None = None
        timeout = openai.Timeout(stall_timeout_s, connect=connect_timeout_s)
        self._http = openai.DefaultAsyncHttpxClient(
            timeout=timeout, event_hooks={"request": [self._count_request]}
        )
        # The timeout goes to the SDK too: given only through the HTTP client, the SDK
        # replaces one that equals httpx's default (5 s) with its own 600 s, so
        # `--stall-timeout 5` waited ten minutes.
        self._client = AsyncOpenAI(
            base_url=endpoint.api_url,
            api_key=api_key.reveal() if api_key else "EMPTY",
            http_client=self._http,
            timeout=timeout,
            max_retries=0,
        )

    async def _count_request(self, request: Any) -> None:
        self._last_request_bytes = len(request.content)

    async def aclose(self) -> None:
        """Closes the HTTP connections."""
        await self._client.close()

    async def stream(
        self,
        model: str,
        messages: list[dict[str, Any]],
        max_tokens: int,
        on_text: Callable[[str], None] | None = None,
        extra_body: dict[str, Any] | None = None,
    ) -> ChatOutcome:
        """Sends one streamed request; returns its outcome (never raises for server faults)."""
        self._last_request_bytes = None
        reply: list[str] = []
        first: float | None = None
        last: float | None = None
        chunks = 0
        usage: Usage | None = None
        metrics: dict[str, Any] | None = None
        error: str | None = None
        sent = self._clock()
        try:
            stream = await self._client.chat.completions.create(
                model=model,
                messages=cast(list[ChatCompletionMessageParam], messages),
                max_tokens=max_tokens,
                stream=True,
                stream_options={"include_usage": True},
                extra_body=extra_body,
            )
            async for chunk in stream:
                if chunk.choices:
                    delta = chunk.choices[0].delta
                    extra = delta.model_extra or {}
                    text = delta.content or ""
                    if text or extra.get("reasoning_content") or delta.tool_calls:
                        now = self._clock()
                        first = now if first is None else first
                        last = now
                        chunks += 1
                        if text:
                            reply.append(text)
                            if on_text is not None:
                                on_text(text)
                if chunk.usage is not None:
                    usage = _usage(chunk.usage)
                    found = (chunk.model_extra or {}).get("metrics")
                    metrics = found if isinstance(found, dict) else metrics
        except _FAILURES as failure:
            error = _error_message(failure, self._had_key, self.stall_timeout_s)
            if reply and "lost the server" in error:
                error = f"the server closed the connection mid-answer ({error})"
        if error is None and usage is None:
            error = "the stream ended without usage: is this a vLLM server?"
        times = StreamTimes(sent, first, last, self._clock(), chunks)
        return ChatOutcome(times, usage, "".join(reply), self._last_request_bytes, metrics, error)


def _usage(raw: Any) -> Usage:
    details = raw.prompt_tokens_details
    cached = getattr(details, "cached_tokens", None) if details is not None else None
    image_tokens = None
    if details is not None:
        media = (details.model_extra or {}).get("multimodal_tokens")
        if isinstance(media, dict) and isinstance(media.get("image"), int):
            image_tokens = int(media["image"])
    return Usage(
        prompt_tokens=int(raw.prompt_tokens),
        completion_tokens=int(raw.completion_tokens),
        cached_tokens=int(cached) if cached is not None else None,
        image_tokens=image_tokens,
    )
