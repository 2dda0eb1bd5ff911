"""Connection state, retry backoff, and the stats timeline."""

from __future__ import annotations

from tests.support.fixtures import history
from vlmconsole.model.connection import (
    Connection,
    Link,
    connection_failed,
    connection_ok,
    retry_delay_s,
)
from vlmconsole.model.server_stats import derive_stats
from vlmconsole.model.stats_timeline import StatsTimeline


def test_retry_doubles_up_to_the_cap() -> None:
    assert [retry_delay_s(n, 1.0) for n in range(0, 8)] == [1, 1, 2, 4, 8, 16, 30, 30]


def test_a_lost_server_keeps_the_age_of_its_last_data() -> None:
    live = connection_ok(100.0)
    lost = connection_failed(live, "cannot reach x: connection refused", 101.0, 1.0)
    assert lost.link is Link.LOST and lost.retry_at_s == 102.0 and lost.age_s(110.0) == 10.0
    again = connection_failed(lost, "still refused", 102.0, 1.0)
    assert again.failures == 2 and again.retry_at_s == 104.0
    assert connection_ok(104.5) == Connection(Link.LIVE, 104.5)


def test_never_reached_is_still_connecting_on_the_first_failure() -> None:
    first = connection_failed(Connection(), "refused", 1.0, 1.0)
    assert first.link is Link.CONNECTING and first.age_s(5.0) is None


def test_timeline_keeps_the_last_points_and_reads_series() -> None:
    kept = history(("vllm-v0-t0", 0.0), ("vllm-v0-t1", 10.0))
    timeline = StatsTimeline(keep=2)
    for _ in range(3):
        timeline = timeline.add(derive_stats(kept))
    assert len(timeline.points) == 2
    assert timeline.series("kv_cache_usage") == [0.75, 0.75]
    assert timeline.latency_series("ttft") == [timeline.points[0].latency["ttft"].p50_s or 0] * 2
