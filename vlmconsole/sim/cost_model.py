"""How long the simulated server takes: a cost model fitted to the real CPU test server.

Calibration (vLLM 0.32.0 CPU build, the tiny random-weight Idefics3 test model,
2 cores, `tests/support/real_vllm.py`'s arguments; measured by
`benchmarks/calibrate_sim.py`, run as `.venv/bin/python benchmarks/calibrate_sim.py
[--out FILE]`, which sends one request at a time and reads each request's
server-side view from the deltas of the `/metrics` histogram sums around it, then
sends the same requests to this simulator and prints both side by side):

- Text-only prefill (`request_prefill_time_seconds`): 227 tokens 0.010 s, 6,111
  tokens 0.31 s, 16,291 tokens 1.80 s, 32,193 tokens 6.59 s. Fitted as
  `b * n + q * n * (context + n / 2)` with b = 1.4e-5 s a token and q = 1.2e-8 s
  a token pair (attention): 0.31 / 1.82 / 6.67 s predicted.
- One fresh 1280x720 PNG plus a short system and user text (889 prompt tokens, 863
  of them the image's): server TTFT 0.85-0.93 s (one outlier 1.51 s), client TTFT
  0.95-1.56 s; prefill 0.30-0.58 s, of which text attention is only 0.02 s: the
  rest is the vision encoder, about 0.033 s per 512x512 tile (9 tiles 0.19 s, 13
  tiles 0.30-0.58 s, 17 tiles 0.77 s). TTFT minus prefill, the frontend's image
  work (decode, hash, HF processor), was 0.26 s for 9 tiles, 0.42-0.46 s for 13:
  about 0.033 s per tile as well.
- Byte-identical images hit the processor cache: resending the same 4 images after
  new text cost 0.06 s of frontend time in all; in a growing conversation each
  earlier (cached) screenshot added about 0.065 s; an identical resend of 8 images
  0.08 s. Modelled as 0.04 s per cached image.
- Request overhead outside the engine (text-only TTFT minus prefill): 0.005-0.014 s.
- Decode, one request running: 3.9 ms a token at about 1,000 tokens of context
  (200 tokens, `ignore_eos`), 2.7-4.1 ms at 900-1,800 (16-24 tokens), 5.9 ms at
  32,200. With 2-3 requests running (the `vllm-0.32.0-load.txt` capture) the mean
  ITL was 5.3 ms. Modelled as a step costing 2.0 ms + 1.4 ms a running sequence +
  7.5e-8 s a token of context summed over them.

The simulator against the real server (server TTFT from the histogram, same
requests): a first 1280x720 turn 0.91 s (measured 0.85-0.93); the same request
again 0.07 s (0.04-0.09: prefix and encoder caches hit); turns 1-4 of a growing
conversation 0.91, 0.98, 1.01, 1.07 s (0.92, 1.28, 1.07, 0.96); a window of 8
screenshots sliding by one 4.6 s a turn (3.3 s in ../shared/DESIGN.md). Not
modelled: CPU contention between the frontend and the engine (8 fresh images in
one request: 7.3 s, measured 11.1 s).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Calibration:
    """The cost model's constants, in seconds (see the module docstring)."""

    request_overhead_s: float = 0.008
    image_preprocess_per_tile_s: float = 0.033
    """Frontend work for an image the processor cache has not seen, per tile."""
    image_cached_preprocess_s: float = 0.04
    """Frontend work for an image the processor cache hits (decode and hash)."""
    prefill_per_token_s: float = 1.4e-5
    prefill_attention_s: float = 1.2e-8
    """Per new token per token of context it attends to."""
    encoder_per_tile_s: float = 0.033
    step_overhead_s: float = 0.002
    decode_per_seq_s: float = 0.0014
    decode_per_context_token_s: float = 7.5e-8


def preprocess_seconds(cal: Calibration, missed_tiles: Sequence[int], hits: int) -> float:
    """Returns the frontend time of one request.

    Args:
        cal: the cost model.
        missed_tiles: tiles of each image the processor cache missed.
        hits: images the processor cache hit.
    """
    return (
        cal.request_overhead_s
        + cal.image_preprocess_per_tile_s * sum(missed_tiles)
        + cal.image_cached_preprocess_s * hits
    )


def prefill_seconds(cal: Calibration, start: int, num_tokens: int) -> float:
    """Returns the time to compute `num_tokens` prompt tokens after `start` computed ones."""
    return cal.prefill_per_token_s * num_tokens + cal.prefill_attention_s * num_tokens * (
        start + num_tokens / 2
    )


def step_seconds(
    cal: Calibration,
    prefill_chunks: Sequence[tuple[int, int]],
    decode_contexts: Sequence[int],
    encoder_tiles: int,
) -> float:
    """Returns the duration of one engine step.

    Args:
        cal: the cost model.
        prefill_chunks: (tokens already computed, tokens computed now) per prefilling request.
        decode_contexts: context length of each decoding request.
        encoder_tiles: image tiles the vision encoder runs on in this step.
    """
    return (
        cal.step_overhead_s
        + sum(prefill_seconds(cal, start, n) for start, n in prefill_chunks)
        + cal.decode_per_seq_s * len(decode_contexts)
        + cal.decode_per_context_token_s * sum(decode_contexts)
        + cal.encoder_per_tile_s * encoder_tiles
    )
