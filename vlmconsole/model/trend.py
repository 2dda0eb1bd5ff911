"""Trend fits: why TTFT climbs as the conversation grows, and where it is heading.

Straight-line least-squares fits (stdlib `statistics.linear_regression`) of:
- TTFT against the turn's new (uncached) prompt tokens: the prefill cost;
- TTFT against the images in the request: vLLM decodes and processes every
  image of every request before any cache lookup, so this grows even when
  the prefix cache hits;
- TTFT against context (prompt) tokens;
- decode time per token against context tokens.
Each fit carries its r² so a weak fit reads as weak.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from vlmconsole.model.turn_record import TurnRecord
    from vlmconsole.model.window_policy import WindowPolicy

MIN_POINTS = 3


@dataclass(frozen=True, slots=True)
class Fit:
    """y = intercept + slope * x over `points` turns."""

    x_name: str
    y_name: str
    slope: float
    intercept: float
    r2: float
    points: int

    def at(self, x: float) -> float:
        """Returns the fitted y at x."""
        return self.intercept + self.slope * x


def fit(xs: Sequence[float], ys: Sequence[float], x_name: str, y_name: str) -> Fit | None:
    """Returns the least-squares line through the points, or None with too few or flat x."""
    if len(xs) < MIN_POINTS or len(set(xs)) < 2:
        return None
    slope, intercept = statistics.linear_regression(xs, ys)
    try:
        r2 = statistics.correlation(xs, ys) ** 2
    except statistics.StatisticsError:  # y constant: the line is exact
        r2 = 1.0
    return Fit(x_name, y_name, slope, intercept, r2, len(xs))


@dataclass(frozen=True, slots=True)
class Trend:
    """The fits of one run."""

    ttft_vs_new_tokens: Fit | None
    ttft_vs_images: Fit | None
    ttft_vs_context: Fit | None
    decode_s_per_token_vs_context: Fit | None


def _points(records: Sequence[TurnRecord], x: str, y: str) -> tuple[list[float], list[float]]:
    xs: list[float] = []
    ys: list[float] = []
    for record in records:
        xv, yv = getattr(record, x), getattr(record, y)
        if record.ok and xv is not None and yv is not None:
            xs.append(float(xv))
            ys.append(float(yv))
    return xs, ys


def trend(records: Sequence[TurnRecord]) -> Trend:
    """Returns the fits over one run's finished turns."""
    decode_x: list[float] = []
    decode_y: list[float] = []
    for record in records:
        rate = record.server_decode_tok_s or record.decode_tok_s
        if record.ok and rate and record.prompt_tokens is not None:
            decode_x.append(float(record.prompt_tokens))
            decode_y.append(1.0 / rate)
    return Trend(
        ttft_vs_new_tokens=fit(*_points(records, "new_tokens", "ttft_s"), "new tokens", "TTFT s"),
        ttft_vs_images=fit(*_points(records, "images_in_request", "ttft_s"), "images", "TTFT s"),
        ttft_vs_context=fit(*_points(records, "prompt_tokens", "ttft_s"), "context", "TTFT s"),
        decode_s_per_token_vs_context=fit(decode_x, decode_y, "context", "decode s/token"),
    )


def images_in_request(policy: WindowPolicy, images: int) -> int:
    """Returns how many images a request carries once `images` screenshots were pushed."""
    return images - policy.window_start(images)


@dataclass(frozen=True, slots=True)
class Prediction:
    """TTFT expected once `images` screenshots were pushed, from the images fit."""

    images: int
    images_in_request: int
    ttft_s: float | None
    """None when the fit cannot tell (see `why_not`)."""
    fit: Fit
    why_not: str | None = None


def predict_ttft(policy: WindowPolicy, fits: Trend, images: int) -> Prediction | None:
    """Returns the TTFT expected at `images` pushed screenshots under `policy`, or None
    when there is no fit. A fit whose TTFT falls as images are added, or that reaches
    zero there, cannot predict: the prediction says why instead of a number."""
    line = fits.ttft_vs_images
    if line is None:
        return None
    carried = images_in_request(policy, images)
    expected = line.at(carried)
    if line.slope <= 0:
        why = "TTFT fell as images were added in these turns"
        return Prediction(images, carried, None, line, why)
    if expected <= 0:
        return Prediction(images, carried, None, line, "the fit reaches zero there")
    return Prediction(images, carried, expected, line)
