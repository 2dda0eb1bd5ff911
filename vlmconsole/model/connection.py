"""Where the console stands with the server, and when it tries again."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Link(Enum):
    """Where the console stands with the server."""

    CONNECTING = "connecting"
    LIVE = "live"
    LOST = "lost"
    """No answer: refused, timed out, dropped."""
    BROKEN = "broken"
    """The server answers, but not usably: a refused key, no /metrics, not vLLM's."""


@dataclass(frozen=True, slots=True)
class Connection:
    """The link to the server and how fresh the data is."""

    link: Link = Link.CONNECTING
    last_ok_at_s: float | None = None
    """Clock reading of the last good scrape."""
    error: str | None = None
    """Why the last scrape failed, one line."""
    failures: int = 0
    """Failed scrapes in a row."""
    retry_at_s: float | None = None

    def age_s(self, now_s: float) -> float | None:
        """Returns how old the data on screen is, or None before any good scrape."""
        return None if self.last_ok_at_s is None else max(0.0, now_s - self.last_ok_at_s)


def retry_delay_s(failures: int, interval_s: float, cap_s: float = 30.0) -> float:
    """Returns the wait before the next try after `failures` failures in a row.

    Doubles from the scrape interval up to `cap_s`: 1, 2, 4, 8, 16, 30, 30 ...
    """
    if failures <= 0:
        return interval_s
    return min(cap_s, interval_s * 2.0 ** (failures - 1))


def connection_ok(now_s: float) -> Connection:
    """Returns the connection after a good scrape."""
    return Connection(Link.LIVE, now_s, None, 0, None)


def connection_failed(
    previous: Connection, error: str, now_s: float, interval_s: float, answered: bool = False
) -> Connection:
    """Returns the connection after a failed scrape, with its next try scheduled.

    `answered`: the server answered, but not usably (BROKEN, not LOST).
    """
    failures = previous.failures + 1
    if answered:
        link = Link.BROKEN
    elif previous.last_ok_at_s is not None or failures > 1:
        link = Link.LOST
    else:
        link = Link.CONNECTING
    return Connection(
        link,
        previous.last_ok_at_s,
        error,
        failures,
        now_s + retry_delay_s(failures, interval_s),
    )
