"""Per-turn measurements and where the time to first token went.

Definitions (as GuideLLM and AIPerf measure; see ../shared/DESIGN.md):
- TTFT: from just before the request is sent to the arrival of the first generated
  token. Against vLLM the console asks for usage in every chunk
  (`continuous_usage_stats`) and the first token is the first chunk whose
  `usage.completion_tokens` is 1 or more, whether it decoded to text or not
  (`ttft_source` "usage"). A server that sends no usage per chunk falls back to the
  first chunk carrying content, reasoning content or tool calls ("content"); a
  role-only first chunk is never a token.
- The first visible text, the first reasoning token and the first tool call have
  their own times.
- Decode rate: tokens after the first chunk / (last token chunk - first), the
  tokens of each chunk from the usage increments (a chunk of 3 tokens counts 3);
  without usage per chunk, (completion_tokens - 1) over the content chunks' span.
  Not measured below 2 tokens.
- ITL: each token chunk's gap since the one before, shared by the tokens it
  carries; the mean, p50, p90 and max of those. TPOT: (e2e - TTFT) / (tokens - 1).
- The server's timing of a turn comes from vLLM's per-request metrics when the
  response carries them, else from the deltas of its histogram `_sum`s across
  the turn, valid only when this was the only request in flight.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from vlmconsole.model.rates import Scope, scope_histogram, scope_value
from vlmconsole.model.snapshot import MetricsSnapshot


@dataclass(frozen=True, slots=True)
class StreamTimes:
    """Clock readings (seconds, one monotonic clock) of one streamed reply."""

    sent_at_s: float
    first_token_at_s: float | None
    last_token_at_s: float | None
    done_at_s: float
    content_chunks: int
    token_chunks: tuple[tuple[float, int], ...] = ()
    """Each chunk that carried tokens: its arrival and how many (from usage), in order."""
    ttft_source: str = "content"
    """"usage": the first chunk with completion tokens; "content": the first with content."""
    first_text_at_s: float | None = None
    first_reasoning_at_s: float | None = None
    first_tool_call_at_s: float | None = None
    http: HttpPhases | None = None
    """The request's way out, from the HTTP client's trace events, when it reported them."""


@dataclass(frozen=True, slots=True)
class HttpPhases:
    """Where the request's first part of the TTFT went on the client's side, in seconds:
    the client building the request (the SDK serializing the JSON body: MBs of base64),
    opening a connection (0 when one was reused), sending the headers and the body, then
    waiting until the server's response started (vLLM parses the body, renders the chat
    and, in its API server, loads the images before it answers a stream's headers)."""

    build_s: float
    connect_s: float
    upload_s: float
    wait_s: float


TTFT_BY_USAGE, TTFT_BY_CONTENT = "usage", "content"
"""How a turn's first token was told: usage.completion_tokens, or the first content."""


@dataclass(frozen=True, slots=True)
class Usage:
    """Token counts the server reported for one request."""

    prompt_tokens: int
    completion_tokens: int
    cached_tokens: int | None
    """From prompt_tokens_details; None when the server does not report it."""
    image_tokens: int | None
    """All image tokens of the request (vLLM's prompt_tokens_details.multimodal_tokens)."""

    @property
    def new_tokens(self) -> int | None:
        """Returns the prompt tokens that were not served from the prefix cache."""
        return None if self.cached_tokens is None else self.prompt_tokens - self.cached_tokens

    @property
    def cached_fraction(self) -> float | None:
        """Returns the share of the prompt served from cache, 0..1."""
        if self.cached_tokens is None or self.prompt_tokens <= 0:
            return None
        return self.cached_tokens / self.prompt_tokens


@dataclass(frozen=True, slots=True)
class ServerTiming:
    """The server's own account of one request, in seconds."""

    ttft_s: float
    """From arrival (histograms) or from scheduling (per-request metrics)."""
    queue_s: float
    prefill_s: float | None
    decode_s: float | None
    source: str
    """"per-request metrics" or "histogram deltas"."""


