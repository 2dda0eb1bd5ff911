"""One turn as the journal keeps it: what was sent, what came back, what it cost.

Records hold paths and hashes of images, never their bytes, and never an API key.
`to_json` / `from_json` are the journal's line format (JSON Lines).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

from vlmconsole.model.turn_timing import HttpPhases, ServerTiming, TtftBreakdown

RECORD_VERSION = 3
"""2: ttft_source, the first text / reasoning / tool call times and the ITL spread
(journals of version 1 load with those empty). 3: each image's pixel digest and
difference hash (`ImageInfo.pixels_sha256`, `look`), and `external_kv_tokens` (empty in
older journals)."""


CONTEXT_FULL_MARKS = ("maximum context length", "maximum model length")
"""How vLLM words a prompt longer than the context (0.32: the first; older: the second)."""


@dataclass(frozen=True, slots=True)
class ImageInfo:
    """An image as records name it: where it came from, its hash and size."""

    label: str
    sha256: str
    width: int
    height: int
    bytes_sent: int
    tokens: int | None = None
    """Prompt tokens this image cost, when known."""
    pixels_sha256: str | None = None
    """The sha256 of its RGB pixels, what vLLM's caches key on (None before version 3)."""
    look: str | None = None
    """Its 64-bit difference hash in hex: near-identical pictures differ in a few bits."""


@dataclass(frozen=True, slots=True)
class TurnRecord:
    """One finished or failed turn."""

    run_id: str
    policy: str
    turn: int
    """1-based, within the run."""
    started_at: str
    """Wall-clock ISO 8601 time the turn started."""
    status: str
    """"ok" or "failed"."""
    model: str
    transport: str
    error: str | None = None
    new_images: tuple[ImageInfo, ...] = ()
    images_in_request: int = 0
    request_bytes: int | None = None
    external_kv_tokens: int | None = None
    """Prompt tokens a KV connector (LMCache ...) supplied for this turn: the delta of
    prompt_tokens_by_source{source=external_kv_transfer} around it, when it was the only
    request in flight; None when not exported or not isolated."""
    image_bytes_saved: int | None = None
    """uuid transport: bytes the images sent by id alone saved against base64 data URLs."""
    resent_after_cache_miss: bool = False
    """uuid transport: the server had lost an image; the turn went again with all bytes."""
    prep_s: float | None = None
    """Building the request: messages, image URLs, the JSON body."""
    http: HttpPhases | None = None
    """The HTTP client's phases of the request (build, connect, upload, wait), version 2."""
    ttft_s: float | None = None
    ttft_source: str | None = None
    """"usage" (the first chunk with completion tokens), "content" (the first chunk with
    content: a server without usage per chunk), None before version 2."""
    first_text_s: float | None = None
    """From sending to the first visible text (later than ttft_s when tokens held it back)."""
    first_reasoning_s: float | None = None
    first_tool_call_s: float | None = None
    decode_tok_s: float | None = None
    """Client side: from chunk arrival times (bursty when the client or network buffers)."""
    server_decode_tok_s: float | None = None
    """Server side: (tokens - 1) / the server's decode time, when it reported one."""
    itl_s: float | None = None
    itl_p50_s: float | None = None
    itl_p90_s: float | None = None
    itl_max_s: float | None = None
    tpot_s: float | None = None
    e2e_s: float | None = None
    prompt_tokens: int | None = None
    cached_tokens: int | None = None
    new_tokens: int | None = None
    completion_tokens: int | None = None
    image_tokens_in_request: int | None = None
    new_image_tokens: int | None = None
    """Tokens this turn's own images added."""
    image_tokens_source: str | None = None
    """"server" (vLLM's multimodal_tokens) or "derived (prompt growth)"."""
    server: ServerTiming | None = None
    server_note: str | None = None
    """Why the server's timing is missing, when it is."""
    breakdown: TtftBreakdown | None = None
    reply: str = ""
    """The assistant's words (for a failed turn, what was received before it failed)."""
    version: int = RECORD_VERSION
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Returns True for a turn that finished."""
        return self.status == "ok"

    @property
    def context_full(self) -> bool:
        """Returns True when the server refused the turn for not fitting the model's context."""
        error = (self.error or "").lower()
        return any(mark in error for mark in CONTEXT_FULL_MARKS)

    @property
    def decode_rate_tok_s(self) -> float | None:
        """Returns the server's decode rate when it reported one, else the client's."""
        if self.server_decode_tok_s is not None:
            return self.server_decode_tok_s
        return self.decode_tok_s

    @property
    def cached_fraction(self) -> float | None:
        """Returns the share of the prompt served from the prefix cache, 0..1."""
        if self.cached_tokens is None or not self.prompt_tokens:
            return None
        return self.cached_tokens / self.prompt_tokens


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def to_json(record: TurnRecord) -> dict[str, Any]:
    """Returns the record as JSON-ready data (one journal line)."""
    data: dict[str, Any] = _finite(dataclasses.asdict(record))
    return data


def from_json(data: dict[str, Any]) -> TurnRecord:
    """Returns the record a journal line holds; unknown keys go to `extra`."""
    names = {f.name for f in dataclasses.fields(TurnRecord)}
    known = {k: v for k, v in data.items() if k in names}
    extra = {k: v for k, v in data.items() if k not in names}
    known["new_images"] = tuple(ImageInfo(**image) for image in known.get("new_images", ()))
    if known.get("server") is not None:
        known["server"] = ServerTiming(**known["server"])
    if known.get("breakdown") is not None:
        known["breakdown"] = TtftBreakdown(**known["breakdown"])
    if known.get("http") is not None:
        known["http"] = HttpPhases(**known["http"])
    known["extra"] = {**known.get("extra", {}), **extra}
    return TurnRecord(**known)
