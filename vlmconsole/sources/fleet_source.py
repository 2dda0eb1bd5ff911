"""The fleet as Prometheus sees it, one refresh at a time.

A refresh is two requests whatever the fleet's size: the combined query
(model/fleet_queries.py) and the list of targets. Instances listed once stay listed
(down, or gone when Prometheus drops the target). Each instance's vLLM version is
asked of the instance itself, once, where its scrape URL answers `/version`; a
fleet behind a firewall simply shows none.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from urllib.parse import urlsplit

import httpx

from vlmconsole.model.fleet_queries import FleetQuery
from vlmconsole.model.fleet_rows import FleetReading, FleetRow, fleet_rows
from vlmconsole.model.outside_text import one_line
from vlmconsole.sources.prometheus_api import PrometheusApi

VERSION_TIMEOUT_S = 1.0
VERSION_ASKS_AT_ONCE = 16


def base_of(scrape_url: str) -> str | None:
    """Returns the server's root URL from its scrape URL (`http://h:p/metrics` -> `http://h:p`)."""
    parts = urlsplit(scrape_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    path = parts.path
    if path.endswith("/metrics"):
        path = path[: -len("/metrics")]
    return f"{parts.scheme}://{parts.netloc}{path.rstrip('/')}"


class FleetSource:
    """Reads every vLLM instance Prometheus scrapes, a refresh at a time."""

    def __init__(
        self,
        api: PrometheusApi,
        query: FleetQuery,
        ask_versions: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.api = api
        self.query = query
        self.ask_versions = ask_versions
        self.clock = clock
        self._expr = query.combined()
        self._known: set[tuple[str, str]] = set()
        self._versions: dict[str, str] = {}
        self._asked: set[str] = set()
        self._version_tasks: set[asyncio.Task[None]] = set()
        self._version_client: httpx.AsyncClient | None = None

    async def read(self, versions_within_s: float = 0.0) -> FleetReading:
        """Returns the fleet now; raises PrometheusError when Prometheus fails us.

        New instances are asked their version in the background; with
        `versions_within_s` the answers are waited for that long (`fleet --json`).
        """
        started, before = self.clock(), self.api.requests_sent
        answer, targets = await asyncio.gather(self.api.query(self._expr), self.api.targets())
        rows = fleet_rows(answer, targets, self._known, self._versions)
        self._known.update(row.key for row in rows if row.health != "gone")
        if self.ask_versions:
            self._ask_versions(rows)
            if versions_within_s > 0 and self._version_tasks:
                await asyncio.wait(list(self._version_tasks), timeout=versions_within_s)
                rows = fleet_rows(answer, targets, self._known, self._versions)
        now = self.clock()
        return FleetReading(
            rows=tuple(rows),
            at_s=now,
            wall_s=time.time(),
            requests=self.api.requests_sent - before,
            took_s=now - started,
        )

    def _ask_versions(self, rows: list[FleetRow]) -> None:
        """Asks each new, up instance for its version in the background (bounded)."""
        fresh = [
            row
            for row in rows
            if row.health == "up" and row.scrape_url and row.instance not in self._asked
        ]
        if not fresh:
            return
        if self._version_client is None:
            self._version_client = httpx.AsyncClient(timeout=VERSION_TIMEOUT_S)
        gate = asyncio.Semaphore(VERSION_ASKS_AT_ONCE)
        for row in fresh:
            self._asked.add(row.instance)
            task = asyncio.create_task(self._ask_version(row, gate))
            self._version_tasks.add(task)
            task.add_done_callback(self._version_tasks.discard)

    async def _ask_version(self, row: FleetRow, gate: asyncio.Semaphore) -> None:
        base = base_of(row.scrape_url or "")
        client = self._version_client
        if base is None or client is None:
            return
        async with gate:
            try:
                response = await client.get(f"{base}/version")
                version = response.json().get("version") if response.status_code == 200 else None
            except (httpx.HTTPError, ValueError, AttributeError):
                return  # not reachable from here: the row shows no version
        if isinstance(version, str) and version:
            self._versions[row.instance] = one_line(version)[:40]

    async def aclose(self) -> None:
        """Stops asking versions and closes the connections."""
        for task in list(self._version_tasks):
            task.cancel()
        if self._version_client is not None:
            await self._version_client.aclose()
        await self.api.aclose()
