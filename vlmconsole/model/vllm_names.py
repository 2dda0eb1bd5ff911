"""The one table of vLLM's Prometheus metric names, across versions.

Each metric the console reads has one key of ours and the names vLLM has used
for it, newest first. When a server exports two names for one key (during a
deprecation window), the newest wins. Names are matched on sample names
(`X`, `X_total`, `X_bucket`/`X_sum`/`X_count`), so pages without `# TYPE` lines
parse too.

Renames recorded here (see ../shared/DESIGN.md and vLLM's docs/design/metrics.md):
`gpu_cache_usage_perc` -> `kv_cache_usage_perc`; `gpu_prefix_cache_{queries,hits}`
-> `prefix_cache_{queries,hits}`; `time_per_output_token_seconds` ->
`inter_token_latency_seconds`; V0-only: `num_requests_swapped`,
`cpu_cache_usage_perc`, the `gpu_prefix_cache_hit_rate` gauge. V0 had no
`engine` label. Newer families (read off vLLM 0.32.0's source and page, kept in
0.33): `num_requests_waiting_by_reason`, `prompt_tokens_by_source`,
`prompt_tokens_cached_by_source`, `external_prefix_cache_*` (KV connectors such as
LMCache), `admission_rejections` (no `engine` label), and with `--kv-cache-metrics`
the `kv_block_*` histograms.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Kind(Enum):
    """How a metric's samples are laid out."""

    GAUGE = "gauge"
    COUNTER = "counter"
    HISTOGRAM = "histogram"
    INFO = "info"


@dataclass(frozen=True, slots=True)
class MetricName:
    """One metric the console reads: our key, its kind, and vLLM's names, newest first."""

    key: str
    kind: Kind
    names: tuple[str, ...]
    description: str


