"""What a vLLM server is doing: the derived view the console and `status` show.

Built from a MetricsHistory: gauges from the newest snapshot, rates and
hit rates from counter increases over a short window, latency percentiles from
histogram bucket increases over a longer sliding window. A value is None with
its key in `not_reported` when the server does not export the metric, and None
alone when there is no data yet (one scrape only, or no request in the window).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from vlmconsole.model.rates import (
    MetricsHistory,
    Scope,
    histogram_quantile,
    histogram_window,
    scope_histogram,
    scope_mean,
    scope_value,
    series_increase,
)
from vlmconsole.model.snapshot import MetricsSnapshot

LATENCY_KEYS = ("ttft", "itl", "e2e", "queue", "prefill", "decode", "tpot")
QUANTILES = (0.5, 0.9, 0.99)


@dataclass(frozen=True, slots=True)
class Latency:
    """Percentiles of one server-side latency over the sliding window, in seconds."""

    p50_s: float | None
    p90_s: float | None
    p99_s: float | None
    mean_s: float | None
    count: int
    """Observations in the window."""
    window_s: float


@dataclass(frozen=True, slots=True)
class KvCapacity:
    """The KV cache's shape, from `vllm:cache_config_info` labels."""

    block_size: int | None
    num_blocks: int | None
    capacity_tokens: int | None
    max_concurrency: float | None
    prefix_caching: bool | None


@dataclass(frozen=True, slots=True)
class ServerStats:
    """The derived metrics of one scope at one scrape."""

    scope: Scope
    at_s: float
    interval_s: float | None
    """Seconds the rates and interval hit rates span; None with one scrape only."""
    kv_cache_usage: float | None
    running: float | None
    waiting: float | None
    swapped: float | None
    preemptions_total: float | None
    preemptions_per_s: float | None
    prompt_tokens_total: float | None
    generation_tokens_total: float | None
    prompt_tokens_per_s: float | None
    generation_tokens_per_s: float | None
    prefix_cache_queries_total: float | None
    prefix_cache_hits_total: float | None
    prefix_cache_hit_rate: float | None
    """Over the interval."""
    prefix_cache_hit_rate_lifetime: float | None
    mm_cache_queries_total: float | None
    mm_cache_hits_total: float | None
    mm_cache_hit_rate: float | None
    mm_cache_hit_rate_lifetime: float | None
    batch_tokens_mean: float | None
    """Mean tokens per engine step over the latency window."""
    latency: Mapping[str, Latency]
    kv_capacity: KvCapacity | None
    requests_finished: Mapping[str, float]
    """Finished requests since start, by finished_reason."""
    not_reported: frozenset[str] = field(default_factory=frozenset)
    waiting_by_reason: Mapping[str, float] = field(default_factory=dict)
    """Requests waiting by reason (capacity, deferred); empty when not exported."""
    admission_rejections_total: float | None = None
    admission_rejections_per_s: float | None = None
    """Requests refused by a queue limit (HTTP 503s) per second over the interval."""
    prompt_tokens_by_source: Mapping[str, float] = field(default_factory=dict)
    """Prompt tokens since start by source: local_compute, local_cache_hit,
    external_kv_transfer."""
    external_prefix_cache_queries_total: float | None = None
    external_prefix_cache_hit_rate: float | None = None
    """The external KV cache's (LMCache's and other connectors') hit rate over the interval."""
    external_prefix_cache_hit_rate_lifetime: float | None = None
    lmcache_hit_rate: float | None = None
    """LMCache's own hit rate (num_hit_tokens over num_requested_tokens) over the interval."""
    lmcache_hit_rate_lifetime: float | None = None
    asleep: bool | None = None
    """True when the engine sleeps (engine_sleep_state awake = 0); None when not exported."""
    restarted: bool = False
    """A counter fell within the interval: the server (or an engine) restarted."""
    uptime_s: float | None = None
    """Seconds the process serving /metrics had run at the scrape (None: not known)."""


def _ratio(part: float | None, whole: float | None) -> float | None:
    if part is None or whole is None or whole <= 0:
        return None
    return part / whole


def _rate(increase: float | None, seconds: float | None) -> float | None:
    if increase is None or not seconds:
        return None
    return increase / seconds


def _int_label(labels: Mapping[str, str], *names: str) -> int | None:
    for name in names:
        if name in labels:
            try:
                return int(float(labels[name]))
            except ValueError:
                return None
    return None


def cache_config_labels(snapshot: MetricsSnapshot, scope: Scope) -> dict[str, str] | None:
    """Returns cache_config_info's labels (the KV cache's effective config), or None."""
    series = snapshot.values.get("cache_config")
    if not series:
        return None
    return dict(next((ls for ls in series if scope.matches(ls)), next(iter(series))))


