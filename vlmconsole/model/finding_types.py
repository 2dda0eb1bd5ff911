"""What the findings rules read and what they say: a conversation's turns and the
server's facts in, findings out (model/findings.py runs the rules)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from vlmconsole.model.server_info import ModelCard
    from vlmconsole.model.server_stats import KvCapacity
    from vlmconsole.model.turn_record import TurnRecord

INFO, WARN, BAD = "info", "warn", "bad"
"""Severities: worth knowing; costs time now; will fail or is failing."""


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing the numbers show, why it matters, and what to change."""

    rule: str
    severity: str
    title: str
    evidence: str
    advice: str
    turns: tuple[int, ...] = ()
    """The turns it rests on (receipts carry a mark)."""


@dataclass(frozen=True, slots=True)
class Conversation:
    """What the rules read: one run's turns in order, and what the server says."""

    records: Sequence[TurnRecord]
    max_model_len: int | None = None
    prefix_caching: bool | None = None
    """From cache_config_info's enable_prefix_caching label, when exported."""
    block_size: int | None = None
    """KV block size in tokens (cache_config_info), when exported."""
    kv_cache_tokens: int | None = None
    """The KV cache's size in tokens (cache_config_info), when exported."""
    mm_cache_queries: float | None = None
    """The server's mm_cache_queries_total after these turns, when exported."""

    @property
    def done(self) -> list[TurnRecord]:
        """Returns the finished turns, in order."""
        return [r for r in self.records if r.ok]


@dataclass(frozen=True, slots=True)
class ServerFacts:
    """What the server says of itself that the rules read, each None when not known."""

    max_model_len: int | None = None
    prefix_caching: bool | None = None
    block_size: int | None = None
    kv_cache_tokens: int | None = None
    """The KV cache's size in tokens (cache_config_info's kv_cache_size_tokens)."""
    mm_cache_queries: float | None = None
    """The server's multimodal processor cache queries since start (mm_cache_queries_total),
    read after the turns."""

    @classmethod
    def of(
        cls,
        models: Sequence[ModelCard],
        model: str | None,
        capacity: KvCapacity | None,
        mm_cache_queries: float | None = None,
    ) -> ServerFacts:
        """Returns the facts for `model` among the server's `models`, with the KV cache's."""
        card = next((c for c in models if c.id == model), None)
        return cls(
            max_model_len=card.max_model_len if card is not None else None,
            prefix_caching=capacity.prefix_caching if capacity is not None else None,
            block_size=capacity.block_size if capacity is not None else None,
            kv_cache_tokens=capacity.capacity_tokens if capacity is not None else None,
            mm_cache_queries=mm_cache_queries,
        )

    def conversation(self, records: Sequence[TurnRecord]) -> Conversation:
        """Returns `records` as a conversation on this server."""
        return Conversation(
            records,
            max_model_len=self.max_model_len,
            prefix_caching=self.prefix_caching,
            block_size=self.block_size,
            kv_cache_tokens=self.kv_cache_tokens,
            mm_cache_queries=self.mm_cache_queries,
        )


@dataclass(frozen=True, slots=True)
class Rule:
    """A rule: its id, what it looks for (one line), and its check."""

    id: str
    looks_for: str
    check: Callable[[Conversation], list[Finding]]
