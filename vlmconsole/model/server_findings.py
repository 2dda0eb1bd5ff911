"""Findings from the server's own numbers (status, status --json): preemptions, a KV
cache nearly full, prefix caching off, failed or aborted requests."""

from __future__ import annotations

from vlmconsole.model.findings import BAD, INFO, PREFIX_CACHING_OFF, WARN, Finding
from vlmconsole.model.server_stats import ServerStats

KV_HIGH = 0.9
"""KV-cache usage at or above this share: new requests wait, long ones get preempted."""


def server_findings(stats: ServerStats) -> list[Finding]:
    """Returns what one scope's stats say about the server itself, most severe first."""
    found: list[Finding] = []
    capacity = stats.kv_capacity
    if capacity is not None and capacity.prefix_caching is False:
        found.append(PREFIX_CACHING_OFF)
    if stats.preemptions_per_s:
        usage_now = stats.kv_cache_usage
        at_usage = f" at {usage_now:.0%} KV-cache usage" if usage_now else ""
        found.append(
            Finding(
                "preemptions",
                BAD,
                "the server is preempting requests: the KV cache is too small for the load",
                f"{stats.preemptions_per_s:.2f} preemptions/s{at_usage}",
                "fewer concurrent conversations (--max-num-seqs), a shorter context "
                "(a window policy, --max-model-len), or more KV memory "
                "(--gpu-memory-utilization, --kv-cache-memory-bytes)",
            )
        )
    usage = stats.kv_cache_usage
    if usage is not None and usage >= KV_HIGH:
        waiting = f"; {stats.waiting:.0f} request(s) waiting" if stats.waiting else ""
        found.append(
            Finding(
                "kv-high",
                WARN,
                f"the KV cache is {usage:.0%} full",
                f"kv_cache_usage_perc {usage:.3f}{waiting}",
                "at this usage new requests queue; bound each conversation's context "
                "(a window policy) or give vLLM more KV memory",
            )
        )
    errors = stats.requests_finished.get("error", 0) + stats.requests_finished.get("abort", 0)
    if errors:
        found.append(
            Finding(
                "requests-failed",
                INFO,
                f"{errors:,.0f} request(s) ended in error or were aborted since the start",
                "vllm:request_success_total by finished_reason (error, abort)",
                "look at the server's log (l in the console) around those requests",
            )
        )
    return found