def kv_capacity(snapshot: MetricsSnapshot, scope: Scope) -> KvCapacity | None:
    """Returns the KV cache's shape from cache_config_info, or None when not exported."""
    labels = cache_config_labels(snapshot, scope)
    if labels is None:
        return None
    block_size = _int_label(labels, "block_size")
    num_blocks = _int_label(labels, "num_gpu_blocks")
    capacity = _int_label(labels, "kv_cache_size_tokens")
    if capacity is None and block_size and num_blocks:
        capacity = block_size * num_blocks
    concurrency: float | None
    try:
        concurrency = float(labels["kv_cache_max_concurrency"])
    except (KeyError, ValueError):
        concurrency = None
    caching = labels.get("enable_prefix_caching")
    return KvCapacity(
        block_size=block_size,
        num_blocks=num_blocks,
        capacity_tokens=capacity,
        max_concurrency=concurrency,
        prefix_caching=None if caching is None else caching.lower() == "true",
    )


def _latency(history: MetricsHistory, key: str, scope: Scope, window_s: float) -> Latency | None:
    snaps = history.window(window_s)
    last = snaps[-1]
    if key not in last.histograms:
        return None
    span = last.scraped_at_s - snaps[0].scraped_at_s
    # With one scrape there is no window yet: show what the server saw since start.
    hist = (
        histogram_window(snaps[0], last, key, scope)
        if len(snaps) > 1
        else scope_histogram(last, key, scope)
    )
    if hist is None:
        return Latency(None, None, None, None, 0, span)
    p50, p90, p99 = (histogram_quantile(q, hist) for q in QUANTILES)
    mean = hist.sum / hist.count if hist.count > 0 else None
    return Latency(p50, p90, p99, mean, int(hist.count), span)


def _fell(history: MetricsHistory, window_s: float) -> bool:
    snaps = history.window(window_s)
    for before, after in zip(snaps, snaps[1:], strict=False):
        for key in ("prompt_tokens", "generation_tokens"):
            a = scope_value(before, key, Scope())
            b = scope_value(after, key, Scope())
            if a is not None and b is not None and b < a:
                return True
    return False


