"""Readable chart axes: a range around the data and "nice" ticks (1, 2, 2.5, 5 x 10^k).

One function for every chart (the console's plots and the HTML report), so that one
point, a flat series, and huge or tiny ranges all get a few short, distinct labels
instead of the plotting library's guess (which printed `1.03699999901.0369999991...`
for one point, and `492.85` four times for a flat series).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

NICE_MANTISSAS: tuple[float, ...] = (1.0, 2.0, 2.5, 5.0, 10.0)
"""Tick steps are one of these times a power of ten."""
FLAT_HALF_SPAN = 0.1
"""A flat series (or one point) is shown over +/- this share of its value..."""
FLAT_SPAN_AT_ZERO = 1.0
"""...or over (0, this) when the value is zero."""
SMALLEST = 1e-30
"""Values closer to zero than this are drawn as zero (no chart here needs finer)."""
MAX_DECIMALS = 40
"""Steps are told apart down to 10^-40; finer data is drawn on that grid."""
MAX_FIXED_DECIMALS = 4
"""Steps finer than 10^-4 are labelled in scientific notation (`2e-5`)..."""
DEFAULT_MAX_CHARS = 6
"""...and so are labels longer than this (the console's y axis has seven columns)."""
SUFFIXES: tuple[tuple[float, float, str], ...] = (
    (1e9, 1e9, "G"),
    (1e6, 1e6, "M"),
    (1e4, 1e3, "k"),
)
"""(reach, divisor, suffix): labels of axes reaching `reach` are divided (`12k`, `1.5M`),
unless the step is finer than the divisor (then `12500`, `12600`)."""


@dataclass(frozen=True, slots=True)
class Axis:
    """An axis: its limits, its ticks between them (inclusive), and a label per tick."""

    low: float
    high: float
    ticks: tuple[float, ...]
    labels: tuple[str, ...]


def data_range(values: Iterable[float], *, include_zero: bool = False) -> tuple[float, float]:
    """Returns (low, high) covering the finite `values`, never empty.

    No value gives (0, 1). One value, or equal values, give +/- FLAT_HALF_SPAN of
    the value (which keeps the range on the value's side of zero), or
    (0, FLAT_SPAN_AT_ZERO) at zero. `include_zero` stretches the range to reach zero.
    """
    finite = [v if abs(v) >= SMALLEST else 0.0 for v in values if math.isfinite(v)]
    if not finite:
        return (0.0, 1.0)
    low, high = min(finite), max(finite)
    if include_zero:
        low, high = min(low, 0.0), max(high, 0.0)
    if high - low <= 1e-12 * max(abs(low), abs(high)):
        if high == 0:
            return (0.0, FLAT_SPAN_AT_ZERO)
        half = abs(high) * FLAT_HALF_SPAN
        low, high = high - half, high + half
    return (low, high)


def nice_step(span: float, max_ticks: int) -> float:
    """Returns the smallest nice step that covers `span` in at most `max_ticks` ticks."""
    intervals = max(1, max_ticks - 1)
    raw = span / intervals
    power = math.floor(math.log10(raw))
    for exponent in (power, power + 1):
        for mantissa in NICE_MANTISSAS:
            step = mantissa * 10.0**exponent
            if step >= raw * (1 - 1e-9):
                return step
    return 10.0 ** (power + 2)  # not reached: 10 x 10^power >= raw always


def _decimals(step: float) -> int:
    """Returns the decimals that tell ticks `step` apart (2.5 x 10^k needs one more)."""
    for decimals in range(MAX_DECIMALS):
        if abs(round(step, decimals) - step) <= step * 1e-6:
            return decimals
    return MAX_DECIMALS


def _scientific(value: float, digits: int) -> str:
    """Returns `value` in short scientific notation: `1.21e-4`, `-2e7`."""
    mantissa, exponent = f"{value:.{digits}e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def _fixed_labels(ticks: tuple[float, ...], step: float) -> list[str]:
    """Returns the ticks in fixed notation, suffixed `k`/`M`/`G` where that is shorter."""
    biggest = max((abs(t) for t in ticks), default=0.0)
    divisor, suffix = 1.0, ""
    for reach, size, name in SUFFIXES:
        if biggest >= reach and step >= size:
            divisor, suffix = size, name
            break
    decimals = _decimals(step / divisor)
    labels: list[str] = []
    for tick in ticks:
        text = f"{tick / divisor:.{decimals}f}"
        labels.append("0" if text.lstrip("-").strip("0.") == "" else text + suffix)
    return labels


def tick_labels(
    ticks: tuple[float, ...], step: float, max_chars: int = DEFAULT_MAX_CHARS
) -> tuple[str, ...]:
    """Returns short, distinct labels for `ticks`, `step` apart: `0.25`, `12k`, `1.2e-4`.

    Fixed notation when it needs at most MAX_FIXED_DECIMALS decimals and `max_chars`
    characters a label (`0` is always `0`, never `-0` or `0.00`); otherwise short
    scientific notation with as few digits as tell the ticks apart, when that is the
    shorter (ticks very close together relative to their size need many digits either way).
    """
    labels = _fixed_labels(ticks, step)
    fixed_ok = _decimals(step) <= MAX_FIXED_DECIMALS or any(
        label[-1:].isalpha() for label in labels
    )
    if fixed_ok and max(len(label) for label in labels) <= max_chars:
        return tuple(labels)
    for digits in range(8):
        short = ["0" if tick == 0 else _scientific(tick, digits) for tick in ticks]
        if len(set(short)) == len(short):
            break
    longest = max(len(label) for label in short)
    return tuple(short if longest < max(len(label) for label in labels) else labels)


def _snap(value: float, step: float, rounding: Callable[[float], int]) -> int:
    """Returns `value / step` as a whole number of steps, outward by `rounding`.

    A quotient within float noise of a whole number is that number, so that a range
    already on nice ticks is not widened by a step.
    """
    quotient = value / step
    nearest = round(quotient)
    return nearest if abs(quotient - nearest) < 1e-9 else rounding(quotient)


def nice_axis(
    low: float, high: float, max_ticks: int = 6, max_chars: int = DEFAULT_MAX_CHARS
) -> Axis:
    """Returns an axis over at least (low, high), its limits snapped to nice ticks.

    A degenerate or inverted range is widened first (as `data_range` does), so the
    result always has at least two distinct ticks, at most `max_ticks` (minimum 2).
    """
    max_ticks = max(2, max_ticks)
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        low, high = data_range([v for v in (low, high) if math.isfinite(v)])
    step = nice_step(high - low, max_ticks)
    first = _snap(low, step, math.floor)
    last = _snap(high, step, math.ceil)
    # Snapping the ends out can add a tick: take the next nice step (a range across
    # zero may need three ticks whatever the step, so give up after a few).
    candidate = step
    for _ in range(len(NICE_MANTISSAS)):
        if last - first + 1 <= max_ticks:
            break
        candidate = nice_step(candidate * 1.0001 * (max_ticks - 1), max_ticks)
        first_c = _snap(low, candidate, math.floor)
        last_c = _snap(high, candidate, math.ceil)
        if last_c - first_c + 1 <= max_ticks:
            step, first, last = candidate, first_c, last_c
    # Twelve significant digits drop float noise (0.30000000000000004) at any magnitude.
    ticks = tuple(float(f"{i * step:.12g}") + 0.0 for i in range(first, last + 1))
    return Axis(ticks[0], ticks[-1], ticks, tick_labels(ticks, step, max_chars))


def axis_for(
    values: Iterable[float],
    max_ticks: int = 6,
    *,
    include_zero: bool = False,
    max_chars: int = DEFAULT_MAX_CHARS,
) -> Axis:
    """Returns a readable axis for the data `values` (see `data_range` and `nice_axis`)."""
    low, high = data_range(values, include_zero=include_zero)
    return nice_axis(low, high, max_ticks, max_chars)


def whole_axis(values: Iterable[float], max_ticks: int = 6) -> Axis:
    """Returns an axis of whole numbers (turns, counts): steps of 1, 2, 5, 10, 20 ...,
    never a tick between two whole numbers."""
    low_f, high_f = data_range(values)
    low, high = math.floor(low_f), math.ceil(high_f)
    high = max(high, low + 1)
    intervals = max(1, max_ticks - 1)
    steps = (m * 10**e for e in range(12) for m in (1, 2, 5))
    step = next(s for s in steps if -(-(high - low) // s) <= intervals)
    first, last = (low // step) * step, -(-high // step) * step
    ticks = tuple(float(t) for t in range(first, last + 1, step))
    return Axis(ticks[0], ticks[-1], ticks, tuple(str(int(t)) for t in ticks))
