"""Runs side by side: the numbers of each row by hand, the fastest named, and each other
run explained by the finding the fastest run does not have."""

from __future__ import annotations

import pytest

from tests.unit.test_findings import turn
from vlmconsole.model.finding_types import Conversation
from vlmconsole.model.findings import findings
from vlmconsole.model.run_comparison import FASTEST, ComparedRun, compare_runs


def run(label: str, records: list) -> ComparedRun:  # type: ignore[type-arg]
    return ComparedRun(label, records, findings(Conversation(records)))


def test_each_row_by_hand() -> None:
    records = [
        turn(n, ttft_s=t, request_bytes=b, image_tokens_in_request=900 * n)
        for n, t, b in ((1, 0.4, 100), (2, 0.6, 300), (3, 0.8, 500))
    ]
    (row,) = compare_runs([run("none", records)])
    assert (row.turns_ok, row.turns_failed) == (3, 0)
    assert row.mean_ttft_s == pytest.approx(0.6)
    assert row.p90_ttft_s == pytest.approx(0.76)  # linear between ranks: 0.6 + 0.8 * 0.2
    # cached 0 + 910 + 1820 of 910 + 1820 + 2730 prompt tokens
    assert row.cached_share == pytest.approx(2730 / 5460)
    assert row.mean_request_bytes == pytest.approx(300)
    assert row.image_tokens_per_turn == pytest.approx(1800)
    assert row.explains == "", "one run: nothing to compare with"


def test_the_slower_run_is_explained_by_what_the_fastest_does_not_have() -> None:
    healthy = [turn(n, ttft_s=0.5) for n in (1, 2, 3)]
    slid = [turn(1, "slide:1", images=1, ttft_s=0.5)] + [
        turn(n, "slide:1", images=1, cached=0, ttft_s=1.5) for n in (2, 3)
    ]
    rows = compare_runs([run("slide:1", slid), run("none", healthy)])
    assert [r.label for r in rows] == ["slide:1", "none"], "in the runs' order"
    assert rows[1].explains == FASTEST and rows[1].explains_rule is None
    assert rows[0].explains_rule == "prefix-broken"
    assert rows[0].explains == "turn 2: the prefix cache missed 910 tokens it had"
    assert rows[0].as_json()["explains_rule"] == "prefix-broken"


def test_failed_turns_count_and_add_nothing() -> None:
    failed = turn(2, status="failed", error="boom", ttft_s=None)
    (row,) = compare_runs([run("none", [turn(1, ttft_s=0.5), failed])])
    assert (row.turns_ok, row.turns_failed, row.mean_ttft_s) == (1, 1, 0.5)


def test_without_a_finding_of_its_own_the_gap_is_put_to_the_measure_it_exceeds() -> None:
    light = [turn(n, ttft_s=0.5, image_tokens_in_request=900, run_id="a") for n in (1, 2)]
    heavy = [turn(n, ttft_s=0.9, image_tokens_in_request=900 * n, run_id="b") for n in (1, 2)]
    rows = compare_runs([run("heavy", heavy), run("light", light)])
    assert rows[1].explains == FASTEST
    assert rows[0].explains_rule == "more-image-tokens"
    assert rows[0].explains == "1.5x the image tokens a request (1,350 against light's 900)"
