"""Findings: what a conversation's turns say about why TTFT climbs, with evidence and advice.

A pure rule engine. Each rule in `RULES` has an id, its thresholds as named constants
(documented here), and reads one run's turn records (`Conversation`) plus what the
server says of itself; it returns findings, each with a severity, a one-line title,
the evidence (the numbers and turns it rests on) and advice a person can act on.
No I/O: the console, `bench` and the report render the findings.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from vlmconsole.model.server_info import ModelCard
from vlmconsole.model.server_stats import KvCapacity
from vlmconsole.model.turn_record import ImageInfo, TurnRecord

INFO, WARN, BAD = "info", "warn", "bad"
"""Severities: worth knowing; costs time now; will fail or is failing."""

DEFAULT_BLOCK_TOKENS = 128
"""Prefix caching caches whole KV blocks only: a turn may find up to a block less in the
cache than the previous prompt held (its last, partial block) without anything being
wrong. The block size is the server's (cache_config_info); when it is not known, 128
(vLLM's CPU backend; most GPU backends use 16): the larger, so as not to cry wolf."""
TEMPLATE_SLACK_TOKENS = 16
"""Tokens the chat template may render differently at the end of the previous prompt
(the generation prompt becomes the assistant's turn)."""
CONTEXT_WARN_TURNS = 3
"""The context-budget finding is a warning when this many turns or fewer remain."""
PREPROCESSING_SHARE = 0.5
"""Server preprocessing (image decoding, the processor) above this share of a turn's
TTFT dominates it."""
CLIENT_SHARE = 0.3
"""The client and the transport above this share of a turn's TTFT: the bytes cost."""
QUEUE_SHARE = 0.25
"""Time in the server's queue above this share of a turn's TTFT: other traffic first."""
DECODE_SLOWDOWN = 0.8
"""Decode rate at the last turn under this fraction of the first's, with the context at
least CONTEXT_GROWTH times larger: decoding slows as the context grows."""
CONTEXT_GROWTH = 2.0
TTFT_GROWTH = 1.5
"""TTFT at the last turn over this many times the first's while the cached share stays
at CACHED_SHARE or more: a per-image cost the prefix cache does not remove."""
CACHED_SHARE = 0.7
SAME_LOOK_BITS = 6
"""Two pictures whose difference hashes differ in at most this many of 64 bits show the
same screen (a JPEG re-save, a clock that moved); more, and it is another screen that
reused the name."""


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


def _heavy(conversation: Conversation, part: str, share: float) -> list[tuple[TurnRecord, float]]:
    """Returns (turn, seconds) of the finished turns whose breakdown `part` (a
    TtftBreakdown field) is over `share` of their TTFT."""
    return [
        (r, getattr(r.breakdown, part))
        for r in conversation.done
        if r.breakdown is not None
        and getattr(r.breakdown, part) > share * r.breakdown.client_ttft_s
    ]


def where_ttft_went(conversation: Conversation) -> list[Finding]:
    """Server preprocessing, or the client and the transport, dominate the TTFT."""
    found: list[Finding] = []
    heavy_pre = [r for r, _ in _heavy(conversation, "preprocessing_s", PREPROCESSING_SHARE)]
    if heavy_pre:
        worst = max(heavy_pre, key=lambda r: r.breakdown.preprocessing_s if r.breakdown else 0)
        parts = worst.breakdown
        assert parts is not None
        found.append(
            Finding(
                "preprocessing-dominates",
                WARN,
                "image preprocessing takes most of the TTFT",
                f"{len(heavy_pre)} turn(s); turn {worst.turn}: {parts.preprocessing_s:.3f} s "
                f"of {parts.client_ttft_s:.3f} s in the server's preprocessing",
                "send each image once (transport uuid) or as a URL, or smaller (--max-side)",
                tuple(r.turn for r in heavy_pre),
            )
        )
    heavy_client = [r for r, _ in _heavy(conversation, "client_transport_s", CLIENT_SHARE)]
    if heavy_client:
        last = heavy_client[-1]
        parts = last.breakdown
        assert parts is not None
        found.append(
            Finding(
                "bytes-cost",
                INFO,
                "sending the request takes a large share of the TTFT",
                f"{len(heavy_client)} turn(s); turn {last.turn}: {parts.client_transport_s:.3f} s "
                f"of {parts.client_ttft_s:.3f} s before the server counted it"
                + (f", {last.request_bytes:,} bytes sent" if last.request_bytes else ""),
                "the uuid transport sends each screenshot's bytes once",
                tuple(r.turn for r in heavy_client),
            )
        )
    queued = [r for r, _ in _heavy(conversation, "queue_s", QUEUE_SHARE)]
    if queued:
        worst = max(queued, key=lambda r: r.breakdown.queue_s if r.breakdown else 0)
        parts = worst.breakdown
        assert parts is not None
        found.append(
            Finding(
                "queued",
                WARN,
                "turns wait in the server's queue behind other requests",
                f"{len(queued)} turn(s); turn {worst.turn}: {parts.queue_s:.3f} s of "
                f"{parts.client_ttft_s:.3f} s queued",
                "the server is busy with other traffic: fewer concurrent clients, a larger "
                "--max-num-seqs or --max-num-batched-tokens if the KV cache allows, or "
                "another replica",
                tuple(r.turn for r in queued),
            )
        )
    return found


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
