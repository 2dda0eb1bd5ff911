"""The last derived server stats, oldest first, for the panel's sparklines."""

from __future__ import annotations

from dataclasses import dataclass

from vlmconsole.model.server_stats import ServerStats


@dataclass(frozen=True, slots=True)
class StatsTimeline:
    """The last `keep` derived stats, oldest first, for sparklines."""

    points: tuple[ServerStats, ...] = ()
    keep: int = 120

    def add(self, stats: ServerStats) -> StatsTimeline:
        """Returns the timeline with one more point (the oldest dropped past `keep`)."""
        return StatsTimeline((*self.points, stats)[-self.keep :], self.keep)

    def series(self, name: str) -> list[float]:
        """Returns one ServerStats attribute over time; missing values read as 0."""
        return [float(getattr(point, name) or 0.0) for point in self.points]

    def latency_series(self, key: str, quantile: str = "p50_s") -> list[float]:
        """Returns one latency percentile over time (such as ttft p50); missing as 0."""
        values = []
        for point in self.points:
            latency = point.latency.get(key)
            value = getattr(latency, quantile) if latency is not None else None
            values.append(float(value or 0.0))
        return values
