"""A turn's record, derived from what was measured around it.

The turn engine (sources/turn_engine.py) measures: the stream's clock readings and
usage (a `ChatOutcome`), the server's /metrics just before the turn and once it
counted it (`ServerScrapes`), what the request carried (`TurnRequest`). These
functions only derive: the client's timings, the server's own timing and where the
TTFT went, and what each new image cost in prompt tokens.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from vlmconsole.model.server_stats import external_kv_tokens
from vlmconsole.model.snapshot import MetricsSnapshot
from vlmconsole.model.turn_record import ImageInfo, TurnRecord
from vlmconsole.model.turn_status import FAILED, OK
from vlmconsole.model.turn_timing import (
    ServerTiming,
    StreamTimes,
    Usage,
    breakdown,
    decode_rate,
    histogram_sums,
    in_flight,
    itl_s,
    itl_spread,
    new_image_tokens,
    server_timing_from_request_metrics,
    server_timing_from_sums,
    since_sent,
    tpot_s,
    ttft_s,
)

SERVER_COUNTED = "server"
"""`image_tokens_source` when vLLM reported the request's image tokens."""
PROMPT_GROWTH = "derived (prompt growth, includes this turn's words)"
"""`image_tokens_source` when the image's cost is the prompt's growth since the last turn."""


@dataclass(frozen=True, slots=True)
class ChatOutcome:
    """What one streamed request gave: timings, usage, words, or why it failed."""

    times: StreamTimes
    usage: Usage | None
    reply: str
    request_bytes: int | None
    request_metrics: Mapping[str, Any] | None
    """vLLM's per-request `metrics` object (--enable-per-request-metrics), when sent."""
    error: str | None = None
    ended_as: str | None = None
    """Set when the turn was ended before its answer (failed, cancelled, abandoned)."""


@dataclass(frozen=True, slots=True)
class TurnLabels:
    """What names a turn in the journal: its run and number, when, and what it went with."""

    run_id: str
    policy: str
    turn: int
    started_at: str
    """Wall-clock ISO 8601 time the turn started."""
    model: str
    transport: str


@dataclass(frozen=True, slots=True)
class TurnRequest:
    """What a turn's request carried, and how long it took to build."""

    new_images: tuple[ImageInfo, ...]
    """The turn's own images (their token costs not yet known)."""
    request_image_ids: tuple[str, ...]
    """Every image the request carried, earlier turns' included, in order."""
    prep_s: float


@dataclass(frozen=True, slots=True)
class ServerScrapes:
    """The server's /metrics just before a turn and once it counted the turn."""

    before: MetricsSnapshot | None = None
    after: MetricsSnapshot | None = None
    note: str | None = None
    """Why there is no scrape before the turn, when there is none."""


def ended_outcome(
    sent_at_s: float, now_s: float, words: Sequence[str], status: str, reason: str
) -> ChatOutcome:
    """Returns the outcome of a turn ended before its answer: the words heard, no usage."""
    times = StreamTimes(sent_at_s, None, None, now_s, 0)
    return ChatOutcome(times, None, "".join(words), None, None, reason, ended_as=status)


def image_tokens(
    usage: Usage | None,
    request: TurnRequest,
    known: Mapping[str, int],
    last_ok: TurnRecord | None,
) -> tuple[dict[str, int] | None, str | None]:
    """Returns each new image's prompt-token cost and where that came from.

    From the server's count of the request's image tokens when it reports one (less
    the known costs of the earlier images); else, for a single new image, from how
    much the prompt grew since the last finished turn `last_ok` (that growth holds
    this turn's words too). (None, None) when it cannot be told.
    """
    new_ids = list(dict.fromkeys(image.sha256 for image in request.new_images))
    if usage is None:
        return None, None
    if usage.image_tokens is not None:
        costs = new_image_tokens(request.request_image_ids, new_ids, usage.image_tokens, known)
        return costs, SERVER_COUNTED
    if last_ok is None or len(new_ids) != 1:
        return None, None
    if last_ok.prompt_tokens is None or last_ok.completion_tokens is None:
        return None, None
    grown = usage.prompt_tokens - last_ok.prompt_tokens - last_ok.completion_tokens
    return {new_ids[0]: grown}, PROMPT_GROWTH


