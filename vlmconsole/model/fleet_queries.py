"""The PromQL that reads a whole fleet of vLLM servers from Prometheus in one query.

Prometheus computes every rate and percentile (`rate`, `histogram_quantile`), one
series per (instance, job) and column; the console never re-derives them from raw
samples. Each column's expression is tagged with a `vlmconsole_column` label and all
are joined with `or`, so a refresh costs one query whatever the fleet's size. Metric
names come from the one names table (vllm_names): every name vLLM has used for a
metric is tried, newest first, so servers still on older names (V0's
`gpu_cache_usage_perc`, `time_per_output_token_seconds`) fill the same columns.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from vlmconsole.model.vllm_names import METRICS, Kind

COLUMN_LABEL = "vlmconsole_column"
"""The label each column's series carry in the combined query's answer."""
BY = ("instance", "job")
SEEN_FOR = "1h"
"""An instance that exported vLLM series this recently is part of the fleet: when it
stops answering it is listed as down, not dropped."""

_DURATION = re.compile(r"^([0-9]+(ms|s|m|h|d|w|y))+$")
_MATCHER = re.compile(
    r"""\s*[a-zA-Z_][a-zA-Z0-9_]*\s*(=~|!~|!=|=)\s*"(?:[^"\\]|\\.)*"\s*""", re.VERBOSE
)


class FleetQueryError(ValueError):
    """A window or a label match that PromQL would refuse; the message says which."""


def check_window(window: str) -> str:
    """Returns `window` when it is a PromQL duration (30s, 1m, 1h30m); else raises."""
    if not _DURATION.match(window):
        raise FleetQueryError(f"--window {window!r} is not a PromQL duration (such as 30s, 1m, 5m)")
    return window


def check_match(match: str) -> str:
    """Returns label matchers (`job="vllm",env=~"prod.*"`) without braces; else raises."""
    inner = match.strip()
    if inner.startswith("{") and inner.endswith("}"):
        inner = inner[1:-1]
    if not inner.strip():
        return ""
    parts = _split_matchers(inner)
    for part in parts:
        if not _MATCHER.fullmatch(part):
            raise FleetQueryError(
                f"--match {match!r}: {part.strip()!r} is not a label matcher"
                ' (write name="value", name=~"regex", name!="value")'
            )
    return ",".join(part.strip() for part in parts)


def _split_matchers(text: str) -> list[str]:
    """Splits on commas outside quoted values."""
    parts: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for char in text:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return [part for part in parts if part.strip()]


def _names(key: str) -> tuple[str, ...]:
    for metric in METRICS:
        if metric.key == key:
            return metric.names
    raise KeyError(key)


def _kind(key: str) -> Kind:
    return next(metric.kind for metric in METRICS if metric.key == key)


@dataclass(frozen=True, slots=True)
class FleetQuery:
    """The window rates and percentiles span, and the label matchers every selector gets."""

    window: str = "1m"
    match: str = ""

    def selector(self, name: str, extra: str = "") -> str:
        """Returns `name{match,extra}`."""
        matchers = ",".join(part for part in (self.match, extra) if part)
        return f"{name}{{{matchers}}}" if matchers else name

    def each_name(self, key: str, build: Callable[[str], str]) -> str:
        """Returns `build(name)` for each name of `key`, newest first, joined with `or`."""
        names = _names(key)
        suffix = "_total" if _kind(key) is Kind.COUNTER else ""
        parts = [build(f"{name}{suffix}") for name in names]
        return parts[0] if len(parts) == 1 else " or ".join(f"({part})" for part in parts)

    def gauge(self, key: str, how: str = "sum", extra: str = "") -> str:
        """Returns the gauge `key` aggregated by instance."""
        return self.each_name(key, lambda n: f"{how} by ({_by()}) ({self.selector(n, extra)})")

    def rate(self, key: str, extra: str = "") -> str:
        """Returns the counter `key`'s per-second rate over the window, by instance."""
        return self.each_name(
            key, lambda n: f"sum by ({_by()}) (rate({self.selector(n, extra)}[{self.window}]))"
        )

    def hit_rate(self, hits: str, queries: str) -> str:
        """Returns hits over queries across the window, by instance (NaN with no query)."""
        return f"({self.rate(hits)}) / ({self.rate(queries)})"

    def quantile(self, key: str, q: float) -> str:
        """Returns the histogram `key`'s q-quantile over the window, by instance."""
        return self.each_name(
            key,
            lambda n: (
                f"histogram_quantile({q}, sum by ({_by()}, le) "
                f"(rate({self.selector(n + '_bucket')}[{self.window}])))"
            ),
        )

    def columns(self) -> dict[str, str]:
        """Returns each column's expression, by column key."""
        return {
            "seen": (
                f"group by ({_by()}) (last_over_time("
                f"{self.selector('vllm:num_requests_running')}[{SEEN_FOR}]))"
            ),
            "kv_cache_usage": self.gauge("kv_cache_usage", "max"),
            "running": self.gauge("running"),
            "waiting": self.gauge("waiting"),
            "preemptions_per_s": self.rate("preemptions"),
            "prompt_tokens_per_s": self.rate("prompt_tokens"),
            "generation_tokens_per_s": self.rate("generation_tokens"),
            "prefix_cache_hit_rate": (
                f"({self.hit_rate('prefix_cache_hits', 'prefix_cache_queries')})"
                f" or ({self.gauge('prefix_cache_hit_rate_gauge', 'avg')})"
            ),
            "mm_cache_hit_rate": self.hit_rate("mm_cache_hits", "mm_cache_queries"),
            "ttft_p50_s": self.quantile("ttft", 0.5),
            "ttft_p90_s": self.quantile("ttft", 0.9),
            "itl_p90_s": self.quantile("itl", 0.9),
            "admission_rejections_per_s": self.rate("admission_rejections"),
            "waiting_for_kv": self.gauge("waiting_by_reason", extra='reason="capacity"'),
            "awake": self.gauge("sleep_state", "min", extra='sleep_state="awake"'),
            "requests_failed": self.each_name(
                "request_success",
                lambda n: (
                    f"sum by ({_by()}) "
                    f"({self.selector(n, 'finished_reason=~' + chr(34) + 'error|abort' + chr(34))})"
                ),
            ),
        }

    def labels(self) -> dict[str, str]:
        """Returns the expressions whose answer is in their labels: each instance's models,
        and its KV cache's shape (cache_config_info)."""
        return {
            "model": (
                f"group by ({_by()}, model_name) ({self.selector('vllm:num_requests_running')})"
            ),
            "cache": (
                f"group by ({_by()}, enable_prefix_caching, kv_cache_size_tokens) "
                f"({self.selector('vllm:cache_config_info')})"
            ),
        }

    def combined(self) -> str:
        """Returns the one query a refresh sends: every column, tagged by its key."""
        tagged = [
            f'label_replace({expr}, "{COLUMN_LABEL}", "{key}", "", "")'
            for key, expr in {**self.columns(), **self.labels()}.items()
        ]
        return " or ".join(tagged)


def _by() -> str:
    return ", ".join(BY)
