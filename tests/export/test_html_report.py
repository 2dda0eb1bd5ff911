"""The HTML report: one self-contained file, escaped data, three charts, every turn."""

from __future__ import annotations

import re
from dataclasses import replace
from html import escape
from pathlib import Path

from tests.export.builders import failed_turn, session
from tests.export.html_check import read_report, summary_rows, turn_rows
from vlmconsole.export.html_report import html_report, write_html_report
from vlmconsole.model.turn_record import ImageInfo
from vlmconsole.model.turn_timing import TtftBreakdown

META = {
    "server": "http://gpu-box:8000",
    "vLLM version": "0.9.1",
    "model": "Qwen/Qwen2.5-VL-3B-Instruct",
    "date": "2025-05-01",
}
ATTACK = "<script>alert(1)</script>"
BREAKDOWN_FOR_TEST = TtftBreakdown(
    client_ttft_s=0.7, client_transport_s=0.1, preprocessing_s=0.2, queue_s=0.05, prefill_s=0.35
)


def test_report_is_well_formed_with_its_charts_and_every_policy(tmp_path: Path) -> None:
    path = write_html_report(session(), tmp_path / "report.html", "Screenshots", META)
    text = path.read_text(encoding="utf-8")
    reader = read_report(text)
    assert reader.problems == [] and reader.open == []
    # TTFT by turn and against context, decode rate, cached share; where the TTFT went a run
    assert reader.svgs == 4 + 3 and text.count("<svg") == 4 + 3
    for policy in ("none", "slide:4", "chunk:4"):
        assert policy in text
    for value in META.values():
        assert escape(value) in text


def test_summary_table_by_hand() -> None:
    rows = summary_rows(read_report(html_report(session(), "t", {})))
    assert [row["policy"] for row in rows] == ["none", "slide:4", "chunk:4"]
    first = rows[0]
    assert (first["turns ok"], first["turns failed"]) == ("2", "1")
    assert (first["mean TTFT (s)"], first["last TTFT (s)"]) == ("0.600", "0.700")
    assert first["mean cached"] == "25.0%" and first["mean decode (tok/s)"] == "21.5"
    assert first["image tokens / image"] == "833.3"


def test_a_run_where_every_turn_failed_is_reported() -> None:
    failed = [failed_turn("r3", "chunk:4", n, "timed out after 60 s") for n in (1, 2)]
    reader = read_report(html_report(failed, "t", {}))
    assert reader.problems == [] and reader.svgs == 4 + 1
    [summary] = summary_rows(reader)
    assert (summary["turns ok"], summary["turns failed"], summary["mean TTFT (s)"]) == (
        "0",
        "2",
        "–",
    )
    turns = turn_rows(reader)
    assert [row["reply / error"] for row in turns] == ["timed out after 60 s"] * 2
    assert all(row["status"] == "failed" and row["TTFT (s)"] == "–" for row in turns)


def test_breakdown_shows_its_four_parts() -> None:
    turns = turn_rows(read_report(html_report(session(), "t", {})))
    second = next(row for row in turns if row["run"] == "none" and row["turn"] == "2")
    parts = ("client + transport (s)", "server preprocessing (s)", "queue (s)", "prefill (s)")
    assert [second[name] for name in parts] == ["0.100", "0.200", "0.050", "0.350"]
    assert second["TTFT (s)"] == "0.700" and second["cached"] == "50.0%"
    assert second["new images"] == "shot-2.png, shot-3.png"
    first = next(row for row in turns if row["run"] == "none" and row["turn"] == "1")
    assert [first[name] for name in parts] == ["–"] * 4
    assert first["decode (tok/s)"] == "25.0"  # the server's rate wins over the client's


def test_record_and_meta_text_is_escaped() -> None:
    records = session()
    records[0] = replace(records[0], new_images=(ImageInfo(ATTACK, "d" * 64, 1, 1, 1),))
    records[2] = replace(records[2], error=ATTACK)
    records[3] = replace(records[3], policy=ATTACK, reply=ATTACK)
    text = html_report(records, ATTACK, {"note": ATTACK, ATTACK: "x"})
    assert ATTACK not in text
    assert "<script" not in text.lower()
    assert escape(ATTACK) in text
    reader = read_report(text)
    assert reader.problems == [] and "script" not in reader.tags


