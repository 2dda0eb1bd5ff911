"""The CSV export: one row a turn, numbers as numbers, empty cells for None, no formulas."""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path

from tests.export.builders import SHA_A, SHA_B, SHA_C, failed_turn, ok_turn, session
from vlmconsole.export.csv_export import CSV_COLUMNS, guard_text, write_csv
from vlmconsole.model.turn_record import ImageInfo


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def test_rows_hold_the_numbers_and_empty_cells_for_none(tmp_path: Path) -> None:
    path = write_csv(session(), tmp_path / "turns.csv")
    rows = read_rows(path)
    assert len(rows) == 6
    first, second, failed = rows[0], rows[1], rows[2]
    assert (first["run_id"], first["policy"], first["turn"], first["status"]) == (
        "r1",
        "none",
        "1",
        "ok",
    )
    assert float(first["ttft_s"]) == 0.5 and float(first["server_decode_tok_s"]) == 25.0
    assert int(first["prompt_tokens"]) == 1000 and float(first["cached_fraction"]) == 0.0
    assert int(first["request_bytes"]) == 67_000 and int(first["new_image_tokens"]) == 800
    assert first["image_labels"] == "shot-1.png" and first["image_sha256s"] == SHA_A
    assert first["server_ttft_s"] == "" and first["breakdown_prefill_s"] == ""
    assert float(second["cached_fraction"]) == 0.5
    assert second["image_labels"] == "shot-2.png;shot-3.png"
    assert second["image_sha256s"] == f"{SHA_B};{SHA_C}"
    assert float(second["server_queue_s"]) == 0.05 and float(second["server_decode_s"]) == 1.2
    assert float(second["breakdown_client_transport_s"]) == 0.1
    assert float(second["breakdown_preprocessing_s"]) == 0.2
    assert float(second["breakdown_queue_s"]) == 0.05
    assert float(second["breakdown_prefill_s"]) == 0.35
    assert failed["status"] == "failed" and failed["error"] == "server closed the stream"
    for column in ("ttft_s", "prompt_tokens", "cached_fraction", "decode_tok_s", "e2e_s"):
        assert failed[column] == ""


def test_the_header_names_units(tmp_path: Path) -> None:
    path = write_csv([], tmp_path / "empty.csv")
    assert path.read_text(encoding="utf-8").strip() == ",".join(CSV_COLUMNS)
    for name in ("ttft_s", "decode_tok_s", "request_bytes", "reply_chars", "server_prefill_s"):
        assert name in CSV_COLUMNS


def test_reply_is_counted_not_copied(tmp_path: Path) -> None:
    record = ok_turn("r1", "none", 1, reply="secret plans for the weekend")
    text = write_csv([record], tmp_path / "turns.csv").read_text(encoding="utf-8")
    assert "secret plans" not in text
    assert read_rows(tmp_path / "turns.csv")[0]["reply_chars"] == "28"


def test_formula_like_text_is_guarded_and_numbers_stay_numbers(tmp_path: Path) -> None:
    label = '=HYPERLINK("http://evil.example","click")'
    record = replace(
        failed_turn("r1", "+policy", 1, "@SUM(A1:A9)"),
        new_images=(ImageInfo(label, SHA_A, 10, 10, 100),),
        breakdown=None,
        ttft_s=None,
    )
    negative = ok_turn("r1", "none", 2, prep_s=-0.25, error="-1 tokens left")
    rows = read_rows(write_csv([record, negative], tmp_path / "turns.csv"))
    assert rows[0]["image_labels"] == "'" + label
    assert rows[0]["error"] == "'@SUM(A1:A9)" and rows[0]["policy"] == "'+policy"
    assert rows[1]["error"] == "'-1 tokens left"
    assert float(rows[1]["prep_s"]) == -0.25


def test_guard_leaves_plain_text_alone_and_strips_controls() -> None:
    assert guard_text("shot-1.png") == "shot-1.png"
    assert guard_text("\t=1+1") == "'\t=1+1"
    assert guard_text("\r=1+1") == "'=1+1"
    assert guard_text("a\x1b[31mb") == "ab", "the whole escape sequence goes, not just ESC"
