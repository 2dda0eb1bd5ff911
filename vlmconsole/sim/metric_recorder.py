"""Records the simulated engine's events into vLLM's metrics, as vLLM's logger does.

Per step: iteration tokens (prompt tokens computed by requests that got their
first token, plus tokens generated), TTFT and prompt counters at a request's first
token, one ITL per later token, preemptions. Per finished request: e2e, queue,
prefill, decode and inference times, time per output token, token counts.
Prefix-cache counters move when a request is first admitted; the multimodal cache
counters, one per image, in the frontend.
"""

from __future__ import annotations

from collections.abc import Sequence

from prometheus_client import generate_latest

from vlmconsole.sim.config import SimConfig
from vlmconsole.sim.kv_cache import Residency
from vlmconsole.sim.metric_defs import (
    CACHED_SOURCES,
    ENGINE,
    FINISH_REASONS,
    KV_BYTES_PER_TOKEN,
    PROMPT_SOURCES,
    SLEEP_STATES,
    declare,
)
from vlmconsole.sim.scheduler import Admission, TokenOut
from vlmconsole.sim.sequence import Seq


def _cache_config_labels(config: SimConfig) -> dict[str, str]:
    tokens = config.kv_capacity_tokens
    return {
        "_block_size_resolved": "True", "block_size": str(config.block_size),
        "cache_dtype": "auto", "cache_hit_alignment_tokens": "None",
        "effective_attention_block_size": str(config.block_size),
        "enable_mamba_shared_prefix_checkpoint": "False", "enable_prefix_caching": "True",
        "engine": ENGINE, "gpu_memory_utilization": "0.92", "hash_block_size": "None",
        "is_attention_free": "False", "kv_cache_dtype_skip_layers": "[]",
        "kv_cache_layout": "None",
        "kv_cache_max_concurrency": str(round(tokens / config.max_model_len, 2)),
        "kv_cache_memory_bytes": str(tokens * KV_BYTES_PER_TOKEN),
        "kv_cache_size_tokens": str(tokens), "kv_offloading_backend": "native",
        "kv_offloading_size": "None", "kv_sharing_fast_prefill": "False",
        "mamba_block_size": "None", "mamba_cache_dtype": "auto", "mamba_cache_mode": "none",
        "mamba_page_size_padded": "None", "mamba_ssm_cache_dtype": "float32",
        "num_cpu_blocks": "None", "num_gpu_blocks": str(config.num_blocks),
        "num_gpu_blocks_override": "None", "prefix_cache_retention_interval": "0",
        "prefix_caching_hash_algo": "sha256", "prefix_match_unit": "None",
        "replayssm_buffer_len": "16", "skip_page_size_padded": "None", "sliding_window": "None",
        "swa_bounded_replay": "True", "use_kda_recoverssm": "False", "use_replayssm": "False",
        "user_specified_block_size": "False",
    }  # fmt: skip


