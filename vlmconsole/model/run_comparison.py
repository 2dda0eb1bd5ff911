"""Runs side by side: one row a window policy, and the finding that explains each one's gap.

`bench` runs the same turns once per policy; this table is what a person reads to
choose one: mean and p90 TTFT, the share of the prompt the prefix cache served, the
bytes a request carried and the image tokens it held, and for every run but the
fastest, the finding that the fastest run does not have (its most severe), which
says why it was slower; without one, the measure it exceeds the fastest run's by the
most (image tokens a request, tokens prefilled a turn, bytes a request).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from statistics import fmean

from vlmconsole.model.finding_types import Finding
from vlmconsole.model.turn_record import TurnRecord
from vlmconsole.model.turn_timing import quantile

FASTEST = "the fastest mean TTFT"
"""What the comparison says of the run every other is held against."""


@dataclass(frozen=True, slots=True)
class ComparedRun:
    """One run of the comparison: its name, its turns and the findings on them."""

    label: str
    records: Sequence[TurnRecord]
    findings: Sequence[Finding]


@dataclass(frozen=True, slots=True)
class ComparisonRow:
    """One run in the comparison table; None where no finished turn measured it."""

    label: str
    turns_ok: int
    turns_failed: int
    mean_ttft_s: float | None
    p90_ttft_s: float | None
    cached_share: float | None
    """Cached tokens over prompt tokens, summed over the finished turns."""
    mean_request_bytes: float | None
    image_tokens_per_turn: float | None
    """Mean image tokens a request carried (every image in it, not only the new one)."""
    explains: str
    """Why this run differs from the fastest: a finding's title, FASTEST, or ""."""
    explains_rule: str | None = None

    def as_json(self) -> dict[str, object]:
        """Returns the row as JSON-ready values (None stays null)."""
        return {
            "run": self.label,
            "turns_ok": self.turns_ok,
            "turns_failed": self.turns_failed,
            "mean_ttft_s": self.mean_ttft_s,
            "p90_ttft_s": self.p90_ttft_s,
            "cached_share": self.cached_share,
            "mean_request_bytes": self.mean_request_bytes,
            "image_tokens_per_turn": self.image_tokens_per_turn,
            "explains": self.explains,
            "explains_rule": self.explains_rule,
        }


def _mean(values: Sequence[float | int | None]) -> float | None:
    known = [float(v) for v in values if v is not None]
    return fmean(known) if known else None


def _cached_share(done: Sequence[TurnRecord]) -> float | None:
    counted = [r for r in done if r.prompt_tokens and r.cached_tokens is not None]
    prompt = sum(r.prompt_tokens or 0 for r in counted)
    return sum(r.cached_tokens or 0 for r in counted) / prompt if prompt else None


def _row(run: ComparedRun, explains: str, rule: str | None) -> ComparisonRow:
    done = [r for r in run.records if r.ok]
    ttfts = sorted(r.ttft_s for r in done if r.ttft_s is not None)
    return ComparisonRow(
        label=run.label,
        turns_ok=len(done),
        turns_failed=len(run.records) - len(done),
        mean_ttft_s=fmean(ttfts) if ttfts else None,
        p90_ttft_s=quantile(ttfts, 0.9) if ttfts else None,
        cached_share=_cached_share(done),
        mean_request_bytes=_mean([r.request_bytes for r in done]),
        image_tokens_per_turn=_mean([r.image_tokens_in_request for r in done]),
        explains=explains,
        explains_rule=rule,
    )


def _explanation(run: ComparedRun, fastest: ComparedRun) -> Finding | None:
    """Returns the run's most severe finding whose rule the fastest run does not have."""
    theirs = {f.rule for f in fastest.findings}
    return next((f for f in run.findings if f.rule not in theirs), None)


CLOSE = 1.1
"""A mean TTFT within this factor of the fastest run's is no gap to explain."""


def _close(mean_s: float | None, fastest_s: float | None) -> bool:
    return mean_s is not None and fastest_s is not None and mean_s <= CLOSE * fastest_s


MEASURED_GAP = 1.2
"""With no finding of its own, a run's gap is put down to the measure it exceeds the
fastest run's by the most, when that is at least this many times the fastest's."""


def _mean_prefilled(records: Sequence[TurnRecord]) -> float | None:
    return _mean(
        [
            (r.prompt_tokens or 0) - (r.cached_tokens or 0)
            for r in records
            if r.ok and r.prompt_tokens is not None and r.cached_tokens is not None
        ]
    )


def _measured_gap(
    run: ComparisonRow, fastest: ComparisonRow, prefilled: tuple[float | None, float | None]
) -> tuple[str, str] | None:
    """Returns (rule, words) for the measure the run exceeds the fastest's by the most."""
    gaps = []
    for rule, what, mine, theirs in (
        ("more-image-tokens", "image tokens a request", run.image_tokens_per_turn,
         fastest.image_tokens_per_turn),
        ("more-prefill", "tokens prefilled a turn", *prefilled),
        ("more-bytes", "bytes a request", run.mean_request_bytes, fastest.mean_request_bytes),
    ):  # fmt: skip
        if mine and theirs and mine >= MEASURED_GAP * theirs:
            gaps.append((mine / theirs, rule, f"{mine / theirs:.1f}x the {what} "
                         f"({mine:,.0f} against {fastest.label}'s {theirs:,.0f})"))  # fmt: skip
    if not gaps:
        return None
    _ratio, rule, words = max(gaps)
    return rule, words


def compare_runs(runs: Sequence[ComparedRun]) -> list[ComparisonRow]:
    """Returns one row a run, in the runs' order; the fastest (by mean TTFT) is named."""
    means = {id(run): _row(run, "", None).mean_ttft_s for run in runs}
    timed = [run for run in runs if means[id(run)] is not None]
    fastest = min(timed, key=lambda run: means[id(run)] or 0.0) if len(timed) > 1 else None
    rows = []
    best = _row(fastest, FASTEST, None) if fastest is not None else None
    for run in runs:
        if fastest is None or best is None:
            rows.append(_row(run, "", None))
        elif run is fastest:
            rows.append(best)
        elif _close(_row(run, "", None).mean_ttft_s, best.mean_ttft_s):
            rows.append(_row(run, f"within {CLOSE - 1:.0%} of the fastest: no real gap", "close"))
        elif (found := _explanation(run, fastest)) is not None:
            rows.append(_row(run, found.title, found.rule))
        else:
            row = _row(run, "", None)
            prefilled = (_mean_prefilled(run.records), _mean_prefilled(fastest.records))
            gap = _measured_gap(row, best, prefilled)
            rows.append(_row(run, gap[1], gap[0]) if gap else row)
    return rows
