"""`vlmconsole status --json`: one JSON object per observation, for scripts."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from vlmconsole.model.outside_text import json_ready
from vlmconsole.model.server_findings import server_findings
from vlmconsole.views.launch_view import launch_dict

if TYPE_CHECKING:
    from vlmconsole.model.launch_config import LaunchConfig
    from vlmconsole.model.server_info import ServerInfo
    from vlmconsole.model.server_stats import ServerStats


def stats_dict(stats: ServerStats, launch: LaunchConfig | None = None) -> dict[str, Any]:
    """Returns one scope's stats as JSON-ready data; absent metrics are null and listed."""
    data = dataclasses.asdict(stats)
    data["scope"] = stats.scope.label()
    data["latency"] = {k: dataclasses.asdict(v) for k, v in stats.latency.items()}
    data["requests_finished"] = dict(stats.requests_finished)
    data["not_reported"] = sorted(stats.not_reported)
    data["findings"] = [dataclasses.asdict(f) for f in server_findings(stats, launch)]
    result: dict[str, Any] = json_ready(data)
    return result


def status_dict(
    info: ServerInfo,
    stats: list[ServerStats],
    wall_time: str,
    error: str | None = None,
    launch: LaunchConfig | None = None,
) -> dict[str, Any]:
    """Returns the whole status as JSON-ready data."""
    return {
        "time": wall_time,
        "url": info.url,
        "error": error,
        "server": json_ready(dataclasses.asdict(info)),
        "launch": json_ready(launch_dict(launch)) if launch is not None else None,
        "scopes": [stats_dict(s, launch) for s in stats],
    }
