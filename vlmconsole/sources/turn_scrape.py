"""The server's side of a turn: /metrics scraped just before it and once the server counted it.

The deltas of vLLM's per-request histograms across the two scrapes are the server's
own timing of the turn (model/turn_measurement.py derives it). vLLM counts a
request a moment after its last chunk, so the second scrape waits (briefly) until
the request count has moved.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace

from vlmconsole.model.snapshot import MetricsSnapshot
from vlmconsole.model.turn_measurement import ChatOutcome, ServerScrapes
from vlmconsole.model.turn_timing import histogram_sums
from vlmconsole.sources.chat import server_lost
from vlmconsole.sources.metrics_scrape import MetricsSource
from vlmconsole.sources.source_errors import SourceError

COUNT_WAIT_S = 2.0
"""How long to wait for the server's histograms to count a finished request."""
COUNT_POLL_S = 0.05
"""Seconds between scrapes while waiting for the count."""
NOT_ASKED = "the server's view was not asked for"
"""The record's `server_note` when the engine does not scrape around turns."""


class TurnScraper:
    """Scrapes /metrics around each turn; without a metrics source, says it was not asked."""

    def __init__(self, metrics: MetricsSource | None) -> None:
        self.metrics = metrics

    async def aclose(self) -> None:
        """Closes the metrics source's connections."""
        if self.metrics is not None:
            await self.metrics.aclose()

    async def before(self) -> ServerScrapes:
        """Returns the scrape taken just before a turn, or why there is none."""
        before, note = await self._scrape()
        return ServerScrapes(before, None, note)

    async def after(self, scrapes: ServerScrapes, outcome: ChatOutcome) -> ServerScrapes:
        """Returns `scrapes` with the scrape after the turn whose `outcome` this is.

        A finished turn: once the server counted it. A refused one: at once (a refused
        request is never counted). None after a turn that was ended (abort) or that
        lost the server: a killed vLLM's orphaned processes can keep the port open,
        and a scrape would wait its whole timeout before the turn's record is written.
        """
        if scrapes.before is None:
            return scrapes
        if outcome.error is None:
            return replace(scrapes, after=await self._counted(scrapes.before))
        if outcome.ended_as is None and not server_lost(outcome):
            after, _ = await self._scrape()
            return replace(scrapes, after=after)
        return scrapes

    async def _scrape(self) -> tuple[MetricsSnapshot | None, str | None]:
        if self.metrics is None:
            return None, NOT_ASKED
        try:
            return await self.metrics.scrape(), None
        except SourceError as error:
            return None, f"the server's /metrics could not be read ({error})"

    async def _counted(self, before: MetricsSnapshot) -> MetricsSnapshot | None:
        """Returns a scrape taken once the server counted the request (or the last one tried)."""
        start_sums = histogram_sums(before)
        deadline = time.monotonic() + COUNT_WAIT_S
        while True:
            after, _ = await self._scrape()
            sums = histogram_sums(after) if after is not None else None
            if sums is None or start_sums is None or sums.requests > start_sums.requests:
                return after
            if time.monotonic() > deadline:
                return after
            await asyncio.sleep(COUNT_POLL_S)
