"""Counter increases across resets, histogram deltas and quantiles, the history window."""

from __future__ import annotations

import math

import pytest

from vlmconsole.model.rates import (
    MetricsHistory,
    Scope,
    counter_increase,
    histogram_delta,
    histogram_quantile,
    series_increase,
)
from vlmconsole.model.snapshot import Histogram, parse_metrics

INF = math.inf


def test_counter_increase_counts_a_fall_as_a_restart_from_zero() -> None:
    assert counter_increase([1000, 1500, 200, 500]) == 500 + 200 + 300


def test_counter_increase_skips_missing_readings() -> None:
    assert counter_increase([10, None, 30]) == 20
    assert counter_increase([None]) == 0


def page(value: float, engine: str = "0") -> str:
    return f'vllm:prompt_tokens_total{{engine="{engine}",model_name="m"}} {value}\n'


def test_series_increase_follows_each_engine_alone() -> None:
    snaps = [
        parse_metrics(page(100, "0") + page(1000, "1"), 0.0),
        parse_metrics(page(150, "0") + page(10, "1"), 1.0),  # engine 1 restarted
    ]
    assert series_increase(snaps, "prompt_tokens", Scope()) == 50 + 10
    assert series_increase(snaps, "prompt_tokens", Scope(engine="0")) == 50
    assert series_increase(snaps, "missing", Scope()) is None


def test_a_series_that_appears_later_counts_from_zero() -> None:
    snaps = [parse_metrics(page(100, "0"), 0.0), parse_metrics(page(150, "0") + page(7, "1"), 1.0)]
    assert series_increase(snaps, "prompt_tokens", Scope()) == 50 + 7


def hist(*buckets: tuple[float, float], total: float = 0.0) -> Histogram:
    return Histogram(tuple(buckets), total, buckets[-1][1])


def test_quantile_interpolates_inside_the_bucket_like_prometheus() -> None:
    h = hist((0.1, 0), (0.25, 10), (INF, 10))
    assert histogram_quantile(0.5, h) == pytest.approx(0.175)
    assert histogram_quantile(0.9, h) == pytest.approx(0.235)


def test_quantile_in_the_first_bucket_starts_from_zero() -> None:
    assert histogram_quantile(0.5, hist((1.0, 4), (INF, 4))) == pytest.approx(0.5)


def test_quantile_in_the_inf_bucket_is_the_largest_finite_bound() -> None:
    assert histogram_quantile(0.99, hist((1.0, 1), (2.0, 2), (INF, 10))) == 2.0


def test_quantile_of_an_empty_histogram_is_none() -> None:
    assert histogram_quantile(0.5, Histogram(((1.0, 0), (INF, 0)), 0.0, 0.0)) is None
    assert histogram_quantile(0.5, Histogram((), 0.0, 0.0)) is None


def test_quantile_outside_0_1_is_refused() -> None:
    with pytest.raises(ValueError, match="0..1"):
        histogram_quantile(1.5, hist((1.0, 1), (INF, 1)))


def test_histogram_delta_subtracts_bucket_by_bucket() -> None:
    start = Histogram(((1.0, 2), (INF, 3)), 4.0, 3)
    end = Histogram(((1.0, 5), (INF, 9)), 10.0, 9)
    assert histogram_delta(start, end) == Histogram(((1.0, 3), (INF, 6)), 6.0, 6)


def test_histogram_delta_after_a_restart_is_the_new_series() -> None:
    start = Histogram(((1.0, 50), (INF, 60)), 90.0, 60)
    end = Histogram(((1.0, 1), (INF, 2)), 2.5, 2)
    assert histogram_delta(start, end) == end


def snap_at(at_s: float) -> object:
    return parse_metrics(page(at_s), at_s)


def test_history_drops_snapshots_older_than_it_keeps() -> None:
    kept = MetricsHistory(keep_s=10)
    for t in range(0, 31):
        kept.add(parse_metrics(page(t), float(t)))
    times = [s.scraped_at_s for s in kept.all()]
    assert times[0] >= 19 and times[-1] == 30


def test_history_window_includes_the_reading_before_it() -> None:
    kept = MetricsHistory()
    for t in (0.0, 1.0, 2.0, 3.0):
        kept.add(parse_metrics(page(t), t))
    assert [s.scraped_at_s for s in kept.window(1.0)] == [2.0, 3.0]
    assert [s.scraped_at_s for s in kept.window(1.5)] == [1.0, 2.0, 3.0]


def test_history_refuses_snapshots_out_of_order() -> None:
    kept = MetricsHistory()
    kept.add(parse_metrics(page(1), 5.0))
    with pytest.raises(ValueError, match="order"):
        kept.add(parse_metrics(page(1), 4.0))
