"""One scrape of a vLLM /metrics page, parsed into the metrics the console reads.

Parsing uses prometheus-client's text parser; this module only sorts its samples
into our keys (see vllm_names). Time is passed in: the scrape time is the
caller's clock reading.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from vlmconsole.model.vllm_names import METRICS, SAMPLE_ROLES

LabelSet = tuple[tuple[str, str], ...]
"""A series' labels, sorted by name, without `le`."""


class NotPrometheusText(ValueError):
    """The page is not Prometheus text exposition format."""


class NoVllmMetrics(ValueError):
    """The page is Prometheus text but carries no vLLM metric."""


@dataclass(frozen=True, slots=True)
class Histogram:
    """One histogram series: cumulative bucket counts by upper bound, sum and count."""

    buckets: tuple[tuple[float, float], ...]
    """(upper bound `le`, cumulative count), ascending, ending with +Inf."""
    sum: float
    count: float


@dataclass(frozen=True, slots=True)
class MetricsSnapshot:
    """The vLLM metrics of one scrape, by our key, each as series by labels."""

    scraped_at_s: float
    values: Mapping[str, Mapping[LabelSet, float]]
    """Gauges, counters (their `_total`) and info metrics."""
    histograms: Mapping[str, Mapping[LabelSet, Histogram]]
    vllm_names: Mapping[str, str]
    """Our key -> the vLLM name this server exported it as."""
    page_bytes: int = 0
    other_names: frozenset[str] = field(default_factory=frozenset)
    """vLLM sample names the console does not read (new metrics show up here)."""
    wall_s: float | None = None
    """Unix time of the scrape, when the scraper knew it (for the server's uptime)."""

    def has(self, key: str) -> bool:
        """Returns True when the server reported the metric `key`."""
        return key in self.values or key in self.histograms


# Names that `# HELP` and `# TYPE` lines use for the metrics we read.
_FAMILY_NAMES = frozenset(
    f"{name}{suffix}"
    for metric in METRICS
    for name in metric.names
    for suffix in ("", "_total", "_info")
)


def _sample_name(line: str) -> str:
    end = len(line)
    for stop in ("{", " "):
        at = line.find(stop)
        if at != -1:
            end = min(end, at)
    return line[:end]


def _lines_we_read(text: str) -> tuple[list[str], set[str], bool]:
    """Returns the page's lines for the metrics we read, the other vLLM sample names,
    and whether any vLLM metric was there at all.

    The page is ~60 KB of which we read a fifth; prometheus-client parses only
    what is kept, which keeps a scrape well under 10 ms.
    """
    kept: list[str] = []
    other: set[str] = set()
    seen_vllm = False
    for line in text.splitlines():
        if not line:
            continue
        if line[0] == "#":
            parts = line.split(None, 3)
            if len(parts) >= 3 and parts[2] in _FAMILY_NAMES:
                kept.append(line)
            continue
        name = _sample_name(line)
        if name in SAMPLE_ROLES:
            kept.append(line)
            seen_vllm = seen_vllm or name.startswith("vllm:")
        elif name.startswith("vllm:"):
            seen_vllm = True
            if not name.endswith("_created"):
                other.add(name)
        elif not seen_vllm and not kept:
            kept.append(line)  # parsed only to tell "not Prometheus" from "not vLLM"
    return kept, other, seen_vllm


def _blocks(lines: list[str]) -> list[str]:
    """Returns the lines grouped into one text per metric family (a block opens at # HELP)."""
    blocks: list[str] = []
    current: list[str] = []
    for line in lines:
        if line.startswith("# HELP") and current:
            blocks.append("\n".join(current) + "\n")
            current = []
        current.append(line)
    if current:
        blocks.append("\n".join(current) + "\n")
    return blocks


_Sample = tuple[str, dict[str, str], float]


def _parse_block(block: str) -> list[_Sample]:
    # imported on the first page, not with the console (prometheus-client's package
    # brings its HTTP exposition along: ~35 ms); the first page is parsed in the
    # early-scrape thread while the console loads
    from prometheus_client.parser import text_string_to_metric_families

    try:
        return [
            (sample.name, sample.labels, float(sample.value))
            for family in text_string_to_metric_families(block)
            for sample in family.samples
        ]
    except (ValueError, IndexError, TypeError, KeyError, AttributeError) as error:
        detail = " ".join(str(error).split())[:200] or type(error).__name__
        raise NotPrometheusText(f"not Prometheus text: {detail}") from error


