"""The session in one JSON document (summary.json, and `bench --json`): each run's figures
and findings, and the runs compared. No image bytes, no replies, no credentials."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from vlmconsole.export.files import write_text_file
from vlmconsole.export.safe import safe_meta
from vlmconsole.export.summary import compared, group_runs, run_findings, run_labels, summarize
from vlmconsole.model.finding_types import ServerFacts
from vlmconsole.model.outside_text import json_ready
from vlmconsole.model.turn_record import TurnRecord

SUMMARY_VERSION = 1


def summary_document(
    records: Sequence[TurnRecord], title: str, meta: Mapping[str, str], facts: ServerFacts
) -> dict[str, Any]:
    """Returns the session's runs, findings and comparison as JSON-ready data."""
    runs = group_runs(records)
    labels = run_labels(runs)
    found = run_findings(runs, facts)
    document = {
        "version": SUMMARY_VERSION,
        "title": title,
        "meta": safe_meta(meta),
        "server": dataclasses.asdict(facts),
        "runs": [
            {
                "run": labels[run.run_id],
                **dataclasses.asdict(summarize(run)),
                "findings": [dataclasses.asdict(f) for f in found[run.run_id]],
            }
            for run in runs
        ],
        "comparison": [row.as_json() for row in compared(runs, labels, found)],
    }
    result: dict[str, Any] = json_ready(document)
    return result


def summary_json(
    records: Sequence[TurnRecord], title: str, meta: Mapping[str, str], facts: ServerFacts
) -> str:
    """Returns the summary document as indented JSON text, ending in a newline."""
    return json.dumps(summary_document(records, title, meta, facts), indent=2) + "\n"


def write_summary_json(
    records: Sequence[TurnRecord],
    path: Path,
    title: str,
    meta: Mapping[str, str],
    facts: ServerFacts,
) -> Path:
    """Writes the summary to `path` and returns `path`; raises ExportError on failure."""
    return write_text_file(path, summary_json(records, title, meta, facts))
