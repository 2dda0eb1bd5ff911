"""A paged KV cache with prefix caching by chained block hashes, as vLLM V1 keeps it.

A full block's hash covers its parent block's hash, its token ids and the
identities of the images whose placeholder tokens fall inside it. So a prompt that
only grew finds every full block of its old prefix, while dropping an image early
in a conversation changes every block after it.

Blocks no request holds sit in one free queue, oldest first; a block that was
cached keeps its hash there and can still be hit until it is handed out again
(LRU eviction). A finished request's blocks join the queue tail-first, so its
last blocks are evicted before its first, as in vLLM.
"""

from __future__ import annotations

import hashlib
from array import array
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from vlmconsole.sim.template import MmSpan

_ROOT = b"vlmconsole-sim-root"


def block_hash(parent: bytes | None, token_ids: Sequence[int], image_ids: Sequence[str]) -> bytes:
    """Returns the hash of one full block, chained to its parent's."""
    digest = hashlib.sha256(parent or _ROOT)
    digest.update(array("I", token_ids).tobytes())
    for identity in image_ids:
        digest.update(b"\x00img:" + identity.encode())
    return digest.digest()


def extend_block_hashes(
    hashes: list[bytes],
    token_ids: Sequence[int],
    spans: Sequence[MmSpan],
    block_size: int,
    num_blocks: int,
) -> None:
    """Appends to `hashes` the hashes of full blocks until it holds `num_blocks` of them."""
    for index in range(len(hashes), num_blocks):
        start, end = index * block_size, (index + 1) * block_size
        if end > len(token_ids):
            break
        images = [s.identity for s in spans if s.offset < end and s.offset + s.length > start]
        hashes.append(block_hash(hashes[-1] if hashes else None, token_ids[start:end], images))


@dataclass
class Residency:
    """Block residency times since the last drain, as `--kv-cache-metrics` reports them:
    lifetimes (allocation to eviction), idle times before eviction, and the gaps
    between consecutive accesses of a block, in seconds."""

    lifetimes: list[float] = field(default_factory=list)
    idle_before_evict: list[float] = field(default_factory=list)
    reuse_gaps: list[float] = field(default_factory=list)


class KvCache:
    """The block pool: reference counts, the free queue and the hash -> block map.

    With a `clock`, it also times each block's residency (`Residency`, drained by
    `drain_residency`) for the kv_block_* histograms.
    """

    def __init__(
        self, num_blocks: int, block_size: int, clock: Callable[[], float] | None = None
    ) -> None:
        self.num_blocks = num_blocks
        self.block_size = block_size
        self._refs = [0] * num_blocks
        self._hash: list[bytes | None] = [None] * num_blocks
        self._cached: dict[bytes, int] = {}
        self._free: OrderedDict[int, None] = OrderedDict((b, None) for b in range(num_blocks))
        self._clock = clock
        self._allocated_at = [0.0] * num_blocks
        self._freed_at = [0.0] * num_blocks
        self._used_at = [0.0] * num_blocks
        self._residency = Residency()

    def drain_residency(self) -> Residency:
        """Returns the residency times recorded since the last call."""
        out, self._residency = self._residency, Residency()
        return out

    @property
    def num_free(self) -> int:
        """Returns blocks no request holds (cached or not)."""
        return len(self._free)

    @property
    def usage(self) -> float:
        """Returns the fraction of blocks held by requests, 0..1 (`kv_cache_usage_perc`)."""
        return 1.0 - self.num_free / self.num_blocks

    def lookup(self, hashes: Sequence[bytes]) -> list[int]:
        """Returns the blocks of the longest cached prefix of `hashes`."""
        found: list[int] = []
        for digest in hashes:
            block = self._cached.get(digest)
            if block is None:
                break
            found.append(block)
        return found

    def can_take(self, hits: Sequence[int], new_blocks: int) -> bool:
        """Returns True when `hits` can be held and `new_blocks` more handed out."""
        idle_hits = sum(1 for b in hits if self._refs[b] == 0)
        return new_blocks <= self.num_free - idle_hits

    def hold(self, blocks: Sequence[int]) -> None:
        """Takes a reference on cached blocks a request hit, out of the free queue."""
        now = self._clock() if self._clock is not None else None
        for block in blocks:
            if self._refs[block] == 0:
                del self._free[block]
            self._refs[block] += 1
            if now is not None:
                self._residency.reuse_gaps.append(now - self._used_at[block])
                self._used_at[block] = now

    def allocate(self, count: int) -> list[int] | None:
        """Returns `count` fresh blocks, evicting the least recently freed; None if short."""
        if count > len(self._free):
            return None
        now = self._clock() if self._clock is not None else None
        taken: list[int] = []
        for _ in range(count):
            block, _unused = self._free.popitem(last=False)
            digest = self._hash[block]
            if digest is not None:
                if self._cached.get(digest) == block:
                    del self._cached[digest]
                self._hash[block] = None
                if now is not None:  # a cached block evicted for a new one
                    self._residency.lifetimes.append(now - self._allocated_at[block])
                    self._residency.idle_before_evict.append(now - self._freed_at[block])
            self._refs[block] = 1
            if now is not None:
                self._allocated_at[block] = self._used_at[block] = now
            taken.append(block)
        return taken

    def release(self, blocks: Sequence[int]) -> None:
        """Drops a request's references; blocks nobody holds join the free queue."""
        now = self._clock() if self._clock is not None else None
        for block in reversed(blocks):
            self._refs[block] -= 1
            if self._refs[block] == 0:
                self._free[block] = None
                if now is not None:
                    self._freed_at[block] = now

    def register(self, block: int, digest: bytes) -> None:
        """Marks a full, computed block as cached under `digest` (first one wins)."""
        if self._hash[block] is not None or digest in self._cached:
            return
        self._hash[block] = digest
        self._cached[digest] = block

    def reset(self) -> None:
        """Forgets every cached hash (`/reset_prefix_cache`); held blocks stay held."""
        self._cached.clear()
        self._hash = [None] * self.num_blocks
