"""`vlmconsole ps`: the vLLM containers as a table, or as JSON for scripts.

Container names, images and version problems come from outside: they are shown
with `plain` (data, never markup) and leave here only as rich Text or JSON strings.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from rich.text import Text

from vlmconsole.model.container import ContainerInfo, VllmVersion
from vlmconsole.views import formatting as fmt
from vlmconsole.views.safe_text import plain

Row = tuple[ContainerInfo, VllmVersion]

COLUMNS = ("NAME", "IMAGE", "STATE", "UPTIME", "RESTARTS", "PORT", "GPUS", "VLLM")
STATE_STYLES = {"running": "green", "restarting": "yellow", "paused": "yellow"}


def port_text(info: ContainerInfo) -> str:
    """Returns where vLLM is reached: `8000 (host)` (host network), `8001->8000`, or `none`."""
    if info.host_network:
        return f"{info.vllm_port} (host)"
    port = info.host_port
    if port is None:
        return "none"
    return f"{port}->{info.vllm_port}"


def gpus_text(info: ContainerInfo) -> str:
    """Returns the GPUs the container asked for (`all`, `2`, `ids 0,1`), or `none`."""
    return " + ".join(g.describe() for g in info.gpus) if info.gpus else "none"


def state_text(info: ContainerInfo) -> str:
    """Returns the state, with the exit code when the container has stopped."""
    if info.exit_code is not None and info.state in ("exited", "dead"):
        return f"{info.state} ({info.exit_code})"
    return info.state


def version_text(version: VllmVersion) -> Text:
    """Returns the version, or why there is none, dimmed."""
    if version.version is not None:
        return plain(version.version)
    return plain(f"? {version.problem or 'unknown'}", "dim")


def _cells(info: ContainerInfo, version: VllmVersion, now: datetime) -> list[Text]:
    return [
        plain(info.name),
        plain(info.image_ref),
        plain(state_text(info), STATE_STYLES.get(info.state, "red")),
        Text(fmt.uptime(info.uptime_s(now))),
        Text(str(info.restart_count)),
        Text(port_text(info)),
        Text(gpus_text(info)),
        version_text(version),
    ]


def ps_text(rows: Sequence[Row], now: datetime) -> Text:
    """Returns the containers as a table in plain columns, a header and one line a container.

    Fixed-width columns rather than a rich Table: names stay whole (people copy them)
    and a narrow terminal wraps the lines, as `docker ps` does, instead of dropping columns.
    """
    cells = [_cells(info, version, now) for info, version in rows]
    widths = [
        max([len(column), *(row[index].cell_len for row in cells)])
        for index, column in enumerate(COLUMNS)
    ]
    out = Text()
    out.append("  ".join(c.ljust(w) for c, w in zip(COLUMNS, widths, strict=True)).rstrip(), "bold")
    for row in cells:
        out.append("\n")
        for index, (cell, width) in enumerate(zip(row, widths, strict=True)):
            out.append_text(cell)
            if index < len(row) - 1:
                out.append(" " * (width - cell.cell_len + 2))
    return out


def container_dict(info: ContainerInfo, version: VllmVersion, now: datetime) -> dict[str, Any]:
    """Returns one container as JSON-ready data (times in ISO 8601, seconds as numbers)."""
    return {
        "name": info.name,
        "id": info.short_id,
        "image": info.image,
        "tag": info.tag,
        "image_id": info.image_id,
        "state": info.state,
        "exit_code": info.exit_code,
        "started_at": info.started_at.isoformat() if info.started_at else None,
        "uptime_s": info.uptime_s(now),
        "restart_count": info.restart_count,
        "host_network": info.host_network,
        "vllm_port": info.vllm_port,
        "host_port": info.host_port,
        "url": f"http://127.0.0.1:{info.host_port}" if info.host_port is not None else None,
        "ports": [
            {
                "container_port": b.container_port,
                "protocol": b.protocol,
                "host_ip": b.host_ip,
                "host_port": b.host_port,
            }
            for b in info.ports
        ],
        "gpus": [
            {"count": g.count, "device_ids": list(g.device_ids), "driver": g.driver}
            for g in info.gpus
        ],
        "vllm_version": version.version,
        "version_via": version.via,
        "version_problem": version.problem,
    }


def ps_dict(rows: Sequence[Row], now: datetime, docker_host: str) -> dict[str, Any]:
    """Returns the whole listing as JSON-ready data."""
    return {
        "time": now.isoformat(timespec="seconds"),
        "docker_host": docker_host,
        "containers": [container_dict(info, version, now) for info, version in rows],
    }
