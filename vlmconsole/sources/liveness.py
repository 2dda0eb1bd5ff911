"""Is the server still there? A short /health probe, asked while a turn is in flight.

A vLLM killed mid-answer can leave the turn's connection open (its engine process
holds the sockets), so the stream would only fail after the whole stall timeout.
The turn engine has this probe watch each turn in flight (`gone_during`): a refused
connection, or several probes in a row that get no answer, mean the server is gone.
"""

from __future__ import annotations

import asyncio
from asyncio import FIRST_COMPLETED
from typing import Any

from vlmconsole.settings import ApiKey
from vlmconsole.sources.endpoint import Endpoint
from vlmconsole.sources.server_identity import ServerSource
from vlmconsole.sources.source_errors import ServerUnreachable, SourceError

PROBE_EVERY_S = 0.5
"""Seconds between liveness probes while a turn is in flight."""
PROBE_TIMEOUT_S = 2.0
"""How long one probe waits for /health: the API server answers it at once, even busy."""
MISSES_BEFORE_GONE = 3
"""Probes in a row that time out before the server counts as gone (a loaded server may
answer slowly; a refused or dropped connection counts at once)."""


class LivenessProbe:
    """Asks /health; says when the server is gone. Close it when done."""

    def __init__(self, endpoint: Endpoint, api_key: ApiKey | None) -> None:
        self._server = ServerSource(endpoint, api_key, PROBE_TIMEOUT_S, keep_alive=False)
        self._misses = 0

    async def aclose(self) -> None:
        """Closes the HTTP connections."""
        await self._server.aclose()

    def reset(self) -> None:
        """Forgets earlier misses (a new turn starts)."""
        self._misses = 0

    async def gone(self) -> str | None:
        """Returns why the server counts as gone, or None while it answers.

        Any HTTP answer, even an error status, means a live server; a refused
        connection, or one dropped without an answer, means gone at once; a probe that
        times out counts as a miss.
        """
        try:
            await self._server.health()
        except ServerUnreachable as error:
            if "refused" in error.cause:
                return "the server went away mid-turn: connection refused"
            if "connection broke" in error.cause:  # accepted, then dropped unanswered
                return f"the server went away mid-turn ({error.cause})"
            self._misses += 1
            if self._misses >= MISSES_BEFORE_GONE:
                return f"the server stopped answering mid-turn ({error.cause})"
            return None
        except SourceError:
            pass  # it answered, with something odd: still there
        self._misses = 0
        return None

    async def gone_during(self, task: asyncio.Future[Any]) -> str | None:
        """Waits for `task` (a turn's stream), probing the server every PROBE_EVERY_S.

        Returns why the server counts as gone, with `task` still running, or None once
        `task` is done. Earlier misses are forgotten first.
        """
        self.reset()
        while not task.done():
            finished, _ = await asyncio.wait({task}, timeout=PROBE_EVERY_S)
            if finished:
                return None
            probe = asyncio.create_task(self.gone())
            try:
                either: set[asyncio.Future[Any]] = {task, probe}
                first, _ = await asyncio.wait(either, return_when=FIRST_COMPLETED)
            finally:
                if not probe.done():
                    probe.cancel()
            if task in first:
                return None
            reason = probe.result()
            if reason is not None:
                return reason
        return None