class SimMetrics:
    """The Prometheus side of one simulated server."""

    def __init__(self, config: SimConfig) -> None:
        self.m = m = declare(config.max_model_len, config.kv_cache_metrics)
        base = {"engine": ENGINE, "model_name": config.model}
        self._base = base
        for metric in (m.flops, m.read_bytes, m.write_bytes, m.running, m.waiting, m.kv_usage,
                       m.prefix_queries, m.prefix_hits, m.external_prefix_queries,
                       m.external_prefix_hits, m.mm_queries, m.mm_hits, m.preemptions,
                       m.prompt_tokens, m.prompt_tokens_cached, m.generation_tokens):  # fmt: skip
            metric.labels(**base)
        for reason in ("capacity", "deferred"):
            m.waiting_by_reason.labels(**base, reason=reason)
        for state in SLEEP_STATES:
            m.sleep_state.labels(**base, sleep_state=state).set(1 if state == "awake" else 0)
        for source in PROMPT_SOURCES:
            m.prompt_tokens_by_source.labels(**base, source=source)
        for source in CACHED_SOURCES:
            m.prompt_tokens_cached_by_source.labels(**base, source=source)
        for finish in FINISH_REASONS:
            m.request_success.labels(**base, finished_reason=finish)
        for reason in ("max_num_queued_reqs", "max_num_queued_tokens"):
            m.admission_rejections.labels(model_name=config.model, reason=reason)
        for hist in (m.request_prompt_tokens, m.request_generation_tokens, m.iteration_tokens,
                     m.max_num_generation_tokens, m.params_n, m.params_max_tokens, m.ttft, m.itl,
                     m.tpot, m.e2e, m.queue, m.inference, m.prefill, m.decode,
                     m.num_preemptions, m.prefill_kv_computed):  # fmt: skip
            hist.labels(**base)
        for residency in (m.kv_block_lifetime, m.kv_block_idle_before_evict, m.kv_block_reuse_gap):
            if residency is not None:
                residency.labels(**base)
        m.cache_config.labels(**_cache_config_labels(config)).set(1)

    def render(self) -> bytes:
        """Returns the /metrics page in Prometheus text format."""
        return generate_latest(self.m.registry)

    def set_state(self, running: int, waiting: int, kv_usage: float) -> None:
        """Sets the scheduler gauges to their current values."""
        base = self._base
        self.m.running.labels(**base).set(running)
        self.m.waiting.labels(**base).set(waiting)
        self.m.waiting_by_reason.labels(**base, reason="capacity").set(waiting)
        self.m.kv_usage.labels(**base).set(kv_usage)

    def residency(self, times: Residency) -> None:
        """Observes KV block residency times (with --kv-cache-metrics; else nothing)."""
        m, base = self.m, self._base
        for hist, values in (
            (m.kv_block_lifetime, times.lifetimes),
            (m.kv_block_idle_before_evict, times.idle_before_evict),
            (m.kv_block_reuse_gap, times.reuse_gaps),
        ):
            if hist is not None:
                for value in values:
                    hist.labels(**base).observe(value)

    def mm_lookup(self, hit: bool) -> None:
        """Counts one multimodal processor cache query."""
        self.m.mm_queries.labels(**self._base).inc()
        if hit:
            self.m.mm_hits.labels(**self._base).inc()

    def admitted(self, admissions: Sequence[Admission]) -> None:
        """Counts prefix-cache queries and hits of first admissions (not after preemption)."""
        for admission in admissions:
            if admission.first:
                self.m.prefix_queries.labels(**self._base).inc(admission.query_tokens)
                self.m.prefix_hits.labels(**self._base).inc(admission.hit_tokens)

    def step(self, outputs: Sequence[TokenOut], preempted: int) -> None:
        """Records one engine step's output tokens and preemptions."""
        m, base = self.m, self._base
        if preempted:
            m.preemptions.labels(**base).inc(preempted)
        if not outputs:
            return
        computed = 0
        for out in outputs:
            seq = out.seq
            if out.first:
                cached = seq.cached_tokens or 0
                computed += seq.num_prompt - cached
                m.prompt_tokens.labels(**base).inc(seq.num_prompt)
                by_source = m.prompt_tokens_by_source
                by_source.labels(**base, source="local_compute").inc(seq.num_prompt - cached)
                by_source.labels(**base, source="local_cache_hit").inc(cached)
                m.prompt_tokens_cached.labels(**base).inc(cached)
                m.prompt_tokens_cached_by_source.labels(**base, source="device").inc(cached)
                assert seq.first_token_s is not None
                m.ttft.labels(**base).observe(seq.first_token_s - seq.req.arrival_s)
                m.max_num_generation_tokens.labels(**base).observe(seq.req.max_tokens)
                m.params_n.labels(**base).observe(1)
            if out.gap_s is not None:
                m.itl.labels(**base).observe(out.gap_s)
            if out.finish_reason is not None:
                self._finished(seq)
        m.generation_tokens.labels(**base).inc(len(outputs))
        m.iteration_tokens.labels(**base).observe(computed + len(outputs))

    def aborted(self) -> None:
        """Counts a request that ended before it finished."""
        self.m.request_success.labels(**self._base, finished_reason="abort").inc()

    def _finished(self, seq: Seq) -> None:
        m, base = self.m, self._base
        assert seq.finish_reason is not None
        scheduled = seq.scheduled_s if seq.scheduled_s is not None else seq.queued_s
        first = seq.first_token_s if seq.first_token_s is not None else scheduled
        last = seq.last_token_s if seq.last_token_s is not None else first
        generated = len(seq.output)
        decode_s = last - first
        m.request_success.labels(**base, finished_reason=seq.finish_reason).inc()
        m.e2e.labels(**base).observe(last - seq.req.arrival_s)
        m.queue.labels(**base).observe(scheduled - seq.queued_s)
        m.prefill.labels(**base).observe(first - scheduled)
        m.inference.labels(**base).observe(last - scheduled)
        m.decode.labels(**base).observe(decode_s)
        m.num_preemptions.labels(**base).observe(seq.num_preemptions)
        m.prefill_kv_computed.labels(**base).observe(seq.num_prompt - (seq.cached_tokens or 0))
        m.request_prompt_tokens.labels(**base).observe(seq.num_prompt)
        m.request_generation_tokens.labels(**base).observe(generated)
        m.tpot.labels(**base).observe(decode_s / (generated - 1) if generated > 1 else 0.0)
        if seq.req.max_tokens_param:
            m.params_max_tokens.labels(**base).observe(seq.req.max_tokens_param)
