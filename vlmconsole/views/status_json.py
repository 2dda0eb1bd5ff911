"""`vlmconsole status --json`: one JSON object per observation, for scripts."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from vlmconsole.model.outside_text import clean
from vlmconsole.model.server_findings import server_findings
from vlmconsole.model.server_info import ServerInfo
from vlmconsole.model.server_stats import ServerStats


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return clean(value)  # outside text: versions, model ids, labels
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple | frozenset | set):
        items = [_clean(v) for v in value]
        return sorted(items) if isinstance(value, frozenset | set) else items
    return value


def stats_dict(stats: ServerStats) -> dict[str, Any]:
    """Returns one scope's stats as JSON-ready data; absent metrics are null and listed."""
    data = dataclasses.asdict(stats)
    data["scope"] = stats.scope.label()
    data["latency"] = {k: dataclasses.asdict(v) for k, v in stats.latency.items()}
    data["requests_finished"] = dict(stats.requests_finished)
    data["not_reported"] = sorted(stats.not_reported)
    data["findings"] = [dataclasses.asdict(f) for f in server_findings(stats)]
    result: dict[str, Any] = _clean(data)
    return result


def status_dict(
    info: ServerInfo, stats: list[ServerStats], wall_time: str, error: str | None = None
) -> dict[str, Any]:
    """Returns the whole status as JSON-ready data."""
    return {
        "time": wall_time,
        "url": info.url,
        "error": error,
        "server": _clean(dataclasses.asdict(info)),
        "scopes": [stats_dict(s) for s in stats],
    }
