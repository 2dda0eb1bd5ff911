"""Session exports: CSV, JSON Lines and the HTML report.

Exports hold no image bytes and no credentials: records never carry a key, and
metadata keys that name one (key, token, secret) are dropped before writing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from vlmconsole.export.csv_export import write_csv
from vlmconsole.export.files import ExportError
from vlmconsole.export.html_report import write_html_report
from vlmconsole.export.jsonl_export import write_jsonl
from vlmconsole.export.summary_json import write_summary_json
from vlmconsole.model.finding_types import ServerFacts
from vlmconsole.model.turn_record import TurnRecord

__all__ = ["ExportError", "export_all", "write_csv", "write_html_report", "write_jsonl"]

CSV_NAME = "turns.csv"
JSONL_NAME = "turns.jsonl"
REPORT_NAME = "report.html"
SUMMARY_NAME = "summary.json"


def export_all(
    records: Sequence[TurnRecord],
    folder: Path,
    title: str,
    meta: Mapping[str, str],
    facts: ServerFacts | None = None,
) -> dict[str, Path]:
    """Writes turns.csv, turns.jsonl, report.html and summary.json into `folder`.

    The folder is created if needed. `facts` are what the server says of itself
    (max_model_len, prefix caching, the KV cache), for the findings. Returns the
    paths by kind: "csv", "jsonl", "html", "summary". Raises ExportError when a file
    cannot be written.
    """
    facts = facts or ServerFacts()
    return {
        "csv": write_csv(records, folder / CSV_NAME),
        "jsonl": write_jsonl(records, folder / JSONL_NAME),
        "html": write_html_report(records, folder / REPORT_NAME, title, meta, facts),
        "summary": write_summary_json(records, folder / SUMMARY_NAME, title, meta, facts),
    }
