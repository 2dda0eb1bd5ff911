"""Findings from the server's own numbers (status, status --json, the console's f):
an engine asleep, requests refused, preemptions, prefix caching off, requests waiting
for KV room, a KV cache nearly full, failed or aborted requests."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from vlmconsole.model.cache_rules import PREFIX_CACHING_OFF
from vlmconsole.model.finding_types import BAD, INFO, WARN, Finding
from vlmconsole.model.launch_config import LaunchConfig
from vlmconsole.model.server_stats import KvCapacity

KV_HIGH = 0.9
"""KV-cache usage at or above this share: new requests wait, long ones get preempted."""


class ServerSignals(Protocol):
    """What the rules read of a server: a scope's ServerStats (status, the console), or a
    fleet row (fleet, where Prometheus computed the rates)."""

    @property
    def asleep(self) -> bool | None: ...
    @property
    def admission_rejections_per_s(self) -> float | None: ...
    @property
    def admission_rejections_total(self) -> float | None: ...
    @property
    def kv_capacity(self) -> KvCapacity | None: ...
    @property
    def preemptions_per_s(self) -> float | None: ...
    @property
    def kv_cache_usage(self) -> float | None: ...
    @property
    def waiting(self) -> float | None: ...
    @property
    def waiting_by_reason(self) -> Mapping[str, float]: ...
    @property
    def requests_finished(self) -> Mapping[str, float]: ...


def server_findings(stats: ServerSignals, launch: LaunchConfig | None = None) -> list[Finding]:
    """Returns what one scope's stats say about the server itself, most severe first.

    With the server's `launch` settings the advice names each flag's current value.
    """
    now = launch.now if launch is not None else (lambda _flag: "")
    found: list[Finding] = []
    capacity = stats.kv_capacity
    if stats.asleep:
        found.append(
            Finding(
                "engine-asleep",
                BAD,
                "the engine is asleep: requests wait until it wakes",
                "engine_sleep_state awake = 0 (put to sleep with POST /sleep)",
                "wake it with POST /wake_up (VLLM_SERVER_DEV_MODE=1), or restart the server",
            )
        )
    if stats.admission_rejections_per_s:
        found.append(
            Finding(
                "admission-rejected",
                BAD,
                "the server is refusing requests: its queue is full (HTTP 503)",
                f"{stats.admission_rejections_per_s:.2f} rejections/s"
                + (
                    f" (vllm:admission_rejections_total {stats.admission_rejections_total:,.0f})"
                    if stats.admission_rejections_total is not None
                    else ""
                ),
                "fewer clients at once, or a longer queue limit on the server, or another replica",
            )
        )
    if capacity is not None and capacity.prefix_caching is False:
        found.append(PREFIX_CACHING_OFF)
    if stats.preemptions_per_s:
        tokens = capacity.capacity_tokens if capacity is not None else None
        holds = f"; the KV cache holds {tokens:,} tokens" if tokens else ""
        usage_now = stats.kv_cache_usage
        at_usage = f" at {usage_now:.0%} KV-cache usage" if usage_now else ""
        found.append(
            Finding(
                "preemptions",
                BAD,
                "the server is preempting requests: the KV cache is too small for the load",
                f"{stats.preemptions_per_s:.2f} preemptions/s{at_usage}",
                f"fewer concurrent conversations (--max-num-seqs{now('--max-num-seqs')}), a "
                f"shorter context (a window policy, --max-model-len{now('--max-model-len')}), "
                f"or more KV memory (--gpu-memory-utilization"
                f"{now('--gpu-memory-utilization')}, --kv-cache-memory-bytes){holds}",
            )
        )
    short = stats.waiting_by_reason.get("capacity", 0)
    if short:
        found.append(
            Finding(
                "waiting-for-kv",
                WARN,
                f"{short:.0f} request(s) wait for room in the KV cache",
                f"num_requests_waiting_by_reason{{reason=capacity}} {short:.0f}",
                "the KV cache is full of running requests: shorter contexts (a window policy), "
                f"fewer at once (--max-num-seqs{now('--max-num-seqs')}), or more KV memory",
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