def histogram_timing(
    usage: Usage | None, scrapes: ServerScrapes
) -> tuple[ServerTiming | None, str | None]:
    """Returns the server's timing of the turn from its histograms' deltas, or why not."""
    if usage is None or scrapes.before is None or scrapes.after is None:
        return None, scrapes.note
    start, end = histogram_sums(scrapes.before), histogram_sums(scrapes.after)
    if start is None or end is None:
        return None, "the server does not export the per-request histograms"
    return server_timing_from_sums(start, end, usage.prompt_tokens, in_flight(scrapes.before))


def turn_record(
    labels: TurnLabels,
    request: TurnRequest,
    outcome: ChatOutcome,
    scrapes: ServerScrapes,
    known_image_tokens: Mapping[str, int],
    last_ok: TurnRecord | None,
) -> TurnRecord:
    """Returns the record of one sent turn, from what was measured around it.

    `known_image_tokens` are the costs earlier turns measured (by image hash);
    `last_ok` is the conversation's last finished turn. The server's timing is
    vLLM's per-request metrics when the reply carried them, else the histogram
    deltas; the TTFT breakdown needs the deltas (only they have prefill).
    """
    usage = outcome.usage
    times = outcome.times
    completion = usage.completion_tokens if usage else 0
    costs, costs_source = image_tokens(usage, request, known_image_tokens, last_ok)
    first = ttft_s(times)
    spread = itl_spread(times)
    histograms, note = histogram_timing(usage, scrapes)
    parts = None
    if histograms is not None and first is not None:
        parts = breakdown(first, histograms)
    per_request = (
        server_timing_from_request_metrics(outcome.request_metrics)
        if outcome.request_metrics is not None
        else None
    )
    server = per_request or histograms
    external = None
    if histograms is not None and scrapes.before is not None and scrapes.after is not None:
        start, end = external_kv_tokens(scrapes.before), external_kv_tokens(scrapes.after)
        if start is not None and end is not None and end >= start:  # isolated, no restart
            external = round(end - start)
    server_decode = None
    if server is not None and server.decode_s and completion >= 2:
        server_decode = (completion - 1) / server.decode_s
    status = outcome.ended_as or (OK if outcome.error is None else FAILED)
    return TurnRecord(
        run_id=labels.run_id,
        policy=labels.policy,
        turn=labels.turn,
        started_at=labels.started_at,
        status=status,
        model=labels.model,
        transport=labels.transport,
        error=outcome.error,
        new_images=tuple(
            replace(image, tokens=costs.get(image.sha256) if costs else None)
            for image in request.new_images
        ),
        images_in_request=len(request.request_image_ids),
        request_bytes=outcome.request_bytes,
        prep_s=request.prep_s,
        http=times.http,
        ttft_s=first,
        ttft_source=times.ttft_source if first is not None else None,
        first_text_s=since_sent(times, times.first_text_at_s),
        first_reasoning_s=since_sent(times, times.first_reasoning_at_s),
        first_tool_call_s=since_sent(times, times.first_tool_call_at_s),
        decode_tok_s=decode_rate(times, completion),
        server_decode_tok_s=server_decode,
        itl_s=itl_s(times, completion),
        itl_p50_s=spread.p50_s if spread else None,
        itl_p90_s=spread.p90_s if spread else None,
        itl_max_s=spread.max_s if spread else None,
        tpot_s=tpot_s(times, completion),
        e2e_s=times.done_at_s - times.sent_at_s,
        prompt_tokens=usage.prompt_tokens if usage else None,
        cached_tokens=usage.cached_tokens if usage else None,
        new_tokens=usage.new_tokens if usage else None,
        completion_tokens=usage.completion_tokens if usage else None,
        image_tokens_in_request=usage.image_tokens if usage else None,
        new_image_tokens=sum(costs.values()) if costs else None,
        image_tokens_source=costs_source,
        external_kv_tokens=external,
        server=server,
        server_note=None if server is not None else note,
        breakdown=parts,
        reply=outcome.reply,
    )


def learned_image_tokens(record: TurnRecord) -> dict[str, int]:
    """Returns the prompt-token cost of each image the record measured, by image hash;
    nothing from a turn that failed."""
    if record.error is not None:
        return {}
    return {image.sha256: image.tokens for image in record.new_images if image.tokens is not None}


def unsent_record(labels: TurnLabels, text: str, error: str) -> TurnRecord:
    """Returns the record of a turn that could not be sent (such as an unreadable image)."""
    return TurnRecord(
        run_id=labels.run_id,
        policy=labels.policy,
        turn=labels.turn,
        started_at=labels.started_at,
        status=FAILED,
        model=labels.model,
        transport=labels.transport,
        error=error,
        reply="",
        extra={"text": text},
    )
