"""Findings: what a conversation's turns say about why TTFT climbs, with evidence and advice.

A pure rule engine. Each rule in `RULES` has an id, its thresholds as named constants
(documented in the rule's module: cache_rules.py, growth_rules.py, ttft_share_rules.py),
and reads one run's turn records (`Conversation`) plus what the
server says of itself; it returns findings, each with a severity, a one-line title,
the evidence (the numbers and turns it rests on) and advice a person can act on.
No I/O: the console, `bench` and the report render the findings. What the rules read
and say (Conversation, ServerFacts, Finding) is in model/finding_types.py.
"""

from __future__ import annotations

from vlmconsole.model.cache_rules import (
    bytes_changed,
    mm_cache_off,
    no_cached_counts,
    prefix_broken,
)
from vlmconsole.model.finding_types import BAD, INFO, WARN, Conversation, Finding, Rule
from vlmconsole.model.growth_rules import context_budget, decode_slows, ttft_grows_while_cached
from vlmconsole.model.ttft_share_rules import where_ttft_went

RULES: tuple[Rule, ...] = (
    Rule("prefix-broken", "cached tokens below what the previous prompt left", prefix_broken),
    Rule("bytes-changed", "a screenshot sent again with other bytes", bytes_changed),
    Rule("prefix-caching", "prefix caching off, or no cached-token counts", no_cached_counts),
    Rule("mm-cache-off", "no multimodal cache query while images are sent", mm_cache_off),
    Rule("context-budget", "the turn that will not fit max_model_len", context_budget),
    Rule("decode-slows", "decode rate falling as the context grows", decode_slows),
    Rule("ttft-per-image", "TTFT climbing while the cache hits", ttft_grows_while_cached),
    Rule("where-ttft-went", "preprocessing, sending or queueing dominating TTFT", where_ttft_went),
)
"""Every rule, in the order findings are listed."""


def findings(conversation: Conversation) -> list[Finding]:
    """Returns what every rule finds in the conversation, most severe first."""
    order = {BAD: 0, WARN: 1, INFO: 2}
    found = [finding for rule in RULES for finding in rule.check(conversation)]
    return sorted(found, key=lambda f: order[f.severity])
