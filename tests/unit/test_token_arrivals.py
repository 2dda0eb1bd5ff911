"""Every token timed: the first token by usage.completion_tokens, text or not; decode
rate and inter-token gaps from the tokens each chunk carried."""

from __future__ import annotations

import pytest

from vlmconsole.model.turn_timing import (
    TTFT_BY_CONTENT,
    TTFT_BY_USAGE,
    decode_rate,
    itl_s,
    itl_spread,
    ttft_s,
)
from vlmconsole.sources.chat import HttpTrace, TokenArrivals


def counted_stream(chunks: list[tuple[float, int, str]]) -> TokenArrivals:
    """(arrival, usage.completion_tokens so far, content) per chunk, as vLLM sends them
    with continuous_usage_stats; the first is the role chunk (0 tokens, no text)."""
    arrivals = TokenArrivals()
    for at, tokens, text in chunks:
        if text:
            arrivals.content(at, text=True, reasoning=False, tools=False)
        arrivals.counted(at, tokens)
    return arrivals


def test_tokens_that_decode_to_no_text_still_time_the_first_token() -> None:
    # the first four tokens render no text (held back by the detokenizer, or special)
    stream = [(0.30, 0, ""), (0.50, 1, ""), (0.52, 2, ""), (0.54, 3, ""), (0.56, 4, "")]
    stream += [(0.58 + 0.02 * n, 5 + n, "w") for n in range(8)]  # then 8 tokens of text
    times = counted_stream(stream).times(0.0, 0.8, chunks=8)
    assert times.ttft_source == TTFT_BY_USAGE
    assert ttft_s(times) == pytest.approx(0.50), "the first token, not the first text"
    assert times.first_text_at_s == pytest.approx(0.58)
    # 11 tokens after the first over 0.50 .. 0.72 s: 50 tok/s, not 8 text chunks' worth
    assert decode_rate(times, 12) == pytest.approx(11 / 0.22)
    assert itl_s(times, 12) == pytest.approx(0.02)


def test_a_chunk_carrying_three_tokens_counts_three() -> None:
    stream = [(0.1, 0, ""), (0.2, 1, "a"), (0.3, 2, "b"), (0.6, 5, "cde"), (0.7, 6, "f")]
    times = counted_stream(stream).times(0.0, 0.8, chunks=4)
    assert [tokens for _, tokens in times.token_chunks] == [1, 1, 3, 1]
    assert decode_rate(times, 6) == pytest.approx(5 / 0.5)
    spread = itl_spread(times)
    assert spread is not None
    # gaps per token: 0.1 (b), 0.1 x3 (c, d, e share 0.3 s), 0.1 (f): all 0.1 s
    assert (spread.p50_s, spread.p90_s, spread.max_s) == pytest.approx((0.1, 0.1, 0.1))


def test_the_itl_spread_shows_a_stall() -> None:
    stream = [(0.0, 0, "")] + [(0.1 * n, n, "x") for n in range(1, 10)] + [(2.0, 10, "y")]
    spread = itl_spread(counted_stream(stream).times(0.0, 2.1, chunks=10))
    assert spread is not None
    assert spread.p50_s == pytest.approx(0.1) and spread.max_s == pytest.approx(1.1)


def test_without_usage_per_chunk_the_first_content_chunk_is_the_first_token() -> None:
    arrivals = TokenArrivals()
    arrivals.content(0.4, text=False, reasoning=True, tools=False)
    arrivals.content(0.5, text=True, reasoning=False, tools=False)
    arrivals.content(0.9, text=True, reasoning=False, tools=False)
    arrivals.counted(1.0, None)  # no count in the chunks
    times = arrivals.times(0.0, 1.0, chunks=3)
    assert times.ttft_source == TTFT_BY_CONTENT and times.token_chunks == ()
    assert ttft_s(times) == pytest.approx(0.4)
    assert times.first_reasoning_at_s == pytest.approx(0.4)
    assert times.first_text_at_s == pytest.approx(0.5)
    assert decode_rate(times, 5) == pytest.approx(4 / 0.5), "(tokens - 1) over the span"
    assert itl_spread(times) is None


def test_a_reply_of_no_tokens_has_no_ttft() -> None:
    times = counted_stream([(0.1, 0, "")]).times(0.0, 0.2, chunks=0)
    assert ttft_s(times) is None and decode_rate(times, 0) is None


async def test_the_http_trace_splits_the_way_out() -> None:
    readings = iter([0.030, 0.031, 0.032, 0.040, 0.041, 0.200])
    trace = HttpTrace(lambda: next(readings))
    trace.built(0.015)
    for event in (
        "connection.connect_tcp.started",
        "connection.connect_tcp.complete",
        "http11.send_request_headers.started",
        "http11.send_request_body.complete",
        "http11.send_request_body.complete",  # only the first reading counts
        "http11.receive_response_headers.complete",
    ):
        await trace.trace(event, {})
    phases = trace.phases(0.0)
    assert phases is not None
    assert phases.build_s == pytest.approx(0.015) and phases.connect_s == pytest.approx(0.001)
    assert phases.upload_s == pytest.approx(0.008) and phases.wait_s == pytest.approx(0.160)
    assert HttpTrace(lambda: 0.0).phases(0.0) is None, "no trace: no phases"
