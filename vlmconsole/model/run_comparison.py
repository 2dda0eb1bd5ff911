"""Runs side by side: one row a window policy, and the finding that explains each one's gap.

`bench` runs the same turns once per policy; this table is what a person reads to
choose one: mean and p90 TTFT, the share of the prompt the prefix cache served, the
bytes a request carried and the image tokens it held, and for every run but the
fastest, the finding that the fastest run does not have (its most severe), which
says why it was slower.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from statistics import fmean

from vlmconsole.model.findings import Finding
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


def compare_runs(runs: Sequence[ComparedRun]) -> list[ComparisonRow]:
    """Returns one row a run, in the runs' order; the fastest (by mean TTFT) is named."""
    means = {id(run): _row(run, "", None).mean_ttft_s for run in runs}
    timed = [run for run in runs if means[id(run)] is not None]
    fastest = min(timed, key=lambda run: means[id(run)] or 0.0) if len(timed) > 1 else None
    rows = []
    for run in runs:
        if fastest is None:
            rows.append(_row(run, "", None))
        elif run is fastest:
            rows.append(_row(run, FASTEST, None))
        else:
            found = _explanation(run, fastest)
            rows.append(_row(run, found.title if found else "", found.rule if found else None))
    return rows
