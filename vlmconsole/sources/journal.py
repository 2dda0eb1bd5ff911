"""The session journal: every finished or failed turn, one JSON line, on disk at once.

Each record is written, flushed and fsynced before the next turn starts, so a
console killed at any moment loses nothing that finished. Reading tolerates a
torn last line (a kill in the middle of a write) and says so.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from vlmconsole.model.turn_record import TurnRecord, from_json, to_json
from vlmconsole.sources.source_errors import SourceError

JOURNAL_NAME = "journal.jsonl"


class JournalError(SourceError):
    """The journal cannot be written or read."""


class Journal:
    """Appends turn records to `path`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._file = path.open("a", encoding="utf-8")
        except OSError as error:
            raise JournalError(f"cannot write the journal {path}: {error.strerror}") from None

    def append(self, record: TurnRecord) -> None:
        """Writes one record and makes sure it is on disk before returning."""
        line = json.dumps(to_json(record), ensure_ascii=False, separators=(",", ":"))
        try:
            self._file.write(line + "\n")
            self._file.flush()
            os.fsync(self._file.fileno())
        except OSError as error:
            raise JournalError(f"cannot write the journal {self.path}: {error.strerror}") from None

    def close(self) -> None:
        """Closes the file."""
        self._file.close()


@dataclass(frozen=True, slots=True)
class JournalContents:
    """The records of a journal, and the lines that could not be read."""

    records: tuple[TurnRecord, ...]
    skipped: tuple[str, ...]
    """One line a problem, such as "line 7: torn (the console stopped mid-write)"."""


def read_journal(path: Path) -> JournalContents:
    """Returns the journal's records; unreadable lines are skipped and named."""
    try:
        # split on "\n" only: a reply may hold U+2028 and the like, which splitlines() splits on
        lines = path.read_text(encoding="utf-8").split("\n")
        while lines and not lines[-1]:
            lines.pop()
    except FileNotFoundError:
        raise JournalError(f"no journal at {path}") from None
    except OSError as error:
        raise JournalError(f"cannot read the journal {path}: {error.strerror}") from None
    records: list[TurnRecord] = []
    skipped: list[str] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            records.append(from_json(json.loads(line)))
        except (json.JSONDecodeError, TypeError, KeyError) as error:
            torn = number == len(lines)
            why = "torn (the console stopped mid-write)" if torn else f"unreadable ({error})"
            skipped.append(f"line {number}: {why}")
    return JournalContents(tuple(records), tuple(skipped))
