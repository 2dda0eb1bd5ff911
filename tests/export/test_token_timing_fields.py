"""The token timing of version 2 records (how the TTFT was told, the first text, the
ITL spread) reaches the journal, CSV, JSON Lines and HTML report; version 1 still loads."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from tests.export.builders import ok_turn
from tests.export.html_check import read_report, turn_rows
from vlmconsole.export.csv_export import write_csv
from vlmconsole.export.html_report import write_html_report
from vlmconsole.export.jsonl_export import write_jsonl
from vlmconsole.model.turn_record import RECORD_VERSION, from_json, to_json
from vlmconsole.model.turn_timing import HttpPhases

TIMED = {
    "ttft_source": "usage",
    "first_text_s": 0.75,
    "first_reasoning_s": 0.5,
    "itl_p50_s": 0.02,
    "itl_p90_s": 0.03,
    "itl_max_s": 0.25,
}


def test_every_export_carries_the_token_timing(tmp_path: Path) -> None:
    http = HttpPhases(build_s=0.015, connect_s=0.0, upload_s=0.003, wait_s=0.25)
    record = ok_turn("r1", "none", 1, ttft_s=0.5, http=http, **TIMED)
    with write_csv([record], tmp_path / "turns.csv").open() as file:
        (row,) = list(csv.DictReader(file))
    assert row["ttft_source"] == "usage" and float(row["first_text_s"]) == 0.75
    assert float(row["itl_p90_s"]) == 0.03 and float(row["itl_max_s"]) == 0.25
    assert row["first_tool_call_s"] == "", "no tool call: an empty cell"
    assert float(row["http_upload_s"]) == 0.003 and float(row["http_wait_s"]) == 0.25
    (line,) = write_jsonl([record], tmp_path / "turns.jsonl").read_text().splitlines()
    assert {key: json.loads(line)[key] for key in TIMED} == TIMED
    assert from_json(json.loads(line)).http == http, "the journal line reads back"
    report = write_html_report([record], tmp_path / "report.html", "t", {})
    (html_row,) = turn_rows(read_report(report.read_text()))
    assert html_row["TTFT by"] == "usage" and html_row["ITL max (s)"] == "0.250"
    assert html_row["until answered (s)"] == "0.250" and html_row["sending (s)"] == "0.003"


def test_a_version_1_journal_line_loads_with_the_new_fields_empty() -> None:
    line = to_json(ok_turn("r1", "none", 1, ttft_s=0.5))
    for key in (*TIMED, "first_tool_call_s", "http"):
        del line[key]
    line["version"] = 1
    record = from_json(line)
    assert record.version == 1 < RECORD_VERSION and record.ttft_s == 0.5
    assert record.ttft_source is None and record.itl_p90_s is None and record.extra == {}
