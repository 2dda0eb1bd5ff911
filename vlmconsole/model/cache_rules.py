"""Findings rules on the caches: the prefix broken, a screenshot resent with other bytes,
prefix caching or the multimodal cache off, no cached-token counts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from vlmconsole.model.finding_types import BAD, INFO, WARN, Conversation, Finding

if TYPE_CHECKING:
    from vlmconsole.model.turn_record import ImageInfo, TurnRecord

DEFAULT_BLOCK_TOKENS = 128
"""Prefix caching caches whole KV blocks only: a turn may find up to a block less in the
cache than the previous prompt held (its last, partial block) without anything being
wrong. The block size is the server's (cache_config_info); when it is not known, 128
(vLLM's CPU backend; most GPU backends use 16): the larger, so as not to cry wolf."""
TEMPLATE_SLACK_TOKENS = 16
"""Tokens the chat template may render differently at the end of the previous prompt
(the generation prompt becomes the assistant's turn)."""

SAME_LOOK_BITS = 6
"""Two pictures whose difference hashes differ in at most this many of 64 bits show the
same screen (a JPEG re-save, a clock that moved); more, and it is another screen that
reused the name."""


def _policy_kind(record: TurnRecord) -> str:
    return record.policy.split(":", 1)[0]


def look_distance(a: str, b: str) -> int:
    """Returns how many of two difference hashes' 64 bits differ."""
    return (int(a, 16) ^ int(b, 16)).bit_count()


def _same_screen_new_pixels(before: ImageInfo, now: ImageInfo) -> bool:
    """Returns True when `now` is `before`'s screen with other pixels: vLLM's caches,
    keyed on pixels, miss it. The same pixels in other bytes hit; a different picture
    under the same name is another screen."""
    if before.sha256 == now.sha256:
        return False
    if before.pixels_sha256 and now.pixels_sha256 and before.pixels_sha256 == now.pixels_sha256:
        return False
    if before.look and now.look:
        return look_distance(before.look, now.look) <= SAME_LOOK_BITS
    return True  # records older than version 3: the name is all there is


def _bytes_changed(
    earlier: Sequence[TurnRecord], record: TurnRecord
) -> list[tuple[ImageInfo, ImageInfo, int]]:
    """Returns (earlier image, this one, its turn) for each of the record's new images that
    came back as the same screen with other pixels."""
    seen = {image.label: (image, r.turn) for r in earlier for image in r.new_images}
    found = []
    for image in record.new_images:
        before = seen.get(image.label)
        if before is not None and _same_screen_new_pixels(before[0], image):
            found.append((before[0], image, before[1]))
    return found


def prefix_broken(conversation: Conversation) -> list[Finding]:
    """A turn's cached tokens fell below what the previous turn's prompt left cached."""
    found: list[Finding] = []
    done = conversation.done
    slack = (conversation.block_size or DEFAULT_BLOCK_TOKENS) + TEMPLATE_SLACK_TOKENS
    for before, record in zip(done, done[1:], strict=False):
        if before.prompt_tokens is None or record.cached_tokens is None:
            continue
        lost = before.prompt_tokens - record.cached_tokens
        if lost <= slack:
            continue
        changed = _bytes_changed(done[: done.index(record)], record)
        kind = _policy_kind(record)
        if changed:
            cause = "an earlier screenshot came back with other bytes"
            advice = (
                "send the exact bytes each time (the console encodes once; check the capture tool)"
            )
        elif kind == "slide" and record.images_in_request <= before.images_in_request:
            cause = f"the window slid ({record.policy}): the oldest image left the request"
            advice = (
                "use chunk:N (drops half the window at once and hits in between) or none "
                "while the context allows"
            )
        elif kind == "chunk" and record.images_in_request < before.images_in_request:
            cause = f"the window dropped its oldest half ({record.policy})"
            advice = "expected once per chunk; a larger N drops less often"
        else:
            cause = "the history before the new turn changed"
            advice = "keep earlier messages byte for byte (no rewritten or re-rendered history)"
        found.append(
            Finding(
                "prefix-broken",
                WARN,
                f"turn {record.turn}: the prefix cache missed {lost:,} tokens it had",
                f"turn {before.turn} sent {before.prompt_tokens:,} prompt tokens; turn "
                f"{record.turn} found {record.cached_tokens:,} cached, so {lost:,} were "
                f"prefilled again: {cause}",
                advice,
                (record.turn,),
            )
        )
    return found


def bytes_changed(conversation: Conversation) -> list[Finding]:
    """The same screenshot (its name and look) sent again with other pixels."""
    found: list[Finding] = []
    done = conversation.done
    for n, record in enumerate(done):
        for before, image, turn in _bytes_changed(done[:n], record):
            look = (
                f" (their difference hashes differ in {look_distance(before.look, image.look)} "
                "of 64 bits: the same screen)"
                if before.look and image.look
                else ""
            )
            cost = f"; it cost {image.tokens:,} image tokens again" if image.tokens else ""
            found.append(
                Finding(
                    "bytes-changed",
                    WARN,
                    f"turn {record.turn}: {image.label} came back with other pixels",
                    f"sent at turn {turn} and again at turn {record.turn}, a different sha256"
                    f"{look}: vLLM keys its caches on pixels, so the multimodal cache missed "
                    f"and the image was processed as new{cost}",
                    "send the same file for the same screen: no lossy re-encoding (JPEG), "
                    "no clock or cursor drawn in; `r` resends the last screenshot byte for byte",
                    (record.turn,),
                )
            )
    return found


PREFIX_CACHING_OFF = Finding(
    "prefix-caching-off",
    BAD,
    "the server runs without prefix caching",
    "cache_config_info says enable_prefix_caching=False: every turn prefills the whole "
    "conversation again",
    "start vLLM with --enable-prefix-caching",
)
"""Said of a conversation and of the server alike."""


def no_cached_counts(conversation: Conversation) -> list[Finding]:
    """The server reports no cached tokens, or has prefix caching off."""
    done = conversation.done
    if conversation.prefix_caching is False:
        return [PREFIX_CACHING_OFF]
    missing = [r.turn for r in done if r.cached_tokens is None]
    if done and len(missing) == len(done):
        return [
            Finding(
                "no-cached-counts",
                INFO,
                "the server does not say how many prompt tokens were cached",
                f"no usage.prompt_tokens_details.cached_tokens in {len(done)} turns",
                "start vLLM with --enable-prompt-tokens-details to see the prefix cache work",
                tuple(missing),
            )
        ]
    return []


MM_CACHE_TURNS = 2
"""Image turns after which a multimodal cache with no query at all is off."""


def mm_cache_off(conversation: Conversation) -> list[Finding]:
    """The server's multimodal processor cache answered no query while images were sent."""
    with_images = [r for r in conversation.done if r.new_images]
    if conversation.mm_cache_queries != 0 or len(with_images) < MM_CACHE_TURNS:
        return []
    return [
        Finding(
            "mm-cache-off",
            WARN,
            "the server's multimodal processor cache is off",
            f"{len(with_images)} turns sent images and vllm:mm_cache_queries_total is 0: "
            "every image of every request is processed again",
            "start vLLM with --mm-processor-cache-gb above 0 (4 by default; 0 turns it off)",
            tuple(r.turn for r in with_images),
        )
    ]
