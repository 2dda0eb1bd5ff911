"""One streamed chat turn through the openai SDK, timed with one monotonic clock.

Every outcome comes back as a ChatOutcome, failures included: a failed turn
still reports what was received before it failed.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any, cast

import httpx
import openai
from openai import AsyncOpenAI
from openai.types.chat import ChatCompletionMessageParam, ChatCompletionStreamOptionsParam

from vlmconsole.model.turn_measurement import ChatOutcome
from vlmconsole.model.turn_timing import (
    TTFT_BY_CONTENT,
    TTFT_BY_USAGE,
    HttpPhases,
    StreamTimes,
    Usage,
)
from vlmconsole.settings import ApiKey
from vlmconsole.sources.endpoint import Endpoint
from vlmconsole.sources.http import transport_cause

Clock = Callable[[], float]

try:  # openai 3 talks through httpx2, a fork of httpx; errors may come from either
    import httpx2

    _TRANSPORT_ERRORS: tuple[type[Exception], ...] = (httpx.TransportError, httpx2.TransportError)
    _TIMEOUTS: tuple[type[Exception], ...] = (httpx.TimeoutException, httpx2.TimeoutException)
except ImportError:  # pragma: no cover - older openai on plain httpx
    _TRANSPORT_ERRORS = (httpx.TransportError,)
    _TIMEOUTS = (httpx.TimeoutException,)
_FAILURES: tuple[type[Exception], ...] = (openai.OpenAIError, *_TRANSPORT_ERRORS)

LOST_THE_SERVER = "lost the server"
"""How a turn's error starts when the connection to the server failed."""
CLOSED_MID_ANSWER = "the server closed the connection mid-answer"
"""How it starts when that happened after the answer had started."""


def server_lost(outcome: ChatOutcome) -> bool:
    """Returns True when the turn failed because the connection to the server went."""
    error = outcome.error or ""
    return LOST_THE_SERVER in error or CLOSED_MID_ANSWER in error


def timeout_message(error: BaseException, stall_timeout_s: float) -> str:
    """Returns what timed out: the connection, the wait for a free one, or the answer."""
    kind = type(error).__name__
    if kind == "ConnectTimeout":
        return "could not connect to the server in time (it may be overloaded)"
    if kind == "PoolTimeout":
        return "no free connection to the server in time"
    if kind == "WriteTimeout":
        return "the server stopped taking the request in time"
    return f"the server stalled: no data for {stall_timeout_s:g} s"


def _error_message(error: Exception, had_key: bool, stall_timeout_s: float) -> str:
    """Returns one line a person can act on for an SDK or transport error."""
    if isinstance(error, openai.APITimeoutError):
        return timeout_message(error.__cause__ or error, stall_timeout_s)
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
        elif isinstance(cause, _TRANSPORT_ERRORS) and "Protocol" in type(cause).__name__:
            detail = f"the connection broke: {str(cause).strip() or type(cause).__name__}"
        else:  # some errors say nothing: name them, never leave `lost the server: `
            detail = str(cause).strip() or type(cause).__name__
        if detail in ("", "Connection error."):
            detail = "the connection dropped"
        return f"{LOST_THE_SERVER}: {detail}"
    return f"{type(error).__name__}: {error}"


