"""Findings rules on growth: the turn that will not fit the context, decoding slowing as
the context grows, TTFT climbing while the prefix cache hits."""

from __future__ import annotations

import statistics
from typing import TYPE_CHECKING

from vlmconsole.model.finding_types import INFO, WARN, Conversation, Finding

if TYPE_CHECKING:
    from vlmconsole.model.turn_record import TurnRecord

CONTEXT_WARN_TURNS = 3
"""The context-budget finding is a warning when this many turns or fewer remain."""
DECODE_SLOWDOWN = 0.8
"""Decode rate at the last turn under this fraction of the first's, with the context at
least CONTEXT_GROWTH times larger: decoding slows as the context grows."""
CONTEXT_GROWTH = 2.0
TTFT_GROWTH = 1.5
"""TTFT at the last turn over this many times the first's while the cached share stays
at CACHED_SHARE or more: a per-image cost the prefix cache does not remove."""
CACHED_SHARE = 0.7


def context_budget(conversation: Conversation) -> list[Finding]:
    """At the measured growth per turn, the turn that will exceed max_model_len."""
    done = [r for r in conversation.done if r.prompt_tokens is not None]
    limit = conversation.max_model_len
    if limit is None or len(done) < 2:
        return []
    prompts = [r.prompt_tokens or 0 for r in done]
    growth = statistics.median(b - a for a, b in zip(prompts, prompts[1:], strict=False))
    if growth <= 0:
        return []
    last = done[-1]
    used = prompts[-1] + (last.completion_tokens or 0)
    left = max(0, int((limit - used) // growth))
    fails = last.turn + left + 1
    severity = WARN if left <= CONTEXT_WARN_TURNS else INFO
    found = [
        Finding(
            "context-budget",
            severity,
            f"turn {fails} will not fit the {limit:,}-token context",
            f"the prompt grows {growth:,.0f} tokens a turn (median of {len(done) - 1}); "
            f"turn {last.turn} used {used:,} with its reply: {left} more turn(s) fit",
            f"a window policy (slide:N or chunk:N) keeps the context bounded; smaller "
            f"screenshots cost fewer tokens; a new conversation (c); or a larger "
            f"--max-model-len (now {limit:,}) if the KV cache holds it",
            (last.turn,),
        )
    ]
    kv = conversation.kv_cache_tokens
    if kv:
        fit = kv // max(used, 1)
        alone = last.turn + max(0, int((kv - used) // growth)) + 1
        over = alone < fails
        found.append(
            Finding(
                "kv-capacity",
                WARN if over or fit < 2 else INFO,
                f"turn {alone} alone would overflow the KV cache: preemptions"
                if over
                else f"{fit:,} conversation(s) like this fit the KV cache at once",
                f"the KV cache holds {kv:,} tokens; this conversation holds {used:,} at turn "
                f"{last.turn} and grows {growth:,.0f} a turn",
                "more KV memory (--gpu-memory-utilization, --kv-cache-memory-bytes, "
                "VLLM_CPU_KVCACHE_SPACE on CPU) or a window policy"
                + (f"; --max-model-len {limit:,} is larger than the KV cache" if over else ""),
                (last.turn,),
            )
        )
    return found


def decode_slows(conversation: Conversation) -> list[Finding]:
    """Decode slows as the context grows (every new token attends over every earlier one)."""
    done = [r for r in conversation.done if r.prompt_tokens and _decode(r)]
    if len(done) < 2:
        return []
    first, last = done[0], done[-1]
    rate_first, rate_last = _decode(first) or 0.0, _decode(last) or 0.0
    grew = (last.prompt_tokens or 0) / max(first.prompt_tokens or 1, 1)
    if grew < CONTEXT_GROWTH or rate_last >= DECODE_SLOWDOWN * rate_first:
        return []
    return [
        Finding(
            "decode-slows",
            INFO,
            "decoding slows as the context grows",
            f"{rate_first:,.0f} tok/s at {first.prompt_tokens:,} tokens (turn {first.turn}), "
            f"{rate_last:,.0f} tok/s at {last.prompt_tokens:,} (turn {last.turn})",
            "only a shorter effective context flattens it: a window policy",
            (first.turn, last.turn),
        )
    ]


def _decode(record: TurnRecord) -> float | None:
    return record.server_decode_tok_s or record.decode_tok_s


def ttft_grows_while_cached(conversation: Conversation) -> list[Finding]:
    """TTFT grows with the images while the cached share stays high."""
    done = [r for r in conversation.done if r.ttft_s is not None]
    if len(done) < 3:
        return []
    first, last = done[0], done[-1]
    share = last.cached_fraction
    if share is None or share < CACHED_SHARE:
        return []
    if (last.ttft_s or 0) < TTFT_GROWTH * (first.ttft_s or 0):
        return []
    return [
        Finding(
            "ttft-per-image",
            WARN,
            "TTFT climbs with the images although the prefix cache hits",
            f"TTFT {first.ttft_s:.2f} s at turn {first.turn} ({first.images_in_request} "
            f"image(s)), {last.ttft_s:.2f} s at turn {last.turn} ({last.images_in_request}); "
            f"{share:.0%} of the last prompt was cached",
            "each request still carries every image: the uuid transport sends each once; "
            "a window policy sends fewer",
            (first.turn, last.turn),
        )
    ]
