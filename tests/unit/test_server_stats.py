"""Every derived number against values computed by hand from the fixtures."""

from __future__ import annotations

import re

import pytest

from tests.support.fixtures import capture_log, history, metrics_page
from vlmconsole.model.rates import MetricsHistory, Scope
from vlmconsole.model.server_stats import derive_stats, scopes
from vlmconsole.model.snapshot import MetricsParser, parse_metrics


def test_v0_rates_gauges_and_latency_over_ten_seconds() -> None:
    stats = derive_stats(history(("vllm-v0-t0", 100.0), ("vllm-v0-t1", 110.0)))
    assert stats.interval_s == 10.0
    assert stats.prompt_tokens_per_s == pytest.approx(2000 / 10)
    assert stats.generation_tokens_per_s == pytest.approx(500 / 10)
    assert stats.preemptions_total == 1
    assert stats.preemptions_per_s == pytest.approx(0.1)
    assert (stats.running, stats.waiting, stats.swapped) == (3, 0, 1)
    assert stats.kv_cache_usage == pytest.approx(0.75)
    # ten TTFTs of 0.2 s, all in the (0.1, 0.25] bucket
    ttft = stats.latency["ttft"]
    assert ttft.count == 10
    assert ttft.p50_s == pytest.approx(0.1 + 0.15 * 0.5)
    assert ttft.p90_s == pytest.approx(0.1 + 0.15 * 0.9)
    assert ttft.p99_s == pytest.approx(0.1 + 0.15 * 0.99)
    assert ttft.mean_s == pytest.approx(0.2)
    # the old name time_per_output_token_seconds feeds ITL: ten of 0.03 in (0.025, 0.05]
    assert stats.latency["itl"].p50_s == pytest.approx(0.025 + 0.025 * 0.5)
    # no e2e observation in the window
    assert stats.latency["e2e"].count == 0 and stats.latency["e2e"].p50_s is None
    assert dict(stats.requests_finished) == {"stop": 13, "length": 1}


def test_v0_prefix_hit_rate_comes_from_its_gauge_and_mm_cache_is_not_reported() -> None:
    stats = derive_stats(history(("vllm-v0-t0", 0.0), ("vllm-v0-t1", 10.0)))
    assert stats.prefix_cache_hit_rate_lifetime == pytest.approx(0.6)
    assert stats.prefix_cache_hit_rate is None
    assert "prefix_cache_queries" not in stats.not_reported
    assert {"mm_cache_queries", "queue", "iteration_tokens"} <= stats.not_reported
    assert stats.mm_cache_hit_rate_lifetime is None


def test_v0_kv_capacity_from_cache_config_info() -> None:
    stats = derive_stats(history(("vllm-v0-t0", 0.0)))
    capacity = stats.kv_capacity
    assert capacity is not None
    assert (capacity.block_size, capacity.num_blocks) == (16, 2000)
    assert capacity.capacity_tokens == 16 * 2000
    assert capacity.prefix_caching is True and capacity.max_concurrency is None


def test_one_scrape_gives_totals_and_lifetime_latency_but_no_rates() -> None:
    stats = derive_stats(history(("vllm-v0-t0", 0.0)))
    assert stats.interval_s is None
    assert stats.prompt_tokens_per_s is None and stats.preemptions_per_s is None
    assert stats.prompt_tokens_total == 1000
    # lifetime TTFTs 0.3, 0.3, 0.6, 0.9: rank 2 of 4 ends the (0.25, 0.5] bucket
    assert stats.latency["ttft"].count == 4
    assert stats.latency["ttft"].p50_s == pytest.approx(0.5)


def test_two_engines_are_summed_averaged_and_split() -> None:
    kept = history(("vllm-v1-0.9-t0", 0.0), ("vllm-v1-0.9-t1", 10.0))
    assert scopes(kept.all()[-1]) == [Scope(), Scope(engine="0"), Scope(engine="1")]
    both = derive_stats(kept)
    assert both.kv_cache_usage == pytest.approx((0.2 + 0.4) / 2)
    assert both.prefix_cache_hit_rate == pytest.approx((900 + 100) / 2000)
    assert both.prefix_cache_hit_rate_lifetime == pytest.approx((1100 + 1900) / (2000 + 4000))
    assert both.prompt_tokens_per_s == pytest.approx(2000 / 10)
    assert both.batch_tokens_mean == pytest.approx(300)
    engine0 = derive_stats(kept, Scope(engine="0"))
    assert engine0.kv_cache_usage == pytest.approx(0.2)
    assert engine0.prefix_cache_hit_rate == pytest.approx(0.9)
    assert engine0.prefix_cache_hit_rate_lifetime == pytest.approx(1100 / 2000)
    engine1 = derive_stats(kept, Scope(engine="1"))
    assert engine1.prefix_cache_hit_rate == pytest.approx(0.1)