def test_nothing_loads_from_the_net() -> None:
    text = html_report(session(), "Screenshots", META)
    own = text.replace(escape(META["server"]), "")
    assert "http://" not in own and "https://" not in own
    assert re.search(r"(src|href)\s*=|url\(|@import|xlink:href", own, re.IGNORECASE) is None
    assert "<link" not in own and "<script" not in own


def test_credentials_in_meta_are_dropped() -> None:
    meta = {
        **META,
        "api_key": "sk-live-123",
        "Auth-Token": "tok-456",
        "client_secret": "shh-789",
        "OPENAI_API_KEY": "sk-999",
    }
    text = html_report(session(), "t", meta)
    for value in ("sk-live-123", "tok-456", "shh-789", "sk-999", "api_key", "Auth-Token"):
        assert value not in text
    assert "Qwen/Qwen2.5-VL-3B-Instruct" in text


def test_no_records_still_make_a_report() -> None:
    reader = read_report(html_report([], "empty", {}))
    assert reader.problems == [] and reader.svgs == 4, "four charts, each saying it is empty"


def axis_texts(svg: str) -> list[str]:
    """Returns every text drawn in an SVG chart (its tick labels among them)."""
    import re

    return re.findall(r"<text[^>]*>([^<]*)</text>", svg)


def test_one_turn_and_a_flat_series_get_readable_distinct_ticks() -> None:
    from vlmconsole.export.charts import render_xy

    one = axis_texts(render_xy("t", "T", "x", "y", [("run", [(1037.0, 1.037)])]))
    assert {"0", "0.4", "1.2", "950", "1000", "1100"} <= set(one), one
    assert not any("1.0369999" in text or "1.037000" in text for text in one)
    flat = axis_texts(
        render_xy("t", "T", "x", "y", [("run", [(900.0 * n, 492.85) for n in (1, 2, 3)])])
    )
    assert "492.85" not in flat and {"0", "100", "500"} <= set(flat)


def test_each_run_has_its_findings_with_evidence_and_advice() -> None:
    from tests.unit.test_findings import turn

    broken = [turn(1, "slide:1", images=1), turn(2, "slide:1", images=1, cached=0)]
    report = html_report(broken, "t", {})
    section = report.split('<section id="findings">', 1)[1].split("</section>", 1)[0]
    assert "turn 2: the prefix cache missed 910 tokens it had" in section
    assert "the window slid (slide:1)" in section and "use chunk:N" in section
    assert '<li class="finding warn">' in section
    healthy = html_report([turn(1)], "t", {})
    assert "nothing stands out in these turns" in healthy


def test_runs_compared_and_where_the_ttft_went_a_bar_a_turn() -> None:
    from tests.unit.test_findings import turn

    parts = BREAKDOWN_FOR_TEST
    healthy = [turn(n, ttft_s=0.7, run_id="a", breakdown=parts) for n in (1, 2, 3)]
    slid = [turn(1, "slide:1", images=1, ttft_s=0.7, run_id="b", breakdown=parts)] + [
        turn(n, "slide:1", images=1, cached=0, ttft_s=1.5, run_id="b") for n in (2, 3)
    ]
    report = html_report(healthy + slid, "t", {})
    compared = report.split('<section id="comparison">', 1)[1].split("</section>", 1)[0]
    assert "the fastest mean TTFT" in compared
    assert "turn 2: the prefix cache missed 910 tokens it had" in compared
    where = report.split('<section id="where">', 1)[1].split("</section>", 1)[0]
    assert where.count("<svg") == 2
    first = where.split('id="where-2"', 1)[0]
    # four parts a bar, one bar a turn with a breakdown: 3 turns in the first run
    assert first.count('class="rect reactive tooltip-trigger"') == 4 * 3
    for name in ("client + transport", "server preprocessing", "queue", "prefill"):
        assert name in first
    assert "no turn with a breakdown" not in first
    assert html_report(healthy, "t", {}).count('<section id="comparison">') == 0


def test_a_run_whose_context_falls_is_drawn_as_dots_not_a_zig_zag() -> None:
    from vlmconsole.export.charts import render_xy

    points = [(1000.0, 0.5), (2000.0, 0.7), (1000.0, 0.9)]
    lines = render_xy("t", "T", "x", "y", [("slide", points)])
    dots = render_xy("t", "T", "x", "y", [("slide", points)], dots_only=frozenset({"slide"}))
    assert 'class="line reactive nofill"' in lines
    assert 'class="line reactive nofill"' not in dots and dots.count('class="dot reactive') == 3
