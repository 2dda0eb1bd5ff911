"""Per-turn measurements: TTFT, decode rate, ITL, TPOT, the server's timing, the breakdown."""

from __future__ import annotations

import pytest

from vlmconsole.model.turn_record import ImageInfo, TurnRecord, from_json, to_json
from vlmconsole.model.turn_timing import (
    HistogramSums,
    ServerTiming,
    StreamTimes,
    Usage,
    breakdown,
    decode_rate,
    itl_s,
    new_image_tokens,
    server_timing_from_request_metrics,
    server_timing_from_sums,
    tpot_s,
    ttft_s,
)

TIMES = StreamTimes(
    sent_at_s=10.0, first_token_at_s=10.8, last_token_at_s=11.8, done_at_s=11.9, content_chunks=5
)


def test_ttft_decode_itl_tpot_by_the_definitions() -> None:
    assert ttft_s(TIMES) == pytest.approx(0.8)
    # 11 tokens: 10 after the first, in 1.0 s
    assert decode_rate(TIMES, 11) == pytest.approx(10.0)
    assert itl_s(TIMES, 11) == pytest.approx(0.1)
    assert tpot_s(TIMES, 11) == pytest.approx((1.9 - 0.8) / 10)


def test_decode_is_not_measured_below_two_tokens_and_chunks_do_not_count() -> None:
    assert decode_rate(TIMES, 1) is None and itl_s(TIMES, 1) is None
    # 5 chunks carried 41 tokens: usage, not chunks, gives the rate
    assert decode_rate(TIMES, 41) == pytest.approx(40.0)


def test_no_token_means_no_ttft() -> None:
    silent = StreamTimes(1.0, None, None, 2.0, 0)
    assert ttft_s(silent) is None and decode_rate(silent, 5) is None


def test_usage_new_tokens_and_cached_fraction() -> None:
    usage = Usage(prompt_tokens=2000, completion_tokens=8, cached_tokens=1536, image_tokens=1726)
    assert usage.new_tokens == 464 and usage.cached_fraction == pytest.approx(0.768)
    assert Usage(10, 1, None, None).new_tokens is None


def sums(
    requests: float, ttft: float, queue: float, prefill: float, prompt: float
) -> HistogramSums:
    return HistogramSums(requests, ttft, queue, prefill, 0.5, prompt)


def test_server_timing_from_histogram_deltas_and_the_breakdown_adds_up() -> None:
    before = sums(4, 2.0, 0.01, 1.0, 4000)
    after = sums(5, 2.67, 0.01, 1.31, 4893)
    timing, note = server_timing_from_sums(before, after, prompt_tokens=893, in_flight_before=0)
    assert note is None and timing is not None
    assert timing.ttft_s == pytest.approx(0.67) and timing.prefill_s == pytest.approx(0.31)
    parts = breakdown(0.70, timing)
    assert parts is not None
    assert parts.client_transport_s == pytest.approx(0.03)
    assert parts.preprocessing_s == pytest.approx(0.36)
    assert sum(parts.parts().values()) == pytest.approx(0.70)


@pytest.mark.parametrize(
    ("after_requests", "prompt", "in_flight", "says"),
    [
        (6, 4893, 0, "other requests were in flight"),
        (5, 4893, 1, "other requests were in flight"),
        (4, 4893, 0, "did not count this request"),
        (5, 5000, 0, "other traffic"),
    ],
)
def test_interference_is_named_instead_of_wrong_numbers(
    after_requests: float, prompt: float, in_flight: float, says: str
) -> None:
    timing, note = server_timing_from_sums(
        sums(4, 2.0, 0.0, 1.0, 4000), sums(after_requests, 2.5, 0.0, 1.2, prompt), 893, in_flight
    )
    assert timing is None and note is not None and says in note


def test_per_request_metrics_timing() -> None:
    timing = server_timing_from_request_metrics(
        {"time_to_first_token_ms": 868.7, "generation_time_ms": 36.6, "queue_time_ms": 0.25}
    )
    assert timing == ServerTiming(0.8687, 0.00025, None, 0.0366, "per-request metrics")
    assert server_timing_from_request_metrics({"queue_time_ms": 1}) is None


def test_new_image_tokens_from_the_request_total() -> None:
    assert new_image_tokens(["a"], ["a"], 863, {}) == {"a": 863}
    assert new_image_tokens(["a", "b"], ["b"], 1726, {"a": 863}) == {"b": 863}
    assert new_image_tokens(["a", "b", "c"], ["b", "c"], 1727, {"a": 863}) == {"b": 432, "c": 432}
    assert new_image_tokens(["x", "b"], ["b"], 1726, {}) is None
    assert new_image_tokens(["a"], [], 863, {"a": 863}) == {}


def test_record_round_trips_through_json_and_keeps_unknown_keys() -> None:
    record = TurnRecord(
        run_id="r1",
        policy="slide:4",
        turn=3,
        started_at="2026-11-24T23:00:00+00:00",
        status="ok",
        model="m",
        transport="base64",
        new_images=(ImageInfo("shot.png", "ab" * 32, 1280, 720, 12345, 863),),
        ttft_s=0.7,
        server=ServerTiming(0.67, 0.0, 0.31, 0.1, "histogram deltas"),
        breakdown=breakdown(0.7, ServerTiming(0.67, 0.0, 0.31, 0.1, "histogram deltas")),
        decode_tok_s=float("inf"),
    )
    data = to_json(record)
    assert data["decode_tok_s"] is None, "JSON has no infinity"
    data["added_later"] = 1
    back = from_json(data)
    assert back.extra == {"added_later": 1}
    assert back.new_images == record.new_images and back.breakdown == record.breakdown
    assert back.server == record.server
