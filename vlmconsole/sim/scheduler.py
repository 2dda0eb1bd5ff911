"""The scheduler: who runs in the next engine step, and what a step leaves behind.

A simplified vLLM V1 scheduler. Each step has a token budget
(`max_num_batched_tokens`): running requests go first, in order, each with its
next prefill chunk or one decode token; when one needs a KV block and none is free,
the most recently admitted running request is preempted (recompute style: its
blocks are released and it goes back to the front of the waiting queue), possibly
itself. Only in a step without preemptions are waiting requests admitted, first
come first served, up to `max_num_seqs` running, each after a prefix-cache lookup
(hits in whole blocks, never the prompt's last token). Pure: time is passed in.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from vlmconsole.sim import tokens
from vlmconsole.sim.config import SimConfig
from vlmconsole.sim.image_cost import TOKENS_PER_TILE
from vlmconsole.sim.kv_cache import KvCache, extend_block_hashes
from vlmconsole.sim.mm_cache import EncoderCache
from vlmconsole.sim.sequence import EngineRequest, Seq, Status


@dataclass(frozen=True, slots=True)
class Scheduled:
    """One request's share of a step."""

    seq: Seq
    start: int
    """Tokens computed before this step."""
    num_tokens: int
    is_prefill: bool
    encoder_tiles: int


@dataclass(frozen=True, slots=True)
class Admission:
    """A waiting request that was let in, with its prefix-cache lookup."""

    seq: Seq
    query_tokens: int
    hit_tokens: int
    num_tokens: int
    """Tokens it computes in this step."""
    first: bool
    """False when it comes back after a preemption."""


@dataclass(frozen=True, slots=True)
class StepPlan:
    """What the next engine step computes."""

    scheduled: tuple[Scheduled, ...]
    admitted: tuple[Admission, ...]
    preempted: tuple[Seq, ...]


@dataclass(frozen=True, slots=True)
class TokenOut:
    """One generated token."""

    seq: Seq
    token_id: int
    text: str
    first: bool
    gap_s: float | None
    """Time since the request's previous token; None for its first."""
    finish_reason: str | None


