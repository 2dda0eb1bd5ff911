"""vLLM 0.32's Prometheus metrics, declared name for name in a registry of their own.

Names, types, help texts, label names and histogram buckets are those of the real
server's page (`tests/fixtures/metrics/vllm-0.32.0-after.txt`), in its order.
Token-count histograms use vLLM's rule, a 1-2-5 series up to max_model_len
(1 ... 20000 at 32768); the others have fixed buckets.
"""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

LABELS = ("engine", "model_name")
ENGINE = "0"
ITERATION_TOKENS_BUCKETS = (1, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384)
PARAMS_N_BUCKETS = (1, 2, 5, 10, 20)
TTFT_BUCKETS = (0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0,
                7.5, 10.0, 20.0, 40.0, 80.0, 160.0, 640.0, 2560.0)  # fmt: skip
ITL_BUCKETS = (0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5,
               10.0, 20.0, 40.0, 80.0)  # fmt: skip
REQUEST_TIME_BUCKETS = (0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0,
                        50.0, 60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 7680.0)  # fmt: skip
PREEMPTIONS_BUCKETS = (1, 2, 3, 4, 5, 10, 20)
KV_CACHE_RESIDENCY_BUCKETS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10,
                              20, 30, 60, 120, 300, 600, 1200, 1800)  # fmt: skip
"""vllm/v1/metrics/buckets.py, the same in 0.32.0 and 0.33.0."""
PROMPT_SOURCES = ("local_compute", "local_cache_hit", "external_kv_transfer")
CACHED_SOURCES = ("device", "host", "p2p", "disk", "external_unspecified")
FINISH_REASONS = ("stop", "length", "abort", "error", "repetition")
SLEEP_STATES = ("awake", "weights_offloaded", "discard_all")
CACHE_CONFIG_LABELS = (
    "_block_size_resolved", "block_size", "cache_dtype", "cache_hit_alignment_tokens",
    "effective_attention_block_size", "enable_mamba_shared_prefix_checkpoint",
    "enable_prefix_caching", "engine", "gpu_memory_utilization", "hash_block_size",
    "is_attention_free", "kv_cache_dtype_skip_layers", "kv_cache_layout",
    "kv_cache_max_concurrency", "kv_cache_memory_bytes", "kv_cache_size_tokens",
    "kv_offloading_backend", "kv_offloading_size", "kv_sharing_fast_prefill", "mamba_block_size",
    "mamba_cache_dtype", "mamba_cache_mode", "mamba_page_size_padded", "mamba_ssm_cache_dtype",
    "num_cpu_blocks", "num_gpu_blocks", "num_gpu_blocks_override",
    "prefix_cache_retention_interval", "prefix_caching_hash_algo", "prefix_match_unit",
    "replayssm_buffer_len", "skip_page_size_padded", "sliding_window", "swa_bounded_replay",
    "use_kda_recoverssm", "use_replayssm", "user_specified_block_size",
)  # fmt: skip
KV_BYTES_PER_TOKEN = 512
"""The test model's KV footprint: 1 GiB held 2,097,152 tokens."""
_MFU = " per GPU (for Model Flops Utilization calculations)."


def token_buckets(max_model_len: int) -> tuple[float, ...]:
    """Returns vLLM's 1-2-5 series of token-count buckets capped at max_model_len."""
    out: list[float] = []
    exponent = 0
    while True:
        for mantissa in (1, 2, 5):
            value = mantissa * 10**exponent
            if value > max_model_len:
                return tuple(out)
            out.append(value)
        exponent += 1


@dataclass(frozen=True, slots=True)
class VllmMetrics:
    """The metric objects of one simulated server."""

    registry: CollectorRegistry
    flops: Counter
    read_bytes: Counter
    write_bytes: Counter
    running: Gauge
    waiting: Gauge
    waiting_by_reason: Gauge
    sleep_state: Gauge
    kv_usage: Gauge
    prefix_queries: Counter
    prefix_hits: Counter
    external_prefix_queries: Counter
    external_prefix_hits: Counter
    mm_queries: Counter
    mm_hits: Counter
    preemptions: Counter
    prompt_tokens: Counter
    prompt_tokens_by_source: Counter
    prompt_tokens_cached: Counter
    prompt_tokens_cached_by_source: Counter
    generation_tokens: Counter
    request_success: Counter
    admission_rejections: Counter
    request_prompt_tokens: Histogram
    request_generation_tokens: Histogram
    iteration_tokens: Histogram
    max_num_generation_tokens: Histogram
    params_n: Histogram
    params_max_tokens: Histogram
    ttft: Histogram
    itl: Histogram
    tpot: Histogram
    e2e: Histogram
    queue: Histogram
    inference: Histogram
    prefill: Histogram
    decode: Histogram
    num_preemptions: Histogram
    prefill_kv_computed: Histogram
    cache_config: Gauge
    kv_block_lifetime: Histogram | None = None
    """With --kv-cache-metrics: the three KV-cache residency histograms."""
    kv_block_idle_before_evict: Histogram | None = None
    kv_block_reuse_gap: Histogram | None = None