METRICS: tuple[MetricName, ...] = (
    # gauges
    MetricName("running", Kind.GAUGE, ("vllm:num_requests_running",), "requests running"),
    MetricName("waiting", Kind.GAUGE, ("vllm:num_requests_waiting",), "requests waiting"),
    MetricName("swapped", Kind.GAUGE, ("vllm:num_requests_swapped",), "requests swapped (V0)"),
    MetricName(
        "kv_cache_usage",
        Kind.GAUGE,
        ("vllm:kv_cache_usage_perc", "vllm:gpu_cache_usage_perc"),
        "KV-cache usage, 0..1",
    ),
    MetricName(
        "cpu_cache_usage", Kind.GAUGE, ("vllm:cpu_cache_usage_perc",), "CPU KV-cache usage (V0)"
    ),
    MetricName(
        "prefix_cache_hit_rate_gauge",
        Kind.GAUGE,
        ("vllm:gpu_prefix_cache_hit_rate",),
        "prefix-cache hit rate as the server computed it (V0)",
    ),
    MetricName("sleep_state", Kind.GAUGE, ("vllm:engine_sleep_state",), "engine sleep state"),
    MetricName(
        "waiting_by_reason",
        Kind.GAUGE,
        ("vllm:num_requests_waiting_by_reason",),
        "requests waiting, by reason (capacity: no KV room; deferred: held back)",
    ),
    MetricName(
        "process_start",
        Kind.GAUGE,
        ("process_start_time_seconds",),
        "start of the process serving /metrics, Unix seconds (prometheus-client's collector)",
    ),
    # counters
    MetricName("prompt_tokens", Kind.COUNTER, ("vllm:prompt_tokens",), "prompt tokens"),
    MetricName("generation_tokens", Kind.COUNTER, ("vllm:generation_tokens",), "generation tokens"),
    MetricName(
        "prompt_tokens_cached",
        Kind.COUNTER,
        ("vllm:prompt_tokens_cached",),
        "prompt tokens served from the prefix cache",
    ),
    MetricName(
        "prefix_cache_queries",
        Kind.COUNTER,
        ("vllm:prefix_cache_queries", "vllm:gpu_prefix_cache_queries"),
        "prefix-cache queries, in tokens",
    ),
    MetricName(
        "prefix_cache_hits",
        Kind.COUNTER,
        ("vllm:prefix_cache_hits", "vllm:gpu_prefix_cache_hits"),
        "prefix-cache hits, in tokens",
    ),
    MetricName("mm_cache_queries", Kind.COUNTER, ("vllm:mm_cache_queries",), "mm-cache queries"),
    MetricName("mm_cache_hits", Kind.COUNTER, ("vllm:mm_cache_hits",), "mm-cache hits"),
    MetricName(
        "prompt_tokens_by_source",
        Kind.COUNTER,
        ("vllm:prompt_tokens_by_source",),
        "prompt tokens by source: local_compute, local_cache_hit, external_kv_transfer",
    ),
    MetricName(
        "prompt_tokens_cached_by_source",
        Kind.COUNTER,
        ("vllm:prompt_tokens_cached_by_source",),
        "cached prompt tokens by tier: device, host, disk, p2p, external_unspecified",
    ),
    MetricName(
        "external_prefix_cache_queries",
        Kind.COUNTER,
        ("vllm:external_prefix_cache_queries",),
        "external (KV connector, LMCache) prefix-cache queries, in tokens",
    ),
    MetricName(
        "external_prefix_cache_hits",
        Kind.COUNTER,
        ("vllm:external_prefix_cache_hits",),
        "external (KV connector, LMCache) prefix-cache hits, in tokens",
    ),
    MetricName("preemptions", Kind.COUNTER, ("vllm:num_preemptions",), "preemptions"),
    MetricName(
        "admission_rejections",
        Kind.COUNTER,
        ("vllm:admission_rejections",),
        "requests refused by a queue limit (HTTP 503), by reason",
    ),
    MetricName(
        "request_success", Kind.COUNTER, ("vllm:request_success",), "finished requests by reason"
    ),
    # histograms
    MetricName(
        "ttft", Kind.HISTOGRAM, ("vllm:time_to_first_token_seconds",), "time to first token, s"
    ),
    MetricName(
        "itl",
        Kind.HISTOGRAM,
        ("vllm:inter_token_latency_seconds", "vllm:time_per_output_token_seconds"),
        "inter-token latency, s",
    ),
    MetricName(
        "tpot",
        Kind.HISTOGRAM,
        ("vllm:request_time_per_output_token_seconds",),
        "time per output token per request, s",
    ),
    MetricName(
        "e2e", Kind.HISTOGRAM, ("vllm:e2e_request_latency_seconds",), "end-to-end latency, s"
    ),
    MetricName("queue", Kind.HISTOGRAM, ("vllm:request_queue_time_seconds",), "queue time, s"),
    MetricName(
        "prefill", Kind.HISTOGRAM, ("vllm:request_prefill_time_seconds",), "prefill time, s"
    ),
    MetricName("decode", Kind.HISTOGRAM, ("vllm:request_decode_time_seconds",), "decode time, s"),
    MetricName(
        "iteration_tokens",
        Kind.HISTOGRAM,
        ("vllm:iteration_tokens_total",),
        "tokens per engine step (batch size)",
    ),
    MetricName(
        "request_prompt_tokens",
        Kind.HISTOGRAM,
        ("vllm:request_prompt_tokens",),
        "prompt tokens per request",
    ),
    MetricName(
        "kv_block_lifetime",
        Kind.HISTOGRAM,
        ("vllm:kv_block_lifetime_seconds",),
        "KV block lifetime, s (--kv-cache-metrics)",
    ),
    MetricName(
        "kv_block_idle_before_evict",
        Kind.HISTOGRAM,
        ("vllm:kv_block_idle_before_evict_seconds",),
        "KV block idle time before eviction, s (--kv-cache-metrics)",
    ),
    MetricName(
        "kv_block_reuse_gap",
        Kind.HISTOGRAM,
        ("vllm:kv_block_reuse_gap_seconds",),
        "time between reuses of a KV block, s (--kv-cache-metrics)",
    ),
    # LMCache's own families, when its connector exports them on vLLM's page
    MetricName(
        "lmcache_requested_tokens",
        Kind.COUNTER,
        ("lmcache:num_requested_tokens",),
        "tokens vLLM asked LMCache to retrieve",
    ),
    MetricName(
        "lmcache_hit_tokens", Kind.COUNTER, ("lmcache:num_hit_tokens",), "tokens LMCache had"
    ),
    MetricName(
        "lmcache_local_cache_usage",
        Kind.GAUGE,
        ("lmcache:local_cache_usage",),
        "LMCache's local cache in use, bytes",
    ),
    # info
    MetricName("cache_config", Kind.INFO, ("vllm:cache_config",), "KV-cache configuration"),
)

BY_KEY: dict[str, MetricName] = {metric.key: metric for metric in METRICS}


def _sample_names(metric: MetricName, name: str) -> dict[str, str]:
    """Returns sample name -> role ("value", "bucket", "sum", "count") for one vLLM name."""
    if metric.kind is Kind.GAUGE:
        return {name: "value"}
    if metric.kind is Kind.COUNTER:
        return {f"{name}_total": "value"}
    if metric.kind is Kind.INFO:
        return {f"{name}_info": "value"}
    return {f"{name}_bucket": "bucket", f"{name}_sum": "sum", f"{name}_count": "count"}


@dataclass(frozen=True, slots=True)
class SampleRole:
    """What one Prometheus sample name means to us."""

    key: str
    vllm_name: str
    rank: int  # 0 for the newest name; higher for older ones
    role: str


SAMPLE_ROLES: dict[str, SampleRole] = {
    sample: SampleRole(metric.key, name, rank, role)
    for metric in METRICS
    for rank, name in enumerate(metric.names)
    for sample, role in _sample_names(metric, name).items()
}
