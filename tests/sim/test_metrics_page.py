"""The simulator's /metrics page carries vLLM 0.32's metrics exactly as the real server does."""

from __future__ import annotations

import math

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.sim.support import SYSTEM, chat, png, scrape, user
from tests.support.fixtures import metrics_page
from vlmconsole.model.rates import MetricsHistory
from vlmconsole.model.server_stats import derive_stats
from vlmconsole.model.snapshot import parse_metrics
from vlmconsole.model.vllm_names import METRICS, Kind
from vlmconsole.sim import SimServer

Shape = tuple[str, frozenset[str], tuple[float, ...]]

BRIEF_METRICS = (
    "num_requests_running", "num_requests_waiting", "kv_cache_usage_perc", "engine_sleep_state",
    "prompt_tokens", "generation_tokens", "prompt_tokens_cached", "prefix_cache_queries",
    "prefix_cache_hits", "mm_cache_queries", "mm_cache_hits", "num_preemptions",
    "request_success", "time_to_first_token_seconds", "inter_token_latency_seconds",
    "request_time_per_output_token_seconds", "e2e_request_latency_seconds",
    "request_queue_time_seconds", "request_prefill_time_seconds", "request_decode_time_seconds",
    "iteration_tokens_total", "request_prompt_tokens", "cache_config_info",
)  # fmt: skip
"""Family names (as the parser gives them, without `vllm:`) the simulator must get right."""


def console_families() -> set[str]:
    """Returns the family of the newest vLLM name of every metric vllm_names reads."""
    return {metric.names[0] + ("_info" if metric.kind is Kind.INFO else "") for metric in METRICS}


def shapes(page: str) -> dict[str, Shape]:
    """Returns each vllm: family's type, label names and sorted histogram bounds."""
    out: dict[str, Shape] = {}
    for family in text_string_to_metric_families(page):
        if not family.name.startswith("vllm:"):
            continue
        labels = frozenset(k for s in family.samples for k in s.labels if k != "le")
        bounds = sorted(
            {
                math.inf if s.labels["le"] == "+Inf" else float(s.labels["le"])
                for s in family.samples
                if s.name.endswith("_bucket")
            }
        )
        out[family.name] = (family.type, labels, tuple(bounds))
    return out


async def test_every_metric_the_console_reads_has_the_real_name_type_labels_and_buckets(
    sim: tuple[SimServer, httpx.AsyncClient],
) -> None:
    _server, client = sim
    real = shapes(metrics_page("vllm-0.32.0-after"))
    ours = shapes(await scrape(client))
    # V0-only names (num_requests_swapped, ...) are on neither page.
    wanted = {name for name in console_families() if name in real}
    assert {f"vllm:{name}" for name in BRIEF_METRICS} <= wanted
    for name in sorted(wanted):
        assert name in ours, f"{name} is missing"
        kind, labels, bounds = ours[name]
        assert kind == real[name][0], f"{name}: type {kind}, the real server's {real[name][0]}"
        assert labels == real[name][1], f"{name}: labels {sorted(labels)}"
        assert bounds == real[name][2], f"{name}: buckets {bounds}"


async def test_the_whole_vllm_page_matches_family_for_family(
    sim: tuple[SimServer, httpx.AsyncClient],
) -> None:
    _server, client = sim
    real = shapes(metrics_page("vllm-0.32.0-after"))
    ours = shapes(await scrape(client))
    assert set(ours) == set(real)
    for name, shape in real.items():
        assert ours[name] == shape, name


async def test_console_model_reads_the_page_with_nothing_missing(
    sim: tuple[SimServer, httpx.AsyncClient],
) -> None:
    _server, client = sim
    history = MetricsHistory()
    history.add(parse_metrics(await scrape(client), 0.0))
    await chat(client, [SYSTEM, user("What is on this screen?", png(1))])
    history.add(parse_metrics(await scrape(client), 5.0))
    stats = derive_stats(history)
    assert stats.not_reported == frozenset()
    assert stats.kv_capacity is not None
    assert stats.kv_capacity.block_size == 128
    assert stats.kv_capacity.num_blocks == 16384
    assert stats.kv_capacity.capacity_tokens == 2_097_152
    assert stats.kv_capacity.max_concurrency == 64.0
    assert stats.kv_capacity.prefix_caching is True
    assert stats.latency["ttft"].count == 1
    assert stats.requests_finished["length"] == 1
    assert stats.prompt_tokens_per_s is not None and stats.prompt_tokens_per_s > 0