YIELD_EVERY_CHUNKS = 32
"""Chunks read back to back (from a buffer) before the event loop gets a turn."""


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
        self._phases = HttpTrace(clock)
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
        """The request is built (the SDK serialized its body): count it, trace its way out."""
        self._phases.built(self._clock())
        self._last_request_bytes = len(request.content)
        request.extensions["trace"] = self._phases.trace

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
        self._phases = HttpTrace(self._clock)
        reply: list[str] = []
        arrivals = TokenArrivals()
        chunks = 0
        usage: Usage | None = None
        metrics: dict[str, Any] | None = None
        error: str | None = None
        lines = 0
        sent = self._clock()
        try:
            # The raw event stream, read line by line: the SDK builds a model for every
            # chunk, 23x the cost of reading the dict (benchmarks/bench_stream.py), at
            # one chunk a token; and its models hide the fields vLLM adds.
            async with self._client.chat.completions.with_streaming_response.create(
                model=model,
                # the messages go as they are, in the extra body: the SDK's transform of
                # typed params walked every part and cost ~14 ms a turn over json.dumps
                # at 8 screenshots (benchmarks/bench_fidelity.py: building the request)
                messages=cast(list[ChatCompletionMessageParam], []),
                max_tokens=max_tokens,
                stream=True,
                # usage in every chunk: its completion_tokens tells each token's arrival
                stream_options=cast(  # vLLM's own option: not in the SDK's type
                    ChatCompletionStreamOptionsParam,
                    {"include_usage": True, "continuous_usage_stats": True},
                ),
                extra_body={**(extra_body or {}), "messages": messages},
            ) as response:
                event = ""
                async for line in response.iter_lines():
                    # THE CLOCK: read once per event line, as soon as its bytes are in and
                    # before its JSON is decoded (the SDK hands over whole lines; its
                    # parsed chunks would add the model building to every token)
                    now = self._clock()
                    if not line or line.startswith(":"):  # SSE comments: keep-alives
                        continue
                    if line.startswith("event:"):
                        event = line[len("event:") :].strip()
                        continue
                    if not line.startswith("data:"):
                        continue
                    data = line[len("data:") :].strip()
                    if data == "[DONE]":
                        break
                    chunk = _decode(data)
                    failed = _stream_error(chunk, event)
                    if failed is not None:
                        error = failed
                        break
                    lines += 1
                    if lines % YIELD_EVERY_CHUNKS == 0:
                        await asyncio.sleep(0)  # buffered chunks: let the loop breathe
                    choices = chunk.get("choices") or []
                    delta = choices[0].get("delta") or {} if choices else {}
                    text = delta.get("content") or ""
                    reasoning = delta.get("reasoning_content") or delta.get("reasoning")
                    tools = delta.get("tool_calls")
                    if text or reasoning or tools:
                        chunks += 1
                        arrivals.content(now, bool(text), bool(reasoning), bool(tools))
                        if text:
                            reply.append(text)
                            if on_text is not None:
                                on_text(text)
                    raw_usage = chunk.get("usage")
                    if isinstance(raw_usage, dict):
                        if choices:  # a token's chunk (the last, choices-less, sums up)
                            arrivals.counted(now, raw_usage.get("completion_tokens"))
                        usage = _usage(raw_usage)
                        found = chunk.get("metrics")
                        metrics = found if isinstance(found, dict) else metrics
        except _TIMEOUTS as timed_out:  # mid-stream: the HTTP client's own, not the SDK's
            error = timeout_message(timed_out, self.stall_timeout_s)
        except _FAILURES as failure:
            error = _error_message(failure, self._had_key, self.stall_timeout_s)
            if reply and LOST_THE_SERVER in error:
                error = f"{CLOSED_MID_ANSWER} ({error})"
        if error is None and usage is None:
            error = "the stream ended without usage: is this a vLLM server?"
        times = replace(arrivals.times(sent, self._clock(), chunks), http=self._phases.phases(sent))
        return ChatOutcome(times, usage, "".join(reply), self._last_request_bytes, metrics, error)