def declare(max_model_len: int, kv_cache_metrics: bool = False) -> VllmMetrics:
    """Returns vLLM's metrics, registered in a new registry with process and GC metrics."""
    reg = CollectorRegistry()
    GCCollector(registry=reg)
    PlatformCollector(registry=reg)
    ProcessCollector(registry=reg)
    tokens = token_buckets(max_model_len)

    def counter(name: str, doc: str, *extra: str) -> Counter:
        return Counter(f"vllm:{name}", doc, sorted((*LABELS, *extra)), registry=reg)

    def gauge(name: str, doc: str, *extra: str) -> Gauge:
        return Gauge(f"vllm:{name}", doc, sorted((*LABELS, *extra)), registry=reg)

    def hist(name: str, doc: str, buckets: tuple[float, ...]) -> Histogram:
        return Histogram(f"vllm:{name}", doc, LABELS, buckets=buckets, registry=reg)

    per_req = "Histogram of time spent in {} phase for request."
    return VllmMetrics(
        registry=reg,
        flops=counter(
            "estimated_flops_per_gpu", "Estimated number of floating point operations" + _MFU
        ),
        read_bytes=counter(
            "estimated_read_bytes_per_gpu", "Estimated number of bytes read from memory" + _MFU
        ),
        write_bytes=counter(
            "estimated_write_bytes_per_gpu", "Estimated number of bytes written to memory" + _MFU
        ),
        running=gauge("num_requests_running", "Number of requests in model execution batches."),
        waiting=gauge("num_requests_waiting", "Number of requests waiting to be processed."),
        waiting_by_reason=gauge(
            "num_requests_waiting_by_reason",
            "Number of waiting requests by reason. Reason labels: 'capacity' = waiting for "
            "scheduling capacity; 'deferred' = deferred by transient constraints (LoRA budget, "
            "KV transfer, blocked status). Sum of all reasons equals vllm:num_requests_waiting.",
            "reason",
        ),
        sleep_state=gauge(
            "engine_sleep_state",
            "Engine sleep state; awake = 0 means engine is sleeping; awake = 1 means engine is "
            "awake; weights_offloaded = 1 means sleep level 1; discard_all = 1 means sleep "
            "level 2.",
            "sleep_state",
        ),
        kv_usage=gauge("kv_cache_usage_perc", "KV-cache usage. 1 means 100 percent usage."),
        prefix_queries=counter(
            "prefix_cache_queries", "Prefix cache queries, in terms of number of queried tokens."
        ),
        prefix_hits=counter(
            "prefix_cache_hits", "Prefix cache hits, in terms of number of cached tokens."
        ),
        external_prefix_queries=counter(
            "external_prefix_cache_queries",
            "External prefix cache queries from KV connector cross-instance cache sharing, in "
            "terms of number of queried tokens.",
        ),
        external_prefix_hits=counter(
            "external_prefix_cache_hits",
            "External prefix cache hits from KV connector cross-instance cache sharing, in "
            "terms of number of cached tokens.",
        ),
        mm_queries=counter(
            "mm_cache_queries", "Multi-modal cache queries, in terms of number of queried items."
        ),
        mm_hits=counter(
            "mm_cache_hits", "Multi-modal cache hits, in terms of number of cached items."
        ),
        preemptions=counter("num_preemptions", "Cumulative number of preemption from the engine."),
        prompt_tokens=counter("prompt_tokens", "Number of prefill tokens processed."),
        prompt_tokens_by_source=counter(
            "prompt_tokens_by_source", "Number of prompt tokens by source.", "source"
        ),
        prompt_tokens_cached=counter(
            "prompt_tokens_cached", "Number of cached prompt tokens (local + external)."
        ),
        prompt_tokens_cached_by_source=counter(
            "prompt_tokens_cached_by_source",
            "Prefix-cache hit tokens by the cache tier that supplied them: device (local HBM), "
            "host (offloaded to DRAM), disk, p2p (transferred from another vLLM instance) or "
            "external_unspecified. Counted at admission; sums to vllm:prefix_cache_hits + "
            "vllm:external_prefix_cache_hits.",
            "source",
        ),
        generation_tokens=counter("generation_tokens", "Number of generation tokens processed."),
        request_success=counter(
            "request_success", "Count of successfully processed requests.", "finished_reason"
        ),
        admission_rejections=Counter(
            "vllm:admission_rejections",
            "Number of admission attempts rejected by a queue limit, by reason.",
            ["model_name", "reason"],
            registry=reg,
        ),
        request_prompt_tokens=hist(
            "request_prompt_tokens", "Number of prefill tokens processed.", tokens
        ),
        request_generation_tokens=hist(
            "request_generation_tokens", "Number of generation tokens processed.", tokens
        ),
        iteration_tokens=hist(
            "iteration_tokens_total",
            "Histogram of number of tokens per engine_step.",
            ITERATION_TOKENS_BUCKETS,
        ),
        max_num_generation_tokens=hist(
            "request_max_num_generation_tokens",
            "Histogram of maximum number of requested generation tokens.",
            tokens,
        ),
        params_n=hist(
            "request_params_n", "Histogram of the n request parameter.", PARAMS_N_BUCKETS
        ),
        params_max_tokens=hist(
            "request_params_max_tokens", "Histogram of the max_tokens request parameter.", tokens
        ),
        ttft=hist(
            "time_to_first_token_seconds",
            "Histogram of time to first token in seconds.",
            TTFT_BUCKETS,
        ),
        itl=hist(
            "inter_token_latency_seconds",
            "Histogram of inter-token latency in seconds.",
            ITL_BUCKETS,
        ),
        tpot=hist(
            "request_time_per_output_token_seconds",
            "Histogram of time_per_output_token_seconds per request.",
            ITL_BUCKETS,
        ),
        e2e=hist(
            "e2e_request_latency_seconds",
            "Histogram of e2e request latency in seconds.",
            REQUEST_TIME_BUCKETS,
        ),
        queue=hist("request_queue_time_seconds", per_req.format("WAITING"), REQUEST_TIME_BUCKETS),
        inference=hist(
            "request_inference_time_seconds", per_req.format("RUNNING"), REQUEST_TIME_BUCKETS
        ),
        prefill=hist(
            "request_prefill_time_seconds", per_req.format("PREFILL"), REQUEST_TIME_BUCKETS
        ),
        decode=hist("request_decode_time_seconds", per_req.format("DECODE"), REQUEST_TIME_BUCKETS),
        num_preemptions=hist(
            "request_num_preemptions",
            "Histogram of the number of times a request was preempted.",
            PREEMPTIONS_BUCKETS,
        ),
        prefill_kv_computed=hist(
            "request_prefill_kv_computed_tokens",
            "Histogram of new KV tokens computed during prefill (excluding cached tokens).",
            tokens,
        ),
        **(
            {
                "kv_block_lifetime": hist(
                    "kv_block_lifetime_seconds",
                    "Histogram of KV cache block lifetime from allocation to eviction. "
                    "Sampled metrics (controlled by --kv-cache-metrics-sample).",
                    KV_CACHE_RESIDENCY_BUCKETS,
                ),
                "kv_block_idle_before_evict": hist(
                    "kv_block_idle_before_evict_seconds",
                    "Histogram of idle time before KV cache block eviction. "
                    "Sampled metrics (controlled by --kv-cache-metrics-sample).",
                    KV_CACHE_RESIDENCY_BUCKETS,
                ),
                "kv_block_reuse_gap": hist(
                    "kv_block_reuse_gap_seconds",
                    "Histogram of time gaps between consecutive KV cache block accesses. "
                    "Only the most recent accesses are recorded (ring buffer). Sampled "
                    "metrics (controlled by --kv-cache-metrics-sample).",
                    KV_CACHE_RESIDENCY_BUCKETS,
                ),
            }
            if kv_cache_metrics
            else {}
        ),
        cache_config=Gauge(
            "vllm:cache_config_info",
            "Information of the LLMEngine CacheConfig",
            CACHE_CONFIG_LABELS,
            registry=reg,
        ),
    )