@dataclass(frozen=True, slots=True)
class TtftBreakdown:
    """Where the client's TTFT went; the parts add up to `client_ttft_s`."""

    client_ttft_s: float
    client_transport_s: float
    """Client TTFT minus server TTFT: sending the body, the network, the client."""
    preprocessing_s: float
    """Server TTFT minus queue and prefill: mostly image decoding and the processor."""
    queue_s: float
    prefill_s: float

    def parts(self) -> dict[str, float]:
        """Returns the parts by name, in the order they happen."""
        return {
            "client + transport": self.client_transport_s,
            "server preprocessing": self.preprocessing_s,
            "queue": self.queue_s,
            "prefill": self.prefill_s,
        }


def ttft_s(times: StreamTimes) -> float | None:
    """Returns the time to first token, or None when no token came."""
    if times.first_token_at_s is None:
        return None
    return times.first_token_at_s - times.sent_at_s


def since_sent(times: StreamTimes, at_s: float | None) -> float | None:
    """Returns seconds from sending to `at_s`, or None."""
    return None if at_s is None else at_s - times.sent_at_s


def _tokens_after_first(times: StreamTimes, completion_tokens: int) -> int:
    """Tokens that arrived after the first token chunk (by usage when it was counted)."""
    if times.token_chunks:
        return sum(tokens for _, tokens in times.token_chunks[1:])
    return completion_tokens - 1


def decode_rate(times: StreamTimes, completion_tokens: int) -> float | None:
    """Returns decoded tokens per second after the first chunk; None below 2 tokens."""
    if completion_tokens < 2 or times.first_token_at_s is None or times.last_token_at_s is None:
        return None
    span = times.last_token_at_s - times.first_token_at_s
    after = _tokens_after_first(times, completion_tokens)
    return after / span if span > 0 and after > 0 else None


def itl_s(times: StreamTimes, completion_tokens: int) -> float | None:
    """Returns the mean inter-token latency; None below 2 tokens."""
    if completion_tokens < 2 or times.first_token_at_s is None or times.last_token_at_s is None:
        return None
    after = _tokens_after_first(times, completion_tokens)
    return (times.last_token_at_s - times.first_token_at_s) / after if after > 0 else None


def token_gaps(times: StreamTimes) -> list[float]:
    """Returns one inter-token gap per token after the first chunk: a chunk's gap since
    the chunk before, shared by the tokens it carries."""
    gaps: list[float] = []
    for (before, _), (at, tokens) in zip(times.token_chunks, times.token_chunks[1:], strict=False):
        if tokens > 0:
            gaps.extend([(at - before) / tokens] * tokens)
    return gaps


def quantile(values: Sequence[float], q: float) -> float | None:
    """Returns the q-quantile of `values` (linear between ranks), or None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = q * (len(ordered) - 1)
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True, slots=True)
class ItlSpread:
    """The inter-token gaps of one reply: median, p90 and the longest, in seconds."""

    p50_s: float
    p90_s: float
    max_s: float


def itl_spread(times: StreamTimes) -> ItlSpread | None:
    """Returns the spread of the reply's inter-token gaps, or None without two token chunks."""
    gaps = token_gaps(times)
    p50, p90 = quantile(gaps, 0.5), quantile(gaps, 0.9)
    if p50 is None or p90 is None:
        return None
    return ItlSpread(p50, p90, max(gaps))


def tpot_s(times: StreamTimes, completion_tokens: int) -> float | None:
    """Returns time per output token after the first, over the whole reply."""
    first = ttft_s(times)
    if completion_tokens < 2 or first is None:
        return None
    return (times.done_at_s - times.sent_at_s - first) / (completion_tokens - 1)


def breakdown(client_ttft_s: float, server: ServerTiming) -> TtftBreakdown | None:
    """Returns where the client's TTFT went, or None when the server's timing lacks prefill."""
    if server.prefill_s is None:
        return None
    return TtftBreakdown(
        client_ttft_s=client_ttft_s,
        client_transport_s=client_ttft_s - server.ttft_s,
        preprocessing_s=server.ttft_s - server.queue_s - server.prefill_s,
        queue_s=server.queue_s,
        prefill_s=server.prefill_s,
    )


