"""Trend fits and predictions, against lines drawn by hand."""

from __future__ import annotations

import pytest

from vlmconsole.model.trend import fit, images_in_request, predict_ttft, trend
from vlmconsole.model.turn_record import TurnRecord
from vlmconsole.model.window_policy import WindowPolicy


def record(turn: int, ttft: float, images: int, prompt: int, new: int, decode: float) -> TurnRecord:
    return TurnRecord(
        run_id="r",
        policy="none",
        turn=turn,
        started_at="",
        status="ok",
        model="m",
        transport="base64",
        ttft_s=ttft,
        images_in_request=images,
        prompt_tokens=prompt,
        new_tokens=new,
        decode_tok_s=decode,
    )


def test_fit_recovers_an_exact_line() -> None:
    line = fit([1, 2, 3, 4], [0.7, 0.9, 1.1, 1.3], "images", "TTFT s")
    assert line is not None
    assert line.slope == pytest.approx(0.2) and line.intercept == pytest.approx(0.5)
    assert line.r2 == pytest.approx(1.0) and line.at(60) == pytest.approx(12.5)


def test_fit_needs_three_points_and_two_distinct_x() -> None:
    assert fit([1, 2], [1, 2], "x", "y") is None
    assert fit([5, 5, 5], [1, 2, 3], "x", "y") is None


def test_trend_of_a_growing_chat_and_its_prediction() -> None:
    # TTFT = 0.5 + 0.2 per image in the request; decode slows 1 ms per 1,000 tokens
    records = [
        record(n, 0.5 + 0.2 * n, n, 900 * n, 900, 1 / (0.002 + 0.001 * 900 * n / 1000))
        for n in range(1, 9)
    ]
    fits = trend(records)
    assert fits.ttft_vs_images is not None and fits.ttft_vs_images.slope == pytest.approx(0.2)
    decode = fits.decode_s_per_token_vs_context
    assert decode is not None and decode.slope == pytest.approx(1e-6)
    assert fits.ttft_vs_new_tokens is None, "new tokens are the same every turn: no fit"
    at_60 = predict_ttft(WindowPolicy(), fits, 60)
    assert at_60 is not None and at_60.ttft_s == pytest.approx(0.5 + 0.2 * 60)
    slide = predict_ttft(WindowPolicy.parse("slide:8"), fits, 60)
    assert slide is not None and slide.images_in_request == 8
    assert slide.ttft_s == pytest.approx(0.5 + 0.2 * 8)


def test_failed_turns_are_left_out_of_fits() -> None:
    records = [record(n, 1.0 * n, n, 100 * n, 100, 50) for n in range(1, 4)]
    records.append(TurnRecord("r", "none", 4, "", "failed", "m", "base64", ttft_s=99.0))
    fits = trend(records)
    assert fits.ttft_vs_images is not None and fits.ttft_vs_images.points == 3


def test_images_in_request_under_each_policy() -> None:
    assert images_in_request(WindowPolicy(), 60) == 60
    assert images_in_request(WindowPolicy.parse("slide:8"), 60) == 8
    assert images_in_request(WindowPolicy.parse("chunk:8"), 12) == 8
    assert images_in_request(WindowPolicy.parse("chunk:8"), 13) == 5


def test_a_fit_whose_ttft_falls_with_images_cannot_predict() -> None:
    falling = [record(n, 1.0 - 0.1 * n, n, 1000 * n, 900, 40.0) for n in range(1, 6)]
    prediction = predict_ttft(WindowPolicy(), trend(falling), 60)
    assert prediction is not None and prediction.ttft_s is None
    assert prediction.why_not == "TTFT fell as images were added in these turns"


def test_the_bench_summary_says_the_fit_cannot_predict_instead_of_zero() -> None:
    from vlmconsole.views.bench_view import run_summary

    falling = [record(n, 1.0 - 0.1 * n, n, 1000 * n, 900, 40.0) for n in range(1, 6)]
    text = run_summary(WindowPolicy(), falling, 60).plain
    assert "the fit cannot predict TTFT at 60 screenshots" in text
    assert "will be about" not in text
