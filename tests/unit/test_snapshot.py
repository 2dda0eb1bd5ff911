"""Parsing /metrics pages into snapshots: names across versions, bad pages."""

from __future__ import annotations

import math

import pytest

from tests.support.fixtures import metrics_page, snapshot
from vlmconsole.model.snapshot import MetricsParser, NotPrometheusText, NoVllmMetrics, parse_metrics


def test_real_page_has_every_metric_the_console_reads() -> None:
    snap = snapshot("vllm-0.32.0-after", 0.0)
    for key in (
        "running",
        "waiting",
        "kv_cache_usage",
        "prompt_tokens",
        "generation_tokens",
        "prompt_tokens_cached",
        "prefix_cache_queries",
        "prefix_cache_hits",
        "mm_cache_queries",
        "mm_cache_hits",
        "preemptions",
        "request_success",
        "ttft",
        "itl",
        "e2e",
        "queue",
        "prefill",
        "decode",
        "iteration_tokens",
        "cache_config",
    ):
        assert snap.has(key), key
    assert snap.vllm_names["kv_cache_usage"] == "vllm:kv_cache_usage_perc"
    assert snap.vllm_names["itl"] == "vllm:inter_token_latency_seconds"
    assert not snap.has("swapped")
    assert snap.page_bytes == len(metrics_page("vllm-0.32.0-after").encode())


def test_unread_vllm_metrics_are_listed_but_created_samples_are_not() -> None:
    snap = snapshot("vllm-0.32.0-after", 0.0)
    assert "vllm:estimated_flops_per_gpu_total" in snap.other_names
    assert not any(name.endswith("_created") for name in snap.other_names)


def test_histogram_buckets_are_cumulative_and_end_at_inf() -> None:
    hist = snapshot("vllm-v0-t0", 0.0).histograms["ttft"][
        (("model_name", "Qwen/Qwen2-VL-7B-Instruct"),)
    ]
    bounds = [le for le, _ in hist.buckets]
    assert bounds == sorted(bounds) and math.isinf(bounds[-1])
    assert hist.buckets[-1][1] == hist.count == 4
    assert hist.sum == pytest.approx(0.3 + 0.3 + 0.6 + 0.9)


def test_v0_names_map_to_the_same_keys() -> None:
    snap = snapshot("vllm-v0-t1", 0.0)
    assert snap.vllm_names["kv_cache_usage"] == "vllm:gpu_cache_usage_perc"
    assert snap.vllm_names["itl"] == "vllm:time_per_output_token_seconds"
    assert snap.has("swapped") and snap.has("prefix_cache_hit_rate_gauge")
    assert not snap.has("prefix_cache_queries") and not snap.has("mm_cache_queries")


def test_newest_name_wins_when_a_server_exports_both() -> None:
    snap = snapshot("vllm-v1-0.9-t0", 0.0)
    assert snap.vllm_names["kv_cache_usage"] == "vllm:kv_cache_usage_perc"
    assert snap.vllm_names["prefix_cache_queries"] == "vllm:prefix_cache_queries"
    # counted once, not once per name
    assert sum(snap.values["prefix_cache_queries"].values()) == 4000


def test_older_name_first_in_the_page_is_replaced_by_the_newer() -> None:
    text = 'vllm:gpu_cache_usage_perc{engine="0"} 0.9\nvllm:kv_cache_usage_perc{engine="0"} 0.4\n'
    snap = parse_metrics(text, 0.0)
    assert dict(snap.values["kv_cache_usage"]) == {(("engine", "0"),): 0.4}


def test_page_without_type_lines_still_parses() -> None:
    snap = parse_metrics('vllm:num_requests_running{model_name="m"} 3.0\n', 1.5)
    assert snap.scraped_at_s == 1.5
    assert dict(snap.values["running"]) == {(("model_name", "m"),): 3.0}


@pytest.mark.parametrize(
    "body",
    ["<!doctype html><html><body>Not Found</body></html>", "hello world\n", '{"detail": "x"}'],
)
def test_a_page_that_is_not_prometheus_text_is_refused(body: str) -> None:
    with pytest.raises(NotPrometheusText):
        parse_metrics(body, 0.0)


def test_a_histogram_count_that_is_not_a_number_is_a_damaged_page() -> None:
    page = metrics_page("vllm-0.32.0-after")
    line = next(
        x for x in page.split("\n") if x.startswith("vllm:e2e_request_latency_seconds_count")
    )
    damaged = page.replace(line, f"{line.rsplit(' ', 1)[0]} NaN")
    with pytest.raises(NotPrometheusText, match="e2e has a count that is not a number"):
        parse_metrics(damaged, 0.0)


@pytest.mark.parametrize(
    "body",
    [
        "",
        "# just a comment\n",
        "process_open_fds 12.0\n",
        # read by the console, but any Python exporter has it: not a sign of vLLM
        "# TYPE process_start_time_seconds gauge\nprocess_start_time_seconds 1.7e+09\n",
    ],
)
def test_a_page_without_vllm_metrics_says_so(body: str) -> None:
    with pytest.raises(NoVllmMetrics, match="vLLM"):
        parse_metrics(body, 0.0)


def test_parser_reuses_unchanged_families_and_still_equals_a_fresh_parse(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import vlmconsole.model.snapshot as snapshot_module

    parsed_blocks: list[str] = []
    real_parse_block = snapshot_module._parse_block

    def counting(block: str) -> list[tuple[str, dict[str, str], float]]:
        parsed_blocks.append(block)
        return real_parse_block(block)

    monkeypatch.setattr(snapshot_module, "_parse_block", counting)
    parser = MetricsParser()
    rest, after = metrics_page("vllm-0.32.0-rest"), metrics_page("vllm-0.32.0-after")
    parser.parse(rest, 0.0)
    first_round = len(parsed_blocks)
    again = parser.parse(rest, 1.0)
    assert len(parsed_blocks) == first_round, "an unchanged page parses nothing again"
    changed = parser.parse(after, 2.0)
    assert 0 < len(parsed_blocks) - first_round < first_round, "only changed families"
    assert again == parse_metrics(rest, 1.0)
    assert changed == parse_metrics(after, 2.0)