@dataclass(frozen=True, slots=True)
class HistogramSums:
    """The counts and `_sum`s of vLLM's per-request histograms at one scrape."""

    requests: float
    """e2e_request_latency_seconds count: requests finished."""
    ttft_s: float
    queue_s: float | None
    prefill_s: float | None
    decode_s: float | None
    prompt_tokens: float


def histogram_sums(snapshot: MetricsSnapshot) -> HistogramSums | None:
    """Returns the per-request histogram counts and sums of a scrape, or None if absent."""
    every = Scope()
    e2e = scope_histogram(snapshot, "e2e", every)
    ttft = scope_histogram(snapshot, "ttft", every)
    prompt = scope_value(snapshot, "prompt_tokens", every)
    if e2e is None or ttft is None or prompt is None:
        return None

    def total(key: str) -> float | None:
        found = scope_histogram(snapshot, key, every)
        return None if found is None else found.sum

    return HistogramSums(
        requests=e2e.count,
        ttft_s=ttft.sum,
        queue_s=total("queue"),
        prefill_s=total("prefill"),
        decode_s=total("decode"),
        prompt_tokens=prompt,
    )


def in_flight(snapshot: MetricsSnapshot) -> float:
    """Returns the requests running or waiting at a scrape (0 when not reported)."""
    every = Scope()
    return (scope_value(snapshot, "running", every) or 0.0) + (
        scope_value(snapshot, "waiting", every) or 0.0
    )


def server_timing_from_sums(
    before: HistogramSums, after: HistogramSums, prompt_tokens: int, in_flight_before: float
) -> tuple[ServerTiming | None, str | None]:
    """Returns the server's timing of one request from histogram deltas, or why not.

    Valid only when nothing else ran: nothing in flight before, exactly one
    request finished in between, and the prompt tokens counted are ours.
    """
    finished = after.requests - before.requests
    if in_flight_before > 0 or finished > 1:
        return None, "other requests were in flight: the server's histograms mix them"
    if finished < 1:
        return None, "the server's metrics did not count this request yet"
    if after.prompt_tokens - before.prompt_tokens != prompt_tokens:
        return None, "other traffic moved the server's token counters"

    def delta(a: float | None, b: float | None) -> float | None:
        return None if a is None or b is None else b - a

    return (
        ServerTiming(
            ttft_s=after.ttft_s - before.ttft_s,
            queue_s=delta(before.queue_s, after.queue_s) or 0.0,
            prefill_s=delta(before.prefill_s, after.prefill_s),
            decode_s=delta(before.decode_s, after.decode_s),
            source="histogram deltas",
        ),
        None,
    )


def server_timing_from_request_metrics(metrics: Mapping[str, object]) -> ServerTiming | None:
    """Returns the timing vLLM's --enable-per-request-metrics gives, or None if incomplete."""

    def seconds(key: str) -> float | None:
        value = metrics.get(key)
        return float(value) / 1000 if isinstance(value, int | float) else None

    ttft = seconds("time_to_first_token_ms")
    if ttft is None:
        return None
    return ServerTiming(
        ttft_s=ttft,
        queue_s=seconds("queue_time_ms") or 0.0,
        prefill_s=None,
        decode_s=seconds("generation_time_ms"),
        source="per-request metrics",
    )


def new_image_tokens(
    request_image_ids: Sequence[str],
    new_image_ids: Sequence[str],
    request_image_tokens: int,
    known: Mapping[str, int],
) -> dict[str, int] | None:
    """Returns the token cost of each new image, from the request's image token total.

    Images already sent in earlier turns have known costs; what is left of the
    total belongs to the new images, split evenly. None when it cannot be told
    (an image of unknown cost that is not new).
    """
    if not new_image_ids:
        return {}
    old = [i for i in request_image_ids if i not in new_image_ids]
    if any(i not in known for i in old):
        return None
    left = request_image_tokens - sum(known[i] for i in old)
    share, extra = divmod(left, len(new_image_ids))
    return {image_id: share + (1 if n < extra else 0) for n, image_id in enumerate(new_image_ids)}
