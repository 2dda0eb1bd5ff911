"""Fuzzing the /metrics parsing path with the real captures as seeds.

Whatever a damaged page holds, parsing never raises anything but its two clear
errors (not Prometheus text, no vLLM metric), each one line, and a snapshot it does
return is whole: every histogram has its +Inf bucket and cumulative counts.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vlmconsole.model.rates import MetricsHistory
from vlmconsole.model.server_stats import derive_stats
from vlmconsole.model.snapshot import (
    MetricsSnapshot,
    NotPrometheusText,
    NoVllmMetrics,
    parse_metrics,
)

CAPTURES = sorted((Path(__file__).resolve().parents[1] / "fixtures" / "metrics").glob("*.txt"))
PAGES = {path.name: path.read_text() for path in CAPTURES}
NOISE = ["", " ", "{", "}", '"', "=", "\\", "\n", "NaN", "+Inf", "-1", "1e999", "le", "#",
         "# TYPE x histogram", "\x00", "\x1b[2J", "é", "_bucket", "_sum", ","]  # fmt: skip
LE = re.compile(r',?le="[^"]*"')


@st.composite
def damaged_pages(draw: st.DrawFn) -> str:
    """A real capture with a few random cuts, swaps, deletions and insertions."""
    page = PAGES[draw(st.sampled_from(sorted(PAGES)))]
    for _ in range(draw(st.integers(1, 4))):
        lines = page.split("\n")
        where = draw(st.integers(0, max(0, len(lines) - 1)))
        kinds = ["cut", "drop", "dup", "insert", "swap", "char", "no_le", "le"]
        kind = draw(st.sampled_from(kinds))
        buckets = [i for i, line in enumerate(lines) if "_bucket{" in line]
        if kind in ("no_le", "le") and buckets:
            where = draw(st.sampled_from(buckets))
            new = "" if kind == "no_le" else f',le="{draw(st.sampled_from(NOISE))}"'
            lines[where] = LE.sub(new, lines[where], count=1)
            page = "\n".join(lines)
            continue
        if kind == "cut":
            page = page[: draw(st.integers(0, len(page)))]
        elif kind == "drop":
            del lines[where]
            page = "\n".join(lines)
        elif kind == "dup":
            lines.insert(where, lines[where])
            page = "\n".join(lines)
        elif kind == "insert":
            lines.insert(where, draw(st.sampled_from(NOISE)) + draw(st.text(max_size=20)))
            page = "\n".join(lines)
        elif kind == "swap":
            line = lines[where]
            if " " in line:
                head, _, _ = line.rpartition(" ")
                lines[where] = f"{head} {draw(st.sampled_from(NOISE))}"
            page = "\n".join(lines)
        elif page:
            at = draw(st.integers(0, len(page) - 1))
            page = page[:at] + draw(st.sampled_from(NOISE)) + page[at + 1 :]
    return page


def assert_whole(snapshot: MetricsSnapshot) -> None:
    for key, series in snapshot.histograms.items():
        for labels, histogram in series.items():
            bounds = [le for le, _ in histogram.buckets]
            counts = [count for _, count in histogram.buckets]
            assert bounds and bounds[-1] == math.inf, (key, labels)
            assert bounds == sorted(bounds), (key, labels)
            assert all(b >= a for a, b in zip(counts, counts[1:], strict=False)), (key, labels)


def test_every_real_capture_parses_whole() -> None:
    assert len(PAGES) >= 7
    for page in PAGES.values():
        assert_whole(parse_metrics(page, 0.0))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(damaged_pages())
def test_a_damaged_page_is_one_clear_error_or_a_whole_snapshot(page: str) -> None:
    try:
        snapshot = parse_metrics(page, 0.0)
    except (NotPrometheusText, NoVllmMetrics) as error:
        message = str(error)
        assert message and "\n" not in message and len(message) < 300, message
        return
    assert_whole(snapshot)
    history = MetricsHistory(keep_s=60.0)
    history.add(snapshot)
    derive_stats(history)  # and what the console derives from it does not raise