class MetricsParser:
    """Parses the pages of one server, re-parsing only the metric families whose text
    changed since the page before (an idle server's page barely changes).

    Every new line still goes through prometheus-client's parser; only the
    parsed samples of unchanged families are reused.
    """

    def __init__(self) -> None:
        self._previous: dict[str, list[_Sample]] = {}

    def parse(self, text: str, scraped_at_s: float, wall_s: float | None = None) -> MetricsSnapshot:
        """Returns the snapshot of a page scraped at `scraped_at_s` (see parse_metrics);
        `wall_s` is the scrape's Unix time, when known."""
        lines, other, seen_vllm = _lines_we_read(text)
        if not seen_vllm:
            _parse_block("\n".join(lines) + "\n")  # raises when it is not Prometheus text
            raise NoVllmMetrics("the page has no vllm: metrics (is this a vLLM server?)")
        parsed: dict[str, list[_Sample]] = {}
        samples: list[_Sample] = []
        for block in _blocks(lines):
            found = self._previous.get(block)
            if found is None:
                found = _parse_block(block)
            parsed[block] = found
            samples.extend(found)
        self._previous = parsed
        snapshot = _snapshot(samples, other, scraped_at_s, len(text.encode()))
        return snapshot if wall_s is None else replace(snapshot, wall_s=wall_s)


def parse_metrics(text: str, scraped_at_s: float) -> MetricsSnapshot:
    """Returns the snapshot of a /metrics page scraped at `scraped_at_s`.

    Raises NotPrometheusText when the page does not parse, NoVllmMetrics when it
    parses but holds no `vllm:` metric.
    """
    return MetricsParser().parse(text, scraped_at_s)


def snapshot_of_samples(
    samples: list[tuple[str, dict[str, str], float]], scraped_at_s: float
) -> MetricsSnapshot:
    """Returns the snapshot of samples already parsed elsewhere (name, labels, value), such
    as one instance's series from Prometheus' API; raises NoVllmMetrics when none is vLLM's."""
    ours = [sample for sample in samples if sample[0].startswith("vllm:")]
    if not ours:
        raise NoVllmMetrics("no vllm: series (is this a vLLM server?)")
    snapshot = _snapshot(ours, set(), scraped_at_s, 0)
    return replace(snapshot, wall_s=scraped_at_s)


def _labels(labels: Mapping[str, str]) -> LabelSet:
    return tuple(sorted((k, v) for k, v in labels.items() if k != "le"))


def _parse_le(name: str, labels: Mapping[str, str]) -> float:
    text = labels.get("le")
    if text is None:
        raise NotPrometheusText(f"damaged page: a {name} sample has no `le` label")
    if text in ("+Inf", "Inf", "inf"):
        return math.inf
    try:
        return float(text)
    except ValueError:
        raise NotPrometheusText(f"damaged page: {name} has le={text[:40]!r}") from None


def _checked(key: str, parts: _HistogramParts) -> Histogram:
    """Returns the histogram, or raises when its buckets cannot be one (never half of one)."""
    buckets = tuple(sorted(parts.buckets.items()))
    if not buckets or buckets[-1][0] != math.inf:
        raise NotPrometheusText(f"damaged page: histogram {key} has no +Inf bucket")
    counts = [count for _, count in buckets]
    if not all(math.isfinite(count) and count >= 0 for count in (*counts, parts.count)):
        raise NotPrometheusText(f"damaged page: histogram {key} has a count that is not a number")
    if any(later < earlier for earlier, later in zip(counts, counts[1:], strict=False)):
        raise NotPrometheusText(f"damaged page: histogram {key}'s buckets are not cumulative")
    return Histogram(buckets, parts.sum, parts.count)


@dataclass
class _HistogramParts:
    buckets: dict[float, float] = field(default_factory=dict)
    sum: float = 0.0
    count: float = 0.0


def _snapshot(
    samples: list[_Sample], other: set[str], scraped_at_s: float, page_bytes: int
) -> MetricsSnapshot:
    """Returns the snapshot that sorts parsed samples into our keys."""
    # rank of the vLLM name chosen for each key: the newest present wins
    chosen: dict[str, tuple[int, str]] = {}
    values: dict[str, dict[LabelSet, float]] = {}
    parts: dict[str, dict[LabelSet, _HistogramParts]] = {}
    for name, sample_labels, value in samples:
        role = SAMPLE_ROLES.get(name)
        if role is None:
            continue
        best = chosen.get(role.key)
        if best is not None and best[0] < role.rank:
            continue  # a newer name for this key is already in use
        if best is not None and best[0] > role.rank:
            values.pop(role.key, None)  # an older name came first: drop it
            parts.pop(role.key, None)
        chosen[role.key] = (role.rank, role.vllm_name)
        labels = _labels(sample_labels)
        if role.role == "value":
            series = values.setdefault(role.key, {})
            series[labels] = series.get(labels, 0.0) + value
            continue
        hist = parts.setdefault(role.key, {}).setdefault(labels, _HistogramParts())
        if role.role == "bucket":
            hist.buckets[_parse_le(name, sample_labels)] = value
        elif role.role == "sum":
            hist.sum = value
        else:
            hist.count = value
    histograms = {
        key: MappingProxyType({labels: _checked(key, p) for labels, p in by_labels.items()})
        for key, by_labels in parts.items()
    }
    return MetricsSnapshot(
        scraped_at_s=scraped_at_s,
        values=MappingProxyType({k: MappingProxyType(v) for k, v in values.items()}),
        histograms=MappingProxyType(histograms),
        vllm_names=MappingProxyType({key: name for key, (_rank, name) in chosen.items()}),
        page_bytes=page_bytes,
        other_names=frozenset(other),
    )