def derive_stats(
    history: MetricsHistory,
    scope: Scope | None = None,
    rate_window_s: float = 10.0,
    latency_window_s: float = 60.0,
) -> ServerStats:
    """Returns the derived view of `scope` (all series by default) at the newest scrape."""
    scope = scope or Scope()
    last = history.latest
    if last is None:
        raise ValueError("no snapshot yet: scrape once before deriving")
    recent = history.window(rate_window_s)
    interval_s = last.scraped_at_s - recent[0].scraped_at_s if len(recent) > 1 else None

    def total(key: str) -> float | None:
        return scope_value(last, key, scope)

    def increase(key: str) -> float | None:
        return series_increase(recent, key, scope) if interval_s else None

    latency = {}
    for key in LATENCY_KEYS:
        found = _latency(history, key, scope, latency_window_s)
        if found is not None:
            latency[key] = found
    batch = None
    if "iteration_tokens" in last.histograms:
        snaps = history.window(latency_window_s)
        hist = histogram_window(snaps[0], last, "iteration_tokens", scope)
        if len(snaps) > 1 and hist is not None and hist.count > 0:
            batch = hist.sum / hist.count

    prefix_rate_lifetime = _ratio(total("prefix_cache_hits"), total("prefix_cache_queries"))
    if prefix_rate_lifetime is None and last.has("prefix_cache_hit_rate_gauge"):
        prefix_rate_lifetime = scope_mean(last, "prefix_cache_hit_rate_gauge", scope)
    finished = {
        dict(labels).get("finished_reason", "?"): value
        for labels, value in last.values.get("request_success", {}).items()
        if scope.matches(labels)
    }
    wanted = {
        "kv_cache_usage", "running", "waiting", "preemptions", "prompt_tokens",
        "generation_tokens", "prefix_cache_queries", "mm_cache_queries", "ttft", "itl",
        "e2e", "queue", "iteration_tokens", "cache_config",
    }  # fmt: skip
    not_reported = frozenset(key for key in wanted if not last.has(key))
    if "prefix_cache_queries" in not_reported and last.has("prefix_cache_hit_rate_gauge"):
        not_reported -= {"prefix_cache_queries"}
    awake = _by_label(last, "sleep_state", "sleep_state", scope).get("awake")
    return ServerStats(
        scope=scope,
        at_s=last.scraped_at_s,
        interval_s=interval_s,
        kv_cache_usage=scope_mean(last, "kv_cache_usage", scope),
        running=total("running"),
        waiting=total("waiting"),
        swapped=total("swapped"),
        preemptions_total=total("preemptions"),
        preemptions_per_s=_rate(increase("preemptions"), interval_s),
        prompt_tokens_total=total("prompt_tokens"),
        generation_tokens_total=total("generation_tokens"),
        prompt_tokens_per_s=_rate(increase("prompt_tokens"), interval_s),
        generation_tokens_per_s=_rate(increase("generation_tokens"), interval_s),
        prefix_cache_queries_total=total("prefix_cache_queries"),
        prefix_cache_hits_total=total("prefix_cache_hits"),
        prefix_cache_hit_rate=_ratio(
            increase("prefix_cache_hits"), increase("prefix_cache_queries")
        ),
        prefix_cache_hit_rate_lifetime=prefix_rate_lifetime,
        mm_cache_queries_total=total("mm_cache_queries"),
        mm_cache_hits_total=total("mm_cache_hits"),
        mm_cache_hit_rate=_ratio(increase("mm_cache_hits"), increase("mm_cache_queries")),
        mm_cache_hit_rate_lifetime=_ratio(total("mm_cache_hits"), total("mm_cache_queries")),
        batch_tokens_mean=batch,
        latency=latency,
        kv_capacity=kv_capacity(last, scope),
        requests_finished=finished,
        not_reported=not_reported,
        restarted=_fell(history, rate_window_s),
        uptime_s=uptime(last),
        waiting_by_reason=_by_label(last, "waiting_by_reason", "reason", scope),
        admission_rejections_total=total("admission_rejections"),
        admission_rejections_per_s=_rate(increase("admission_rejections"), interval_s),
        prompt_tokens_by_source=_by_label(last, "prompt_tokens_by_source", "source", scope),
        external_prefix_cache_queries_total=total("external_prefix_cache_queries"),
        external_prefix_cache_hit_rate=_ratio(
            increase("external_prefix_cache_hits"), increase("external_prefix_cache_queries")
        ),
        external_prefix_cache_hit_rate_lifetime=_ratio(
            total("external_prefix_cache_hits"), total("external_prefix_cache_queries")
        ),
        lmcache_hit_rate=_ratio(
            increase("lmcache_hit_tokens"), increase("lmcache_requested_tokens")
        ),
        lmcache_hit_rate_lifetime=_ratio(
            total("lmcache_hit_tokens"), total("lmcache_requested_tokens")
        ),
        asleep=None if awake is None else awake == 0,
    )


def _by_label(snapshot: MetricsSnapshot, key: str, label: str, scope: Scope) -> dict[str, float]:
    """Returns a family's values summed by one label's value, within the scope."""
    out: dict[str, float] = {}
    for labels, value in snapshot.values.get(key, {}).items():
        if scope.matches(labels):
            name = dict(labels).get(label, "?")
            out[name] = out.get(name, 0.0) + value
    return out


def uptime(snapshot: MetricsSnapshot) -> float | None:
    """Returns how long the server process had run when `snapshot` was scraped.

    From `process_start_time_seconds` (prometheus-client's process collector, on
    Linux) and the scrape's Unix time; None when either is missing. Clocks a
    little apart never make it negative.
    """
    started = snapshot.values.get("process_start")
    if not started or snapshot.wall_s is None:
        return None
    return max(0.0, snapshot.wall_s - max(started.values()))


def scopes(snapshot: MetricsSnapshot) -> list[Scope]:
    """Returns the scopes worth showing: all, then each model and engine when there are several."""
    pairs: set[tuple[str | None, str | None]] = set()
    for series in snapshot.values.values():
        for labels in series:
            found = dict(labels)
            pairs.add((found.get("model_name"), found.get("engine")))
    models = sorted({m for m, _ in pairs if m is not None})
    engines = sorted({e for _, e in pairs if e is not None})
    out = [Scope()]
    if len(models) > 1:
        out += [Scope(model_name=m) for m in models]
    if len(engines) > 1:
        out += [Scope(engine=e) for e in engines]
    return out


EXTERNAL_SOURCE = "external_kv_transfer"
"""prompt_tokens_by_source's label for tokens a KV connector (LMCache ...) supplied."""


def external_kv_tokens(snapshot: MetricsSnapshot) -> float | None:
    """Returns prompt tokens served by a KV connector since start, or None when the server
    does not export prompt_tokens_by_source."""
    if "prompt_tokens_by_source" not in snapshot.values:
        return None
    return _by_label(snapshot, "prompt_tokens_by_source", "source", Scope()).get(
        EXTERNAL_SOURCE, 0.0
    )
