"""Watches one vLLM server: identity once, then health, load and /metrics on each tick."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import replace

from vlmconsole.model.observation import Observation
from vlmconsole.model.server_info import ServerInfo
from vlmconsole.settings import ApiKey
from vlmconsole.sources.endpoint import Endpoint
from vlmconsole.sources.http_get import HttpGet
from vlmconsole.sources.metrics_scrape import MetricsSource
from vlmconsole.sources.server_identity import ServerSource
from vlmconsole.sources.source_errors import MetricsUnusable, ServerUnreachable, SourceError


class Observer:
    """Polls one server. Version and models are read once, and again after any failure
    (the server that comes back may be another one)."""

    def __init__(
        self,
        endpoint: Endpoint,
        api_key: ApiKey | None,
        timeout_s: float,
        clock: Callable[[], float] = time.monotonic,
        http: HttpGet | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.server = ServerSource(endpoint, api_key, timeout_s, http=http)
        self.metrics = MetricsSource(endpoint, api_key, timeout_s, clock, http=http)
        self._identity: ServerInfo | None = None

    async def aclose(self) -> None:
        """Closes the HTTP connections (one shared `http` is closed twice: harmless)."""
        await asyncio.gather(self.server.aclose(), self.metrics.aclose())

    def ready(self) -> Observation | None:
        """Returns None: an observer has nothing in hand before it is asked."""
        return None

    async def observe(self) -> Observation:
        """Returns this tick's observation; raises a SourceError when the server fails us."""
        try:
            if self._identity is None:
                self._identity = await self.server.info()
                info = self._identity
            else:
                (healthy, detail), load = await asyncio.gather(
                    self.server.health(), self.server.load()
                )
                info = replace(self._identity, healthy=healthy, health_detail=detail, load=load)
        except BaseException:
            self._identity = None
            raise
        try:
            snapshot = await self.metrics.scrape()
        except ServerUnreachable:
            self._identity = None
            raise
        except SourceError as error:  # it answers, and says what it is: only /metrics fails
            raise MetricsUnusable(info, error) from error
        return Observation(info, snapshot)


def first_scrape_observer(endpoint: Endpoint, api_key: ApiKey | None, timeout_s: float) -> Observer:
    """Returns an observer for the first scrape: http.client, not httpx, on plain http
    (httpx would be imported during start-up; the feed's own client is made on its first
    tick); on https, the feed's own kind."""
    from vlmconsole.sources.plain_get import PlainGet

    try:
        plain = PlainGet(endpoint, api_key, timeout_s)
    except ValueError:  # https
        return Observer(endpoint, api_key, timeout_s)
    return Observer(endpoint, api_key, timeout_s, http=plain)
