"""One scrape of a vLLM /metrics page, parsed into the metrics the console reads.

Parsing uses prometheus-client's text parser; this module only sorts its samples
into our keys (see vllm_names). Time is passed in: the scrape time is the
caller's clock reading.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from prometheus_client.parser import text_string_to_metric_families

from vlmconsole.model.vllm_names import SAMPLE_ROLES

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

    def has(self, key: str) -> bool:
        """Returns True when the server reported the metric `key`."""
        return key in self.values or key in self.histograms


def _labels(labels: Mapping[str, str]) -> LabelSet:
    return tuple(sorted((k, v) for k, v in labels.items() if k != "le"))


def _parse_le(text: str) -> float:
    return math.inf if text in ("+Inf", "Inf", "inf") else float(text)


@dataclass
class _HistogramParts:
    buckets: dict[float, float] = field(default_factory=dict)
    sum: float = 0.0
    count: float = 0.0


def parse_metrics(text: str, scraped_at_s: float) -> MetricsSnapshot:
    """Returns the snapshot of a /metrics page scraped at `scraped_at_s`.

    Raises NotPrometheusText when the page does not parse, NoVllmMetrics when it
    parses but holds no `vllm:` metric.
    """
    # rank of the vLLM name chosen for each key: the newest present wins
    chosen: dict[str, tuple[int, str]] = {}
    values: dict[str, dict[LabelSet, float]] = {}
    parts: dict[str, dict[LabelSet, _HistogramParts]] = {}
    other: set[str] = set()
    seen_vllm = False
    try:
        families = list(text_string_to_metric_families(text))
    except (ValueError, IndexError, TypeError) as error:
        raise NotPrometheusText(f"not Prometheus text: {error}") from error
    for family in families:
        for sample in family.samples:
            name = sample.name
            if not name.startswith("vllm:"):
                continue
            seen_vllm = True
            role = SAMPLE_ROLES.get(name)
            if role is None:
                if not name.endswith("_created"):
                    other.add(name)
                continue
            best = chosen.get(role.key)
            if best is not None and best[0] < role.rank:
                continue  # a newer name for this key is already in use
            if best is not None and best[0] > role.rank:
                values.pop(role.key, None)  # an older name came first: drop it
                parts.pop(role.key, None)
            chosen[role.key] = (role.rank, role.vllm_name)
            labels = _labels(sample.labels)
            value = float(sample.value)
            if role.role == "value":
                series = values.setdefault(role.key, {})
                series[labels] = series.get(labels, 0.0) + value
                continue
            hist = parts.setdefault(role.key, {}).setdefault(labels, _HistogramParts())
            if role.role == "bucket":
                hist.buckets[_parse_le(sample.labels["le"])] = value
            elif role.role == "sum":
                hist.sum = value
            else:
                hist.count = value
    if not seen_vllm:
        raise NoVllmMetrics("the page has no vllm: metrics (is this a vLLM server?)")
    histograms = {
        key: MappingProxyType(
            {
                labels: Histogram(tuple(sorted(p.buckets.items())), p.sum, p.count)
                for labels, p in by_labels.items()
            }
        )
        for key, by_labels in parts.items()
    }
    return MetricsSnapshot(
        scraped_at_s=scraped_at_s,
        values=MappingProxyType({k: MappingProxyType(v) for k, v in values.items()}),
        histograms=MappingProxyType(histograms),
        vllm_names=MappingProxyType({key: name for key, (_rank, name) in chosen.items()}),
        page_bytes=len(text.encode()),
        other_names=frozenset(other),
    )
