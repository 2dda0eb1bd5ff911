"""Counter increases, rates and histogram quantiles over a window of snapshots.

All functions are pure: the snapshots carry their scrape times. Counter resets
(a server restart, or an engine that came back) are handled the way Prometheus'
`increase()` handles them: a value that falls is counted from zero again.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from vlmconsole.model.snapshot import Histogram, LabelSet, MetricsSnapshot


@dataclass(frozen=True, slots=True)
class Scope:
    """Which series to read: one model, one engine, or None for all of them."""

    model_name: str | None = None
    engine: str | None = None

    def matches(self, labels: LabelSet) -> bool:
        """Returns True when a series with `labels` belongs to this scope."""
        found = dict(labels)
        if self.model_name is not None and found.get("model_name") != self.model_name:
            return False
        return self.engine is None or found.get("engine") == self.engine

    def label(self) -> str:
        """Returns a short name for the scope, such as `all` or `model m / engine 0`."""
        parts = []
        if self.model_name is not None:
            parts.append(f"model {self.model_name}")
        if self.engine is not None:
            parts.append(f"engine {self.engine}")
        return " / ".join(parts) or "all"


def scope_value(snapshot: MetricsSnapshot, key: str, scope: Scope) -> float | None:
    """Returns the sum of `key`'s series in scope, or None when the server lacks it."""
    series = snapshot.values.get(key)
    if series is None:
        return None
    return sum(v for labels, v in series.items() if scope.matches(labels))


def scope_mean(snapshot: MetricsSnapshot, key: str, scope: Scope) -> float | None:
    """Returns the mean of `key`'s series in scope (for usage fractions across engines)."""
    series = snapshot.values.get(key)
    if series is None:
        return None
    picked = [v for labels, v in series.items() if scope.matches(labels)]
    return sum(picked) / len(picked) if picked else None


def counter_increase(values: Sequence[float | None]) -> float:
    """Returns how much a counter rose over consecutive readings, across resets.

    A reading that falls means the counter restarted from zero, so it counts in
    full; a missing reading (None) is skipped.
    """
    total = 0.0
    previous: float | None = None
    for value in values:
        if value is None:
            continue
        if previous is not None:
            total += value - previous if value >= previous else value
        previous = value
    return total


def series_increase(snapshots: Sequence[MetricsSnapshot], key: str, scope: Scope) -> float | None:
    """Returns the increase of counter `key` in scope over the snapshots, or None if absent.

    Each series is followed on its own, so one engine's restart does not hide
    another engine's progress. A series that first appears after the first
    snapshot counts from zero (vLLM creates some series on first use).
    """
    if not snapshots or key not in snapshots[-1].values:
        return None
    keys: set[LabelSet] = set()
    for snap in snapshots:
        keys.update(labels for labels in snap.values.get(key, {}) if scope.matches(labels))
    total = 0.0
    first = snapshots[0].values.get(key, {})
    for labels in keys:
        readings: list[float | None] = [s.values.get(key, {}).get(labels) for s in snapshots]
        if labels not in first:
            readings.insert(0, 0.0)
        total += counter_increase(readings)
    return total


def merge_histograms(histograms: Iterable[Histogram]) -> Histogram | None:
    """Returns the sum of histograms (bucket by bucket), or None when there are none."""
    buckets: dict[float, float] = {}
    total_sum = 0.0
    total_count = 0.0
    any_seen = False
    for hist in histograms:
        any_seen = True
        for le, count in hist.buckets:
            buckets[le] = buckets.get(le, 0.0) + count
        total_sum += hist.sum
        total_count += hist.count
    if not any_seen:
        return None
    return Histogram(tuple(sorted(buckets.items())), total_sum, total_count)


def histogram_delta(start: Histogram | None, end: Histogram) -> Histogram:
    """Returns the observations between two readings of one histogram series.

    A count that fell means the series restarted, so `end` counts in full.
    """
    if start is None or end.count < start.count:
        return end
    before = dict(start.buckets)
    buckets = tuple((le, max(0.0, count - before.get(le, 0.0))) for le, count in end.buckets)
    return Histogram(buckets, max(0.0, end.sum - start.sum), end.count - start.count)


def scope_histogram(snapshot: MetricsSnapshot, key: str, scope: Scope) -> Histogram | None:
    """Returns `key`'s series in scope merged into one histogram, or None if absent."""
    series = snapshot.histograms.get(key)
    if series is None:
        return None
    return merge_histograms(h for labels, h in series.items() if scope.matches(labels))


def histogram_window(
    first: MetricsSnapshot, last: MetricsSnapshot, key: str, scope: Scope
) -> Histogram | None:
    """Returns the observations of histogram `key` in scope between two snapshots."""
    end_series = last.histograms.get(key)
    if end_series is None:
        return None
    start_series = first.histograms.get(key, {})
    deltas = [
        histogram_delta(start_series.get(labels), hist)
        for labels, hist in end_series.items()
        if scope.matches(labels)
    ]
    return merge_histograms(deltas)


def histogram_quantile(q: float, hist: Histogram) -> float | None:
    """Returns the q-quantile (0..1) of a histogram, as Prometheus' histogram_quantile does.

    Linear interpolation inside the bucket that holds the rank; a rank in the
    +Inf bucket returns the largest finite bound. None when it holds nothing.
    """
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"quantile must be within 0..1, not {q}")
    if hist.count <= 0 or not hist.buckets:
        return None
    total = hist.buckets[-1][1]
    if total <= 0:
        return None
    rank = q * total
    lower_bound = 0.0
    lower_count = 0.0
    for le, count in hist.buckets:
        if count >= rank and count > lower_count:
            if math.isinf(le):
                return lower_bound
            if lower_bound == 0.0 and le <= 0.0:
                return le
            return lower_bound + (le - lower_bound) * (rank - lower_count) / (count - lower_count)
        if not math.isinf(le):
            lower_bound = le
        lower_count = count
    return lower_bound


class MetricsHistory:
    """The recent snapshots of one server, oldest first, kept for `keep_s` seconds."""

    def __init__(self, keep_s: float = 300.0) -> None:
        self.keep_s = keep_s
        self._snapshots: deque[MetricsSnapshot] = deque()

    def add(self, snapshot: MetricsSnapshot) -> None:
        """Appends a snapshot and drops those older than `keep_s` before it."""
        if self._snapshots and snapshot.scraped_at_s < self._snapshots[-1].scraped_at_s:
            raise ValueError("snapshots must be added in scrape order")
        self._snapshots.append(snapshot)
        horizon = snapshot.scraped_at_s - self.keep_s
        while len(self._snapshots) > 2 and self._snapshots[1].scraped_at_s <= horizon:
            self._snapshots.popleft()

    @property
    def latest(self) -> MetricsSnapshot | None:
        """Returns the newest snapshot, or None before the first scrape."""
        return self._snapshots[-1] if self._snapshots else None

    def __len__(self) -> int:
        return len(self._snapshots)

    def window(self, seconds: float) -> list[MetricsSnapshot]:
        """Returns the snapshots of the last `seconds`, plus the one just before, oldest first.

        The one before the window is included so that a window as long as the
        scrape interval still spans two readings.
        """
        if not self._snapshots:
            return []
        horizon = self._snapshots[-1].scraped_at_s - seconds
        picked: list[MetricsSnapshot] = []
        for snap in reversed(self._snapshots):
            picked.append(snap)
            if snap.scraped_at_s <= horizon:
                break
        picked.reverse()
        return picked

    def all(self) -> list[MetricsSnapshot]:
        """Returns every kept snapshot, oldest first."""
        return list(self._snapshots)