def test_real_capture_totals_match_what_was_sent() -> None:
    sent = capture_log()
    stats = derive_stats(history(("vllm-0.32.0-rest", 0.0), ("vllm-0.32.0-after", 30.0)))
    requests, images = sent["requests"], sent["images_per_request"]
    assert stats.prompt_tokens_total == sent["after"]["prompt_tokens"]
    assert stats.generation_tokens_total == requests * sent["max_tokens"]
    assert stats.prompt_tokens_per_s == pytest.approx(sent["after"]["prompt_tokens"] / 30)
    assert stats.mm_cache_queries_total == requests * images
    assert stats.prefix_cache_queries_total == sent["after"]["prompt_tokens"]
    assert stats.latency["ttft"].count == requests
    assert stats.latency["itl"].count == requests * (sent["max_tokens"] - 1)
    assert stats.requests_finished["length"] == requests
    capacity = stats.kv_capacity
    assert capacity is not None and capacity.block_size == 128
    assert capacity.capacity_tokens == 2097152 and capacity.max_concurrency == 64.0
    assert stats.not_reported == frozenset()


def test_real_capture_under_pressure_shows_waiting_and_preemption() -> None:
    stats = derive_stats(history(("vllm-0.32.0-load", 0.0)))
    assert stats.waiting is not None and stats.waiting >= 1
    assert stats.preemptions_total is not None and stats.preemptions_total >= 1


def test_counter_reset_is_flagged_and_rates_stay_positive() -> None:
    kept = MetricsHistory()
    for at_s, value in ((0.0, 5000), (1.0, 5100), (2.0, 40)):
        kept.add(parse_metrics(f'vllm:prompt_tokens_total{{engine="0"}} {value}\n', at_s))
    stats = derive_stats(kept)
    assert stats.restarted
    assert stats.prompt_tokens_per_s == pytest.approx((100 + 40) / 2)


def test_metric_missing_from_the_server_is_not_reported_rather_than_zero() -> None:
    stats = derive_stats(history(("vllm-v1-0.9-t0", 0.0)))
    assert stats.mm_cache_hit_rate_lifetime is None
    assert "mm_cache_queries" in stats.not_reported
    assert "kv_cache_usage" not in stats.not_reported


def test_deriving_before_any_scrape_is_an_error() -> None:
    with pytest.raises(ValueError, match="scrape"):
        derive_stats(MetricsHistory())


def test_uptime_is_the_scrape_time_less_the_process_start() -> None:
    page = metrics_page("vllm-0.32.0-rest")
    started = next(
        float(line.split()[1])
        for line in page.splitlines()
        if line.startswith("process_start_time_seconds ")
    )
    kept = MetricsHistory()
    kept.add(MetricsParser().parse(page, 0.0, wall_s=started + 3_725.0))
    assert derive_stats(kept).uptime_s == pytest.approx(3_725.0)


def test_uptime_is_unknown_without_the_scrape_time_or_the_start() -> None:
    assert derive_stats(history(("vllm-0.32.0-rest", 0.0))).uptime_s is None, "no wall time"
    page = "\n".join(
        line
        for line in metrics_page("vllm-0.32.0-rest").splitlines()
        if not line.startswith("process_start_time_seconds")
    )
    kept = MetricsHistory()
    kept.add(MetricsParser().parse(page, 0.0, wall_s=2e9))
    stats = derive_stats(kept)
    assert stats.uptime_s is None


def test_a_start_after_the_scrape_clock_is_no_negative_uptime() -> None:
    kept = MetricsHistory()
    kept.add(MetricsParser().parse(metrics_page("vllm-0.32.0-rest"), 0.0, wall_s=1.0))
    assert derive_stats(kept).uptime_s == 0.0


def test_lmcache_own_counts_and_a_kv_connector_are_read_where_exported() -> None:
    from tests.support.fixtures import metrics_page
    from vlmconsole.model.rates import MetricsHistory
    from vlmconsole.model.snapshot import parse_metrics

    def page(requested: float, hit: float, queries: float, hits: float) -> str:
        text = metrics_page("vllm-0.32.0-after")
        text = re.sub(
            r"(vllm:external_prefix_cache_queries_total\{[^}]*\}) 0\.0", rf"\1 {queries}", text
        )
        text = re.sub(r"(vllm:external_prefix_cache_hits_total\{[^}]*\}) 0\.0", rf"\1 {hits}", text)
        return text + (
            "# TYPE lmcache:num_requested_tokens counter\n"
            f'lmcache:num_requested_tokens_total{{model_name="m"}} {requested}\n'
            "# TYPE lmcache:num_hit_tokens counter\n"
            f'lmcache:num_hit_tokens_total{{model_name="m"}} {hit}\n'
        )

    history = MetricsHistory()
    history.add(parse_metrics(page(1000, 250, 2000, 500), 0.0))
    history.add(parse_metrics(page(3000, 1250, 4000, 1500), 5.0))
    stats = derive_stats(history)
    assert stats.lmcache_hit_rate == pytest.approx(1000 / 2000)
    assert stats.lmcache_hit_rate_lifetime == pytest.approx(1250 / 3000)
    assert stats.external_prefix_cache_hit_rate == pytest.approx(1000 / 2000)
    assert stats.external_prefix_cache_queries_total == 4000
    plain = MetricsHistory()
    plain.add(parse_metrics(metrics_page("vllm-0.32.0-after"), 0.0))
    assert derive_stats(plain).lmcache_hit_rate_lifetime is None, "no LMCache: not reported"
