"""The JSON Lines export reads back, record for record, through `from_json`."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from tests.export.builders import session
from vlmconsole.export.jsonl_export import write_jsonl
from vlmconsole.model.turn_record import from_json


def test_round_trip_gives_the_same_records(tmp_path: Path) -> None:
    records = session()
    path = write_jsonl(records, tmp_path / "turns.jsonl")
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(records)
    assert [from_json(json.loads(line)) for line in lines] == records


def test_replies_are_kept_and_odd_line_breaks_do_not_split_a_record(tmp_path: Path) -> None:
    reply = "Left pane:\u2028a log\u2029right pane:\x85a shell — ünïcode"
    records = [replace(session()[0], reply=reply, extra={"note": "kept"})]
    path = write_jsonl(records, tmp_path / "turns.jsonl")
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1
    assert "ünïcode" in lines[0]
    back = from_json(json.loads(lines[0]))
    assert back == records[0] and back.reply == reply


def test_no_records_make_an_empty_file(tmp_path: Path) -> None:
    assert write_jsonl([], tmp_path / "turns.jsonl").read_text(encoding="utf-8") == ""
