"""The console's first scrape, started before the UI is imported.

Importing Textual and the console's widgets takes a few hundred milliseconds; the
server's identity and first /metrics page take a few round trips. `ScrapeAhead` runs
that first scrape while the console loads: in a child process on plain http (its ~90 ms
of parsing on another core, not under the console's interpreter lock:
sources/first_scrape_child.py), else in a thread on its own event loop and connections.
The console's first `observe()` then takes its result (or its error) instead of starting
from nothing, or, when it is done by the time the console screen mounts, the screen
takes it from `ready()` and the first frame shows it. Later ticks go to the feed as usual.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import subprocess
import sys
import threading
from collections.abc import Callable

from vlmconsole.model.observation import Observation
from vlmconsole.sources.first_scrape_child import MODULE, SCRAPE_FAILED, read_pickle
from vlmconsole.sources.observer import Observer
from vlmconsole.sources.source_errors import SourceError


class ScrapeAhead:
    """A metrics feed whose first answer was asked for before the app started."""

    def __init__(
        self,
        feed: Observer,
        make_observer: Callable[[], Observer],
        child_request: bytes | None = None,
        child_timeout_s: float = 30.0,
    ) -> None:
        """With `child_request` (first_scrape_child.request_bytes), the scrape runs in a
        child process; else, or when the child cannot run, in a thread."""
        self.feed = feed
        self._first: concurrent.futures.Future[Observation] | None = concurrent.futures.Future()
        self._child = _start_child() if child_request is not None else None
        scrape: Callable[[], None] = functools.partial(self._scrape_first, make_observer)
        if self._child is not None and child_request is not None:
            scrape = functools.partial(
                self._read_child, make_observer, child_request, child_timeout_s
            )
        self._thread = threading.Thread(target=scrape, name="first-scrape", daemon=True)
        self._thread.start()

    def _read_child(
        self, make_observer: Callable[[], Observer], request: bytes, timeout_s: float
    ) -> None:
        child, first = self._child, self._first
        assert child is not None and first is not None
        try:
            out, _ = child.communicate(request, timeout=timeout_s)
        except (subprocess.TimeoutExpired, OSError):
            child.kill()
            child.wait()
            first.set_exception(SourceError("the first scrape took too long"))
            return
        if child.returncode == SCRAPE_FAILED:
            first.set_exception(SourceError("the first scrape failed"))
            return
        if child.returncode == 0:
            try:
                first.set_result(read_pickle(out))
                return
            except ValueError:
                pass
        self._scrape_first(make_observer)  # the child did not run: scrape here instead

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
        """Closes the feed's connections (the early scrape closed its own), and ends the
        child if it is still scraping."""
        child = self._child
        if child is not None and child.poll() is None:
            child.kill()
        await self.feed.aclose()


def _start_child() -> subprocess.Popen[bytes] | None:
    """Starts the first-scrape child (None when no process can be started here)."""
    try:
        return subprocess.Popen(
            [sys.executable, "-m", MODULE],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
    except OSError:
        return None
