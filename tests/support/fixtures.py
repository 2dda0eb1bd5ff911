"""Loads the /metrics fixtures in tests/fixtures/metrics."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from vlmconsole.model.rates import MetricsHistory
from vlmconsole.model.snapshot import MetricsSnapshot, parse_metrics

METRICS_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "metrics"


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
