"""What one scrape tick saw: the server's identity and health, and its metrics."""

from __future__ import annotations

from dataclasses import dataclass

from vlmconsole.model.server_info import ServerInfo
from vlmconsole.model.snapshot import MetricsSnapshot


@dataclass(frozen=True, slots=True)
class Observation:
    """What one tick saw: the server's identity and health, and its metrics."""

    info: ServerInfo
    snapshot: MetricsSnapshot
