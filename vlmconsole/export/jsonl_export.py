"""The records as JSON Lines, the journal's own format (replies included: they are the
user's data), so an export reads back with `from_json` line by line."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

from vlmconsole.export.files import write_text_file
from vlmconsole.model.turn_record import TurnRecord, to_json

# json.dumps escapes only the controls below U+0020. These it leaves raw are escaped
# too: DEL and the C1 controls (CSI among them) so that no control byte reaches a
# terminal that shows the file, line breaks that str.splitlines() honours so that no
# reader splits one record in two, and bidi overrides. Escaped, not dropped: the
# export is the journal's format and reads back as it was.
_RAW_LEFT = re.compile("[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def jsonl_line(record: TurnRecord) -> str:
    """Returns the record as one JSON line, without the newline."""
    line = json.dumps(to_json(record), ensure_ascii=False, separators=(",", ":"))
    return _RAW_LEFT.sub(lambda found: f"\\u{ord(found.group()):04x}", line)


def jsonl_text(records: Sequence[TurnRecord]) -> str:
    """Returns one JSON object a line, each ending in a newline."""
    return "".join(jsonl_line(record) + "\n" for record in records)


def write_jsonl(records: Sequence[TurnRecord], path: Path) -> Path:
    """Writes the records to `path`, one a line, and returns `path`; raises ExportError."""
    return write_text_file(path, jsonl_text(records))