class Scheduler:
    """Waiting queue, running list and KV cache of the simulated engine."""

    def __init__(self, config: SimConfig, clock: Callable[[], float] | None = None) -> None:
        self.config = config
        timed = clock if config.kv_cache_metrics else None
        self.cache = KvCache(config.num_blocks, config.block_size, timed)
        largest_image = 17 * TOKENS_PER_TILE  # 4x4 tiles and the global one
        self.encoder_cache = EncoderCache(max(config.max_num_batched_tokens, largest_image))
        self.waiting: deque[Seq] = deque()
        self.running: list[Seq] = []

    def add(self, req: EngineRequest, now_s: float) -> Seq:
        """Queues a request; returns its state."""
        seq = Seq(req=req, queued_s=now_s)
        self.waiting.append(seq)
        return seq

    def has_work(self) -> bool:
        """Returns True when any request waits or runs."""
        return bool(self.waiting or self.running)

    def abort(self, seq: Seq) -> bool:
        """Drops a request wherever it is; returns True when it had not finished."""
        if seq.status is Status.FINISHED:
            return False
        if seq.status is Status.WAITING:
            self.waiting.remove(seq)
        else:
            self.running.remove(seq)
        self._finish(seq, "abort")
        return True

    def _blocks_needed(self, seq: Seq, num_tokens: int) -> int:
        size = self.config.block_size
        return -(-(seq.num_computed + num_tokens) // size) - len(seq.blocks)

    def _encoder_tiles(self, seq: Seq, start: int, num_tokens: int) -> int:
        tiles = 0
        for index, span in enumerate(seq.req.prompt.mm_spans):
            overlaps = span.offset < start + num_tokens and span.offset + span.length > start
            if overlaps and index not in seq.encoded:
                seq.encoded.add(index)
                if self.encoder_cache.encode(span.identity, span.tiles * TOKENS_PER_TILE):
                    tiles += span.tiles
        return tiles

    def _preempt(self, seq: Seq) -> None:
        self.cache.release(seq.blocks)
        seq.blocks, seq.num_computed, seq.registered = [], 0, 0
        seq.encoded.clear()
        seq.status = Status.WAITING
        seq.num_preemptions += 1
        self.waiting.appendleft(seq)

    def _plan(self, seq: Seq, num_tokens: int) -> Scheduled:
        is_prefill = not seq.output or seq.num_tokens - seq.num_computed > 1
        tiles = self._encoder_tiles(seq, seq.num_computed, num_tokens) if is_prefill else 0
        return Scheduled(seq, seq.num_computed, num_tokens, is_prefill, tiles)

    def schedule(self, now_s: float) -> StepPlan:
        """Returns the next step's plan, taking blocks and preempting as needed."""
        budget = self.config.max_num_batched_tokens
        scheduled: list[Scheduled] = []
        preempted: list[Seq] = []
        index = 0
        while index < len(self.running) and budget > 0:
            seq = self.running[index]
            num_tokens = min(seq.num_tokens - seq.num_computed, budget)
            while (need := self._blocks_needed(seq, num_tokens)) > 0:
                fresh = self.cache.allocate(need)
                if fresh is not None:
                    seq.blocks += fresh
                    break
                victim = self.running.pop()
                self._preempt(victim)
                preempted.append(victim)
                if victim is seq:
                    break
            if seq.status is not Status.RUNNING:
                break
            scheduled.append(self._plan(seq, num_tokens))
            budget -= num_tokens
            index += 1
        admitted: list[Admission] = []
        if not preempted:
            while self.waiting and len(self.running) < self.config.max_num_seqs and budget > 0:
                admission = self._admit(self.waiting[0], budget, now_s)
                if admission is None:
                    break
                admitted.append(admission)
                self.waiting.popleft()
                self.running.append(admission.seq)
                scheduled.append(self._plan(admission.seq, admission.num_tokens))
                budget -= admission.num_tokens
        return StepPlan(tuple(scheduled), tuple(admitted), tuple(preempted))

    def _admit(self, seq: Seq, budget: int, now_s: float) -> Admission | None:
        size = self.config.block_size
        total = seq.num_tokens
        max_hit_blocks = (total - 1) // size
        extend_block_hashes(
            seq.hashes, seq.token_ids(), seq.req.prompt.mm_spans, size, max_hit_blocks
        )
        hits = self.cache.lookup(seq.hashes[:max_hit_blocks])
        hit_tokens = len(hits) * size
        num_tokens = min(total - hit_tokens, budget)
        need = -(-(hit_tokens + num_tokens) // size) - len(hits)
        if not self.cache.can_take(hits, need):
            return None
        self.cache.hold(hits)
        fresh = self.cache.allocate(need)
        assert fresh is not None, "can_take said the blocks were there"
        seq.blocks = [*hits, *fresh]
        seq.num_computed = hit_tokens
        seq.registered = len(hits)
        seq.status = Status.RUNNING
        first = seq.cached_tokens is None
        if first:
            seq.cached_tokens = hit_tokens
            seq.scheduled_s = now_s
        return Admission(seq, total, hit_tokens, num_tokens, first)

    def complete(self, plan: StepPlan, now_s: float) -> list[TokenOut]:
        """Applies a finished step at `now_s`; returns the tokens it generated."""
        out: list[TokenOut] = []
        for item in plan.scheduled:
            seq = item.seq
            if seq.status is not Status.RUNNING:
                continue  # aborted while the step ran
            seq.num_computed += item.num_tokens
            self._register(seq)
            if seq.num_computed == seq.num_tokens:
                out.append(self._sample(seq, now_s))
        return out

    def _register(self, seq: Seq) -> None:
        size = self.config.block_size
        full = seq.num_computed // size
        if full <= seq.registered:
            return
        extend_block_hashes(seq.hashes, seq.token_ids(), seq.req.prompt.mm_spans, size, full)
        for index in range(seq.registered, full):
            self.cache.register(seq.blocks[index], seq.hashes[index])
        seq.registered = full

    def _sample(self, seq: Seq, now_s: float) -> TokenOut:
        index = len(seq.output)
        stop = seq.req.stop_after
        finish: str | None = None
        if stop is not None and index + 1 >= stop:
            token_id, text, finish = tokens.END_OF_UTTERANCE, "", "stop"
        else:
            token_id, text = tokens.reply_token(seq.req.seed, index)
        seq.output.append(token_id)
        if finish is None and len(seq.output) >= seq.req.max_tokens:
            finish = "length"
        first = index == 0
        gap = None if seq.last_token_s is None else now_s - seq.last_token_s
        if first:
            seq.first_token_s = now_s
            full = (seq.num_prompt // self.config.block_size) * self.config.block_size
            seq.created_cache_tokens = max(0, full - (seq.cached_tokens or 0))
        seq.last_token_s = now_s
        if finish is not None:
            self.running.remove(seq)
            self._finish(seq, finish)
        return TokenOut(seq, token_id, text, first, gap, finish)

    def _finish(self, seq: Seq, reason: str) -> None:
        self.cache.release(seq.blocks)
        seq.blocks = []
        seq.status = Status.FINISHED
        seq.finish_reason = reason
