"""The fleet's columns, cells, totals line and JSON: what `fleet` shows of each instance.

Every cell is plain text (labels, model names and versions come from outside); a
value the instance does not export is "–".
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.text import Text

from vlmconsole.model.outside_text import json_ready
from vlmconsole.views.safe_text import plain

if TYPE_CHECKING:
    from vlmconsole.model.fleet_rows import FleetReading, FleetRow, FleetTotals

NONE = "–"


def _share(value: float | None) -> str:
    return NONE if value is None else f"{value:.0%}"


def _count(value: float | None) -> str:
    return NONE if value is None else f"{value:,.0f}"


def _rate(value: float | None) -> str:
    if value is None:
        return NONE
    return f"{value:,.0f}" if value >= 10 else f"{value:.2f}".rstrip("0").rstrip(".") or "0"


def _seconds(value: float | None) -> str:
    if value is None:
        return NONE
    return f"{value * 1000:.0f}ms" if value < 1 else f"{value:.2f}s"


@dataclass(frozen=True, slots=True)
class FleetColumn:
    """One column: the row attribute it shows and sorts by, its title, how a cell reads."""

    key: str
    title: str
    cell: Callable[[FleetRow], str]
    numeric: bool = True


def _health(row: FleetRow) -> str:
    return row.health if row.health == "up" else f"{row.health}: {row.health_detail}"


def _findings(row: FleetRow) -> str:
    if not row.findings:
        return ""
    first = row.findings[0].title
    more = f" (+{len(row.findings) - 1})" if len(row.findings) > 1 else ""
    return f"{first}{more}"


COLUMNS: tuple[FleetColumn, ...] = (
    FleetColumn("instance", "instance", lambda r: r.instance, numeric=False),
    FleetColumn("job", "job", lambda r: r.job, numeric=False),
    FleetColumn("model", "model", lambda r: r.model or NONE, numeric=False),
    FleetColumn("version", "vLLM", lambda r: r.version or NONE, numeric=False),
    FleetColumn("health", "health", _health, numeric=False),
    FleetColumn("kv_cache_usage", "KV", lambda r: _share(r.kv_cache_usage)),
    FleetColumn("running", "run", lambda r: _count(r.running)),
    FleetColumn("waiting", "wait", lambda r: _count(r.waiting)),
    FleetColumn("preemptions_per_s", "preempt/s", lambda r: _rate(r.preemptions_per_s)),
    FleetColumn("prompt_tokens_per_s", "prompt tok/s", lambda r: _rate(r.prompt_tokens_per_s)),
    FleetColumn("generation_tokens_per_s", "gen tok/s", lambda r: _rate(r.generation_tokens_per_s)),
    FleetColumn("prefix_cache_hit_rate", "prefix hit", lambda r: _share(r.prefix_cache_hit_rate)),
    FleetColumn("mm_cache_hit_rate", "mm hit", lambda r: _share(r.mm_cache_hit_rate)),
    FleetColumn("ttft_p50_s", "TTFT p50", lambda r: _seconds(r.ttft_p50_s)),
    FleetColumn("ttft_p90_s", "TTFT p90", lambda r: _seconds(r.ttft_p90_s)),
    FleetColumn("itl_p90_s", "ITL p90", lambda r: _seconds(r.itl_p90_s)),
    FleetColumn("findings", "finding", _findings, numeric=False),
)


def cells(row: FleetRow) -> list[Text]:
    """Returns the row's cells as plain text, numbers right-aligned."""
    out = []
    for column in COLUMNS:
        text = plain(column.cell(row))
        if column.numeric:
            text.justify = "right"
        if column.key == "health" and row.health != "up":
            text.stylize("bold red")
        out.append(text)
    return out


def totals_line(totals: FleetTotals, window: str) -> str:
    """Returns the fleet's totals in one line."""
    fullest = (
        ""
        if totals.kv_cache_usage_max is None
        else f" · fullest KV {totals.kv_cache_usage_max:.0%}"
    )
    down = f" ({totals.down} down)" if totals.down else ""
    return (
        f"{totals.instances} instances, {totals.up} up{down} · running {totals.running:,.0f}"
        f" · waiting {totals.waiting:,.0f} · prompt {totals.prompt_tokens_per_s:,.0f} tok/s"
        f" · generation {totals.generation_tokens_per_s:,.0f} tok/s"
        f" · preemptions {totals.preemptions_per_s:.2f}/s{fullest}"
        f" · {totals.findings} finding(s) · rates over {window}"
    )


def empty_note(prometheus: str) -> str:
    """Returns what an empty fleet means."""
    return (
        f"Prometheus at {prometheus} scrapes no vLLM server (no vllm: series in the last hour;"
        " check its scrape config, or --match)"
    )


def row_dict(row: FleetRow) -> dict[str, Any]:
    """Returns one instance as JSON-ready data."""
    data = dataclasses.asdict(row)
    data["models"] = list(row.models)
    data["model"] = row.model
    result: dict[str, Any] = json_ready(data)
    return result


def fleet_dict(
    reading: FleetReading, totals: FleetTotals, prometheus: str, window: str, wall_time: str
) -> dict[str, Any]:
    """Returns one refresh as JSON-ready data (`fleet --json`)."""
    return {
        "time": wall_time,
        "prometheus": prometheus,
        "window": window,
        "requests": reading.requests,
        "error": None,
        "note": None,
        "totals": json_ready(dataclasses.asdict(totals)),
        "instances": [row_dict(row) for row in reading.rows],
    }
