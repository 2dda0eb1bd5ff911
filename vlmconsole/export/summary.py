"""Per-run figures for the report: turns ok and failed, TTFT, cache reuse, decode rate.

A run is the records sharing a `run_id`, in the order the runs first appear.
Failed turns count as failed and add nothing to the means.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from statistics import fmean

from vlmconsole.model.finding_types import Finding, ServerFacts
from vlmconsole.model.findings import findings
from vlmconsole.model.run_comparison import ComparedRun, ComparisonRow, compare_runs
from vlmconsole.model.turn_record import TurnRecord


@dataclass(frozen=True, slots=True)
class Run:
    """The turns of one run, in journal order."""

    run_id: str
    policy: str
    records: tuple[TurnRecord, ...]


@dataclass(frozen=True, slots=True)
class RunSummary:
    """One run in numbers; None where no finished turn measured it."""

    run_id: str
    policy: str
    turns_ok: int
    turns_failed: int
    mean_ttft_s: float | None
    last_ttft_s: float | None
    """TTFT of the last finished turn that measured one."""
    mean_cached_fraction: float | None
    mean_decode_tok_s: float | None
    image_tokens_per_image: float | None


def group_runs(records: Sequence[TurnRecord]) -> list[Run]:
    """Returns the runs the records form, in the order each run first appears."""
    by_id: dict[str, list[TurnRecord]] = {}
    for record in records:
        by_id.setdefault(record.run_id, []).append(record)
    return [Run(run_id, turns[0].policy, tuple(turns)) for run_id, turns in by_id.items()]


def _mean(values: Sequence[float | None]) -> float | None:
    known = [value for value in values if value is not None]
    return fmean(known) if known else None


def image_tokens_per_image(records: Sequence[TurnRecord]) -> float | None:
    """Returns the mean prompt tokens an image cost in the finished turns, or None.

    Each image's own count is used when every new image of a turn has one, else
    the turn's `new_image_tokens` spread over its new images.
    """
    tokens = 0
    images = 0
    for record in records:
        if not record.ok or not record.new_images:
            continue
        own = [image.tokens for image in record.new_images]
        if all(count is not None for count in own):
            tokens += sum(count for count in own if count is not None)
        elif record.new_image_tokens is not None:
            tokens += record.new_image_tokens
        else:
            continue
        images += len(record.new_images)
    return tokens / images if images else None


def summarize(run: Run) -> RunSummary:
    """Returns the figures of one run."""
    done = [record for record in run.records if record.ok]
    ttfts = [record.ttft_s for record in done if record.ttft_s is not None]
    return RunSummary(
        run_id=run.run_id,
        policy=run.policy,
        turns_ok=len(done),
        turns_failed=len(run.records) - len(done),
        mean_ttft_s=_mean(ttfts),
        last_ttft_s=ttfts[-1] if ttfts else None,
        mean_cached_fraction=_mean([record.cached_fraction for record in done]),
        mean_decode_tok_s=_mean([record.decode_rate_tok_s for record in done]),
        image_tokens_per_image=image_tokens_per_image(done),
    )


def run_labels(runs: Sequence[Run]) -> dict[str, str]:
    """Returns a label for each run id: its policy, plus the run id when policies repeat."""
    policies = [run.policy for run in runs]

    def label(run: Run) -> str:
        return run.policy if policies.count(run.policy) == 1 else f"{run.policy} ({run.run_id})"

    return {run.run_id: label(run) for run in runs}


def run_findings(runs: Sequence[Run], facts: ServerFacts) -> dict[str, list[Finding]]:
    """Returns each run's findings (model/findings.py) by run id, on the server's facts."""
    return {run.run_id: findings(facts.conversation(run.records)) for run in runs}


def compared(
    runs: Sequence[Run], labels: Mapping[str, str], found: Mapping[str, Sequence[Finding]]
) -> list[ComparisonRow]:
    """Returns the runs side by side (model/run_comparison.py), one row a run."""
    return compare_runs(
        [ComparedRun(labels[run.run_id], run.records, found[run.run_id]) for run in runs]
    )
