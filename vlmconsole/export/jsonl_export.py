"""The records as JSON Lines, the journal's own format (replies included: they are the
user's data), so an export reads back with `from_json` line by line."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from vlmconsole.export.files import write_text_file
from vlmconsole.model.turn_record import TurnRecord, to_json

# Line breaks that str.splitlines() honours but json.dumps leaves raw (it escapes only
# controls below U+0020): escaped so that no reader splits one record in two.
_LINE_BREAKS = {"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def jsonl_line(record: TurnRecord) -> str:
    """Returns the record as one JSON line, without the newline."""
    line = json.dumps(to_json(record), ensure_ascii=False, separators=(",", ":"))
    for raw, escaped in _LINE_BREAKS.items():
        line = line.replace(raw, escaped)
    return line


def jsonl_text(records: Sequence[TurnRecord]) -> str:
    """Returns one JSON object a line, each ending in a newline."""
    return "".join(jsonl_line(record) + "\n" for record in records)


def write_jsonl(records: Sequence[TurnRecord], path: Path) -> Path:
    """Writes the records to `path`, one a line, and returns `path`; raises ExportError."""
    return write_text_file(path, jsonl_text(records))
