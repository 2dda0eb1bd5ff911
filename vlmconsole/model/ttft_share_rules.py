"""Findings rules on where a turn's TTFT went: preprocessing, sending the request, or
queueing behind other traffic taking most of it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from vlmconsole.model.finding_types import INFO, WARN, Conversation, Finding

if TYPE_CHECKING:
    from vlmconsole.model.turn_record import TurnRecord

PREPROCESSING_SHARE = 0.5
"""Server preprocessing (image decoding, the processor) above this share of a turn's
TTFT dominates it."""
CLIENT_SHARE = 0.3
"""The client and the transport above this share of a turn's TTFT: the bytes cost."""
QUEUE_SHARE = 0.25
"""Time in the server's queue above this share of a turn's TTFT: other traffic first."""


def _heavy(conversation: Conversation, part: str, share: float) -> list[tuple[TurnRecord, float]]:
    """Returns (turn, seconds) of the finished turns whose breakdown `part` (a
    TtftBreakdown field) is over `share` of their TTFT."""
    return [
        (r, getattr(r.breakdown, part))
        for r in conversation.done
        if r.breakdown is not None
        and getattr(r.breakdown, part) > share * r.breakdown.client_ttft_s
    ]


def where_ttft_went(conversation: Conversation) -> list[Finding]:
    """Server preprocessing, or the client and the transport, dominate the TTFT."""
    found: list[Finding] = []
    heavy_pre = [r for r, _ in _heavy(conversation, "preprocessing_s", PREPROCESSING_SHARE)]
    if heavy_pre:
        worst = max(heavy_pre, key=lambda r: r.breakdown.preprocessing_s if r.breakdown else 0)
        parts = worst.breakdown
        assert parts is not None
        found.append(
            Finding(
                "preprocessing-dominates",
                WARN,
                "image preprocessing takes most of the TTFT",
                f"{len(heavy_pre)} turn(s); turn {worst.turn}: {parts.preprocessing_s:.3f} s "
                f"of {parts.client_ttft_s:.3f} s in the server's preprocessing",
                "send each image once (transport uuid) or as a URL, or smaller (--max-side)",
                tuple(r.turn for r in heavy_pre),
            )
        )
    heavy_client = [r for r, _ in _heavy(conversation, "client_transport_s", CLIENT_SHARE)]
    if heavy_client:
        last = heavy_client[-1]
        parts = last.breakdown
        assert parts is not None
        found.append(
            Finding(
                "bytes-cost",
                INFO,
                "sending the request takes a large share of the TTFT",
                f"{len(heavy_client)} turn(s); turn {last.turn}: {parts.client_transport_s:.3f} s "
                f"of {parts.client_ttft_s:.3f} s before the server counted it"
                + (f", {last.request_bytes:,} bytes sent" if last.request_bytes else ""),
                "the uuid transport sends each screenshot's bytes once",
                tuple(r.turn for r in heavy_client),
            )
        )
    queued = [r for r, _ in _heavy(conversation, "queue_s", QUEUE_SHARE)]
    if queued:
        worst = max(queued, key=lambda r: r.breakdown.queue_s if r.breakdown else 0)
        parts = worst.breakdown
        assert parts is not None
        found.append(
            Finding(
                "queued",
                WARN,
                "turns wait in the server's queue behind other requests",
                f"{len(queued)} turn(s); turn {worst.turn}: {parts.queue_s:.3f} s of "
                f"{parts.client_ttft_s:.3f} s queued",
                "the server is busy with other traffic: fewer concurrent clients, a larger "
                "--max-num-seqs or --max-num-batched-tokens if the KV cache allows, or "
                "another replica",
                tuple(r.turn for r in queued),
            )
        )
    return found
