"""The console's first scrape, started before the UI is imported.

Importing Textual and the console's widgets takes a few hundred milliseconds; the
server's identity and first /metrics page take a few round trips. `ScrapeAhead` runs
that first scrape in a thread, on its own event loop and connections, while the
console loads; the console's first `observe()` then takes its result (or its error)
instead of starting from nothing, or, when it is done by the time the console
screen mounts, the screen takes it from `ready()` and the first frame shows it.
Later ticks go to the feed as usual.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Callable

from vlmconsole.model.observation import Observation
from vlmconsole.sources.observer import Observer


class ScrapeAhead:
    """A metrics feed whose first answer was asked for before the app started."""

    def __init__(self, feed: Observer, make_observer: Callable[[], Observer]) -> None:
        self.feed = feed
        self._first: concurrent.futures.Future[Observation] | None = concurrent.futures.Future()
        self._thread = threading.Thread(
            target=self._scrape_first, args=(make_observer,), name="first-scrape", daemon=True
        )
        self._thread.start()

    def _scrape_first(self, make_observer: Callable[[], Observer]) -> None:
        first = self._first
        assert first is not None

        async def once() -> Observation:
            observer = make_observer()
            try:
                return await observer.observe()
            finally:
                await observer.aclose()

        try:
            first.set_result(asyncio.run(once()))
        except BaseException as error:  # handed to the console's first observe()
            first.set_exception(error)

    def wait_s(self, timeout_s: float) -> bool:
        """Waits (bounded) for the early scrape to end; returns True when it has."""
        self._thread.join(timeout_s)
        return not self._thread.is_alive()

    def ready(self) -> Observation | None:
        """Returns the early scrape's result if it is in (once), else None.

        A scrape that failed is not taken here: the first `observe()` raises its error.
        """
        first = self._first
        if first is None or not first.done() or first.exception() is not None:
            return None
        self._first = None
        return first.result()

    async def observe(self) -> Observation:
        """Returns the early scrape's result the first time, then scrapes as the feed does.

        When the early scrape failed, the feed scrapes again: its error (or its success,
        when the server came up meanwhile) is the console's to show, in the feed's words.
        """
        first, self._first = self._first, None
        if first is not None:
            try:
                return await asyncio.wrap_future(first)
            except Exception:  # noqa: BLE001 - the feed's own scrape says what is wrong
                pass
        return await self.feed.observe()

    async def aclose(self) -> None:
        """Closes the feed's connections (the early scrape closed its own)."""
        await self.feed.aclose()
