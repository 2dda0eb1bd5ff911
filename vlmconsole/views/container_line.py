"""The header's container part: name, image:tag, state, uptime, restarts."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from vlmconsole.views import formatting as fmt

if TYPE_CHECKING:
    from vlmconsole.model.container import ContainerInfo


def container_line(info: ContainerInfo, note: str | None, now: datetime) -> str:
    """Returns the header's container part; `note` (what happened) when it is not running."""
    parts = [info.name, info.image_ref, info.state]
    if info.running:
        parts.append(f"up {fmt.uptime(info.uptime_s(now))}")
    if info.restart_count:
        parts.append(f"{info.restart_count} restarts")
    line = " · ".join(parts)
    return f"{line} ({note})" if note and not info.running else line
