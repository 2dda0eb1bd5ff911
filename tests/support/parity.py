"""Comparing what the console derives from two servers that ran the same scripted session.

Used by tests/e2e/test_sim_parity.py (the demo server against the real vLLM server):
turn facts taken from journal records, the hit/miss classification of each turn's
cached tokens, tolerances, and side-by-side tables for assertion messages.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from vlmconsole.model.snapshot import MetricsSnapshot
from vlmconsole.model.turn_record import TurnRecord

HIT_FRACTION = 0.5
"""A turn is a hit when its cached tokens exceed this share of the previous turn's prompt."""


@dataclass(frozen=True, slots=True)
class TurnFacts:
    """What the console derived for one turn, as the parity test compares it."""

    turn: int
    ok: bool
    error: str | None
    prompt_tokens: int
    cached_tokens: int
    new_image_tokens: int | None
    images_in_request: int

    @classmethod
    def of(cls, record: TurnRecord) -> TurnFacts:
        """Returns the facts of a journal record (missing token counts read as 0)."""
        return cls(
            turn=record.turn,
            ok=record.ok,
            error=record.error,
            prompt_tokens=record.prompt_tokens or 0,
            cached_tokens=record.cached_tokens or 0,
            new_image_tokens=record.new_image_tokens,
            images_in_request=record.images_in_request,
        )


def hit_pattern(turns: Sequence[TurnFacts]) -> list[str]:
    """Returns "hit" or "miss" per turn.

    A turn is a "hit" when its cached_tokens > HIT_FRACTION x the previous turn's
    prompt_tokens: the server reused most of what it had just prefilled. Otherwise
    it is a "miss". The first turn has no previous turn (0 tokens): any cached token
    there makes it a hit, which would mean the cache carried over from elsewhere.
    """
    pattern: list[str] = []
    previous_prompt = 0
    for facts in turns:
        hit = facts.cached_tokens > HIT_FRACTION * previous_prompt
        pattern.append("hit" if hit else "miss")
        previous_prompt = facts.prompt_tokens
    return pattern


def within(a: float, b: float, tolerance: float) -> bool:
    """Returns True when a and b differ by at most `tolerance` of the larger one."""
    return abs(a - b) <= tolerance * max(abs(a), abs(b))


def metric_keys(snapshot: MetricsSnapshot) -> frozenset[str]:
    """Returns our keys of the metrics a scrape carried (values and histograms)."""
    return frozenset(snapshot.values) | frozenset(snapshot.histograms)


def set_difference(name_a: str, a: Iterable[str], name_b: str, b: Iterable[str]) -> str:
    """Returns the two one-sided differences of two sets of names, one line each."""
    set_a, set_b = set(a), set(b)
    only_a = ", ".join(sorted(set_a - set_b)) or "-"
    only_b = ", ".join(sorted(set_b - set_a)) or "-"
    return f"only on {name_a}: {only_a}\nonly on {name_b}: {only_b}"


def side_by_side(name_a: str, a: Sequence[TurnFacts], name_b: str, b: Sequence[TurnFacts]) -> str:
    """Returns a per-turn table of both sides' token counts and hit/miss classes."""
    pattern_a, pattern_b = hit_pattern(a), hit_pattern(b)
    head = (
        f"{'turn':>4}  {'side':<5} {'ok':<3} {'images':>6} {'prompt':>7} {'cached':>7} "
        f"{'new img':>7}  class"
    )
    lines = [head]
    for index in range(max(len(a), len(b))):
        for name, facts, pattern in ((name_a, a, pattern_a), (name_b, b, pattern_b)):
            if index >= len(facts):
                lines.append(f"{index + 1:>4}  {name:<5} (no turn)")
                continue
            turn = facts[index]
            image = "-" if turn.new_image_tokens is None else str(turn.new_image_tokens)
            lines.append(
                f"{turn.turn:>4}  {name:<5} {'yes' if turn.ok else 'NO':<3} "
                f"{turn.images_in_request:>6} {turn.prompt_tokens:>7} {turn.cached_tokens:>7} "
                f"{image:>7}  {pattern[index]}" + (f"  ({turn.error})" if turn.error else "")
            )
    return "\n".join(lines)
