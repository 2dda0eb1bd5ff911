"""The journal: on disk at once, read back whole, a torn last line named."""

from __future__ import annotations

from pathlib import Path

from vlmconsole.model.turn_record import TurnRecord
from vlmconsole.sources.journal import Journal, read_journal


def record(turn: int, reply: str = "ok") -> TurnRecord:
    return TurnRecord("r", "none", turn, "", "ok", "m", "base64", reply=reply)


def test_records_are_readable_as_soon_as_appended(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.jsonl")
    journal.append(record(1))
    assert [r.turn for r in read_journal(tmp_path / "j.jsonl").records] == [1]
    journal.append(record(2))
    journal.close()
    assert [r.turn for r in read_journal(tmp_path / "j.jsonl").records] == [1, 2]


def test_unicode_line_separators_in_a_reply_survive(tmp_path: Path) -> None:
    odd = "a\u2028b\u2029c\x85d\re"
    journal = Journal(tmp_path / "j.jsonl")
    journal.append(record(1, odd))
    journal.append(record(2))
    journal.close()
    contents = read_journal(tmp_path / "j.jsonl")
    assert contents.skipped == ()
    assert [r.reply for r in contents.records] == [odd, "ok"]


def test_a_torn_last_line_is_named_and_the_rest_kept(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.jsonl")
    journal.append(record(1))
    journal.close()
    with (tmp_path / "j.jsonl").open("a") as file:
        file.write('{"run_id": "r", "turn": 2, "sta')
    contents = read_journal(tmp_path / "j.jsonl")
    assert [r.turn for r in contents.records] == [1]
    assert contents.skipped == ("line 2: torn (the console stopped mid-write)",)
