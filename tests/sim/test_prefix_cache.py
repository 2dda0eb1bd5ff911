"""Prefix caching by chained block hashes: growing conversations hit, sliding windows miss."""

from __future__ import annotations

from typing import Any

import httpx

from tests.sim.support import SYSTEM, chat, png, user
from vlmconsole.sim import SimServer
from vlmconsole.sim.kv_cache import KvCache, block_hash

BLOCK = 128


def full_blocks(tokens: int) -> int:
    """Returns the tokens in the full blocks of a prompt this long."""
    return tokens // BLOCK * BLOCK


def cached(body: dict[str, Any]) -> int:
    """Returns the cached prompt tokens a completion reported."""
    found: int = body["usage"]["prompt_tokens_details"]["cached_tokens"]
    return found


def prompt_tokens(body: dict[str, Any]) -> int:
    """Returns the prompt tokens a completion reported."""
    found: int = body["usage"]["prompt_tokens"]
    return found


def conversation(turns: list[tuple[int, str]]) -> list[dict[str, Any]]:
    """Returns system, then per turn a user message with one image and the reply."""
    messages: list[dict[str, Any]] = [SYSTEM]
    for seed, reply in turns:
        messages.append(user(f"Step {seed}: what changed?", png(seed)))
        if reply:
            messages.append({"role": "assistant", "content": reply})
    return messages


async def grow(
    client: httpx.AsyncClient, seeds: list[int], replies: dict[int, str]
) -> dict[str, Any]:
    """Sends the conversation of `seeds` (earlier replies from `replies`); keeps the new reply."""
    body = await chat(client, conversation([(s, replies.get(s, "")) for s in seeds]))
    replies[seeds[-1]] = body["choices"][0]["message"]["content"]
    return body


async def test_a_grown_conversation_hits_every_full_block_of_the_previous_prompt(
    sim: tuple[SimServer, httpx.AsyncClient],
) -> None:
    _server, client = sim
    replies: dict[int, str] = {}
    previous = await grow(client, [1], replies)
    assert cached(previous) == 0
    for n in range(2, 6):
        body = await grow(client, list(range(1, n + 1)), replies)
        assert prompt_tokens(body) > prompt_tokens(previous) + 863
        assert cached(body) == full_blocks(prompt_tokens(previous))
        previous = body


async def test_dropping_the_oldest_image_misses_everything_after_it(
    sim: tuple[SimServer, httpx.AsyncClient],
) -> None:
    _server, client = sim
    replies: dict[int, str] = {}
    for n in range(1, 5):
        await grow(client, list(range(1, n + 1)), replies)
    slid = await grow(client, [2, 3, 4, 5], replies)
    # The first block already holds image 1's placeholders, so nothing after it matches.
    assert cached(slid) == 0
    slid_again = await grow(client, [3, 4, 5, 6], replies)
    assert cached(slid_again) == 0


async def test_dropping_a_chunk_of_images_at_once_keeps_hits_on_the_turns_after(
    sim: tuple[SimServer, httpx.AsyncClient],
) -> None:
    _server, client = sim
    replies: dict[int, str] = {}
    for n in range(1, 5):
        await grow(client, list(range(1, n + 1)), replies)
    dropped = await grow(client, [3, 4, 5], replies)  # images 1 and 2 dropped together
    assert cached(dropped) == 0
    after = await grow(client, [3, 4, 5, 6], replies)
    assert cached(after) == full_blocks(prompt_tokens(dropped))
    later = await grow(client, [3, 4, 5, 6, 7], replies)
    assert cached(later) == full_blocks(prompt_tokens(after))


async def test_the_same_text_with_another_image_misses_from_the_image_on(
    sim: tuple[SimServer, httpx.AsyncClient],
) -> None:
    _server, client = sim
    text = "word " * 400  # about 3 blocks of text before the image
    first = await chat(client, [{"role": "system", "content": text}, user("Look.", png(11))])
    other = await chat(client, [{"role": "system", "content": text}, user("Look.", png(12))])
    assert cached(first) == 0
    assert 0 < cached(other) < full_blocks(prompt_tokens(other))
    assert cached(other) % BLOCK == 0


def test_freed_blocks_stay_cached_until_evicted_tail_block_first() -> None:
    cache = KvCache(num_blocks=4, block_size=2)
    hashes = [block_hash(None, [1, 2], [])]
    hashes.append(block_hash(hashes[0], [3, 4], []))
    blocks = cache.allocate(2)
    assert blocks is not None
    for block, digest in zip(blocks, hashes, strict=True):
        cache.register(block, digest)
    cache.release(blocks)
    assert cache.usage == 0.0
    assert cache.lookup(hashes) == blocks, "freed but still cached"
    cache.hold(cache.lookup(hashes))
    assert cache.usage == 0.5
    cache.release(blocks)
    taken = cache.allocate(3)  # two never-used blocks, then the freed tail block
    assert taken is not None
    assert cache.lookup(hashes) == blocks[:1], "a prefix's tail is evicted before its head"
    assert cache.allocate(2) is None
    assert cache.allocate(1) is not None
    assert cache.lookup(hashes) == []


def test_a_block_hash_depends_on_its_parent_its_tokens_and_its_images() -> None:
    root = block_hash(None, [1, 2, 3], [])
    assert block_hash(None, [1, 2, 3], []) == root
    assert block_hash(None, [1, 2, 4], []) != root
    assert block_hash(None, [1, 2, 3], ["image-a"]) != root
    assert block_hash(None, [1, 2, 3], ["image-a"]) != block_hash(None, [1, 2, 3], ["image-b"])
    assert block_hash(root, [5], []) != block_hash(block_hash(None, [0], []), [5], [])