class HttpTrace:
    """The HTTP client's trace events of one request (httpcore's `trace` extension):
    when it was built, connected, sent, and when the server's response started."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self.at: dict[str, float] = {}

    def built(self, at_s: float) -> None:
        self.at["built"] = at_s

    async def trace(self, event: str, info: dict[str, Any]) -> None:
        """Keeps the first reading of each event (`http11.send_request_body.complete`)."""
        self.at.setdefault(event.split(".", 1)[-1], self._clock())

    def phases(self, sent_s: float) -> HttpPhases | None:
        """Returns the phases, or None when the client reported no trace."""
        at = self.at
        needed = ("built", "send_request_headers.started", "send_request_body.complete")
        if not all(name in at for name in needed) or "receive_response_headers.complete" not in at:
            return None
        connect = at.get("connect_tcp.complete", 0.0) - at.get("connect_tcp.started", 0.0)
        return HttpPhases(
            build_s=at["built"] - sent_s,
            connect_s=connect,
            upload_s=at["send_request_body.complete"] - at["send_request_headers.started"],
            wait_s=at["receive_response_headers.complete"] - at["send_request_body.complete"],
        )


class TokenArrivals:
    """When the reply's tokens arrived: by usage.completion_tokens where each chunk
    carries it, else by the chunks with content; and the first text, reasoning, tool call."""

    def __init__(self) -> None:
        self.counted_chunks: list[tuple[float, int]] = []
        self.content_chunks: list[float] = []
        self.tokens = 0
        self.first_text: float | None = None
        self.first_reasoning: float | None = None
        self.first_tool_call: float | None = None

    def counted(self, at_s: float, completion_tokens: object) -> None:
        """A chunk whose usage says `completion_tokens` so far (the role chunk says 0)."""
        if isinstance(completion_tokens, int) and completion_tokens > self.tokens:
            self.counted_chunks.append((at_s, completion_tokens - self.tokens))
            self.tokens = completion_tokens

    def content(self, at_s: float, text: bool, reasoning: bool, tools: bool) -> None:
        """A chunk with text, reasoning content or a tool call."""
        self.content_chunks.append(at_s)
        if text and self.first_text is None:
            self.first_text = at_s
        if reasoning and self.first_reasoning is None:
            self.first_reasoning = at_s
        if tools and self.first_tool_call is None:
            self.first_tool_call = at_s

    def times(self, sent_s: float, done_s: float, chunks: int) -> StreamTimes:
        """Returns the stream's times: by usage when chunks carried it, else by content."""
        firsts = (self.first_text, self.first_reasoning, self.first_tool_call)
        if self.counted_chunks:
            first, last = self.counted_chunks[0][0], self.counted_chunks[-1][0]
            return StreamTimes(
                sent_s,
                first,
                last,
                done_s,
                chunks,
                tuple(self.counted_chunks),
                TTFT_BY_USAGE,
                *firsts,
            )
        first_content = self.content_chunks[0] if self.content_chunks else None
        last_content = self.content_chunks[-1] if self.content_chunks else None
        return StreamTimes(
            sent_s, first_content, last_content, done_s, chunks, (), TTFT_BY_CONTENT, *firsts
        )


def _decode(data: str) -> dict[str, Any]:
    """Returns one event's JSON object; a broken one is an error object of its own."""
    try:
        chunk = json.loads(data)
    except ValueError:
        return {"error": {"message": f"the server sent a broken event: {data[:80]!r}"}}
    return chunk if isinstance(chunk, dict) else {"error": {"message": "an event not an object"}}


def _stream_error(chunk: dict[str, Any], event: str) -> str | None:
    """Returns the server's message when an event reports an error mid-stream."""
    found = chunk.get("error")
    if found is None and event != "error":
        return None
    message = found.get("message") if isinstance(found, dict) else found
    return f"the server failed the turn mid-stream: {message or chunk}"


def _usage(raw: dict[str, Any]) -> Usage:
    details = raw.get("prompt_tokens_details")
    details = details if isinstance(details, dict) else {}
    cached = details.get("cached_tokens")
    media = details.get("multimodal_tokens")
    image = media.get("image") if isinstance(media, dict) else None
    return Usage(
        prompt_tokens=int(raw.get("prompt_tokens") or 0),
        completion_tokens=int(raw.get("completion_tokens") or 0),
        cached_tokens=int(cached) if isinstance(cached, int) else None,
        image_tokens=int(image) if isinstance(image, int) else None,
    )
