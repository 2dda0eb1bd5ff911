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
from vlmconsole.model.turn_record import TurnRecord

__all__ = ["ExportError", "export_all", "write_csv", "write_html_report", "write_jsonl"]

CSV_NAME = "turns.csv"
JSONL_NAME = "turns.jsonl"
REPORT_NAME = "report.html"


def export_all(
    records: Sequence[TurnRecord], folder: Path, title: str, meta: Mapping[str, str]
) -> dict[str, Path]:
    """Writes turns.csv, turns.jsonl and report.html into `folder` (created if needed).

    Returns the paths by kind: "csv", "jsonl", "html". Raises ExportError when a
    file cannot be written.
    """
    return {
        "csv": write_csv(records, folder / CSV_NAME),
        "jsonl": write_jsonl(records, folder / JSONL_NAME),
        "html": write_html_report(records, folder / REPORT_NAME, title, meta),
    }
