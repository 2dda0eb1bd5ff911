"""Per-run figures of the report, checked by hand."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.export.builders import session
from vlmconsole.export.summary import group_runs, run_labels, summarize


def test_runs_keep_their_first_appearance_order() -> None:
    runs = group_runs(session())
    assert [(run.run_id, run.policy, len(run.records)) for run in runs] == [
        ("r1", "none", 3),
        ("r2", "slide:4", 1),
        ("r3", "chunk:4", 2),
    ]


def test_summary_of_a_run_with_a_failed_turn() -> None:
    first = summarize(group_runs(session())[0])
    assert (first.turns_ok, first.turns_failed) == (2, 1)
    assert first.mean_ttft_s == pytest.approx(0.6)
    assert first.last_ttft_s == pytest.approx(0.7)
    # 0 / 1000 and 1000 / 2000
    assert first.mean_cached_fraction == pytest.approx(0.25)
    # the server's 25 tok/s on turn 1, the client's 18 tok/s on turn 2
    assert first.mean_decode_tok_s == pytest.approx(21.5)
    # 800 for one image, then 1700 spread over two
    assert first.image_tokens_per_image == pytest.approx(2500 / 3)


def test_a_run_where_every_turn_failed_has_no_figures() -> None:
    failed = summarize(group_runs(session())[2])
    assert (failed.turns_ok, failed.turns_failed) == (0, 2)
    assert failed.mean_ttft_s is None and failed.last_ttft_s is None
    assert failed.mean_cached_fraction is None and failed.mean_decode_tok_s is None
    assert failed.image_tokens_per_image is None


def test_labels_add_the_run_id_only_when_policies_repeat() -> None:
    records = session()
    assert run_labels(group_runs(records)) == {"r1": "none", "r2": "slide:4", "r3": "chunk:4"}
    again = [*records, replace(records[0], run_id="r4")]
    labels = run_labels(group_runs(again))
    assert labels["r1"] == "none (r1)" and labels["r4"] == "none (r4)"
