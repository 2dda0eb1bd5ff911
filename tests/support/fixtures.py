"""Loads the fixtures in tests/fixtures: /metrics pages and a real journal."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from vlmconsole.model.rates import MetricsHistory
from vlmconsole.model.snapshot import MetricsSnapshot, parse_metrics
from vlmconsole.model.turn_record import TurnRecord, from_json

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
METRICS_DIR = FIXTURES / "metrics"
REAL_JOURNAL = FIXTURES / "journal-real-vllm.jsonl"
"""Three turns a bench journaled against the real vLLM CPU test server (see its README)."""


def metrics_page(name: str) -> str:
    """Returns the text of one fixture page, such as `vllm-v0-t0`."""
    return (METRICS_DIR / f"{name}.txt").read_text()


def snapshot(name: str, at_s: float) -> MetricsSnapshot:
    """Returns a fixture page parsed as if scraped at `at_s`."""
    return parse_metrics(metrics_page(name), at_s)


def history(*pages: tuple[str, float]) -> MetricsHistory:
    """Returns a history of fixture pages, each with its scrape time."""
    kept = MetricsHistory()
    for name, at_s in pages:
        kept.add(snapshot(name, at_s))
    return kept


def capture_log() -> dict[str, Any]:
    """Returns what scripts/capture_metrics.py sent while capturing the real pages."""
    loaded: dict[str, Any] = json.loads((METRICS_DIR / "capture-log.json").read_text())
    return loaded


def real_journal() -> list[TurnRecord]:
    """Returns the records of the real vLLM journal, in order."""
    lines = REAL_JOURNAL.read_text(encoding="utf-8").split("\n")
    return [from_json(json.loads(line)) for line in lines if line.strip()]
