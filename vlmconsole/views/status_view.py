"""`vlmconsole status` as rich Text: identity, then what the server is doing.

Built as one Text with fixed-width columns rather than rich Tables: a watch
redraws it every second, and table layout would cost more than the scrape.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text

from vlmconsole.model.server_findings import server_findings
from vlmconsole.model.server_stats import LATENCY_KEYS, ServerStats
from vlmconsole.views import formatting as fmt
from vlmconsole.views.findings_view import findings_text
from vlmconsole.views.launch_view import launch_text
from vlmconsole.views.safe_text import plain

if TYPE_CHECKING:
    from vlmconsole.model.launch_config import LaunchConfig
    from vlmconsole.model.server_info import ServerInfo

LATENCY_LABELS = {
    "ttft": "time to first token",
    "itl": "inter-token latency",
    "tpot": "time per output token",
    "e2e": "end to end",
    "queue": "queue",
    "prefill": "prefill",
    "decode": "decode",
}


LABEL_WIDTH = 14


def _row(out: Text, label: str, value: Text | str) -> None:
    out.append(label.ljust(LABEL_WIDTH), style="bold")
    out.append_text(value if isinstance(value, Text) else Text(value))
    out.append("\n")


def identity_text(info: ServerInfo, uptime_s: float | None = None) -> Text:
    """Returns the server's identity: URL, version, health, uptime, load and models."""
    out = Text()
    health = Text("healthy", style="green") if info.healthy else plain(info.health_detail, "red")
    _row(out, "server", plain(info.url))
    _row(out, "vLLM", plain(info.version or fmt.NOT_REPORTED))
    _row(out, "health", health)
    _row(out, "uptime", fmt.uptime(uptime_s) if uptime_s is not None else fmt.NOT_REPORTED)
    _row(out, "load", fmt.count(info.load) if info.load is not None else fmt.NOT_REPORTED)
    for card in info.models:
        context = fmt.count(card.max_model_len) if card.max_model_len else fmt.NOT_REPORTED
        line = plain(card.id)
        line.append(f"   max context {context}")
        if card.root and card.root != card.id:
            line.append("   root ")
            line.append_text(plain(card.root))
        _row(out, "model", line)
    return out


def _value(stats: ServerStats, key: str, text: str) -> Text:
    if key in stats.not_reported:
        return Text(fmt.NOT_REPORTED, style="dim")
    return Text(text)


def activity_text(stats: ServerStats) -> Text:
    """Returns what the server is doing: KV cache, requests, tokens, caches, batch."""
    out = Text()
    window = f"last {stats.interval_s:.0f} s" if stats.interval_s else "needs two scrapes"
    capacity = stats.kv_capacity
    usage = fmt.percent(stats.kv_cache_usage)
    if capacity and capacity.capacity_tokens:
        usage += f" of {fmt.count(capacity.capacity_tokens)} tokens"
        if capacity.block_size and capacity.num_blocks:
            usage += f" ({fmt.count(capacity.num_blocks)} blocks of {capacity.block_size})"
    if capacity and capacity.max_concurrency:
        usage += f", max concurrency {capacity.max_concurrency:g}"
    _row(out, "KV cache", _value(stats, "kv_cache_usage", usage))
    requests = f"running {fmt.count(stats.running)}   waiting {fmt.count(stats.waiting)}"
    if stats.swapped is not None:
        requests += f"   swapped {fmt.count(stats.swapped)}"
    if stats.waiting_by_reason.get("capacity"):
        requests += f" ({fmt.count(stats.waiting_by_reason['capacity'])} for KV room)"
    if stats.admission_rejections_total:
        requests += f"   refused {fmt.count(stats.admission_rejections_total)}"
    _row(out, "requests", _value(stats, "running", requests))
    preempt = (
        f"{fmt.count(stats.preemptions_total)} total   {fmt.per_second(stats.preemptions_per_s)}"
    )
    _row(out, "preemptions", _value(stats, "preemptions", preempt))
    tokens = (
        f"prompt {fmt.per_second(stats.prompt_tokens_per_s, 'tok/s')}"
        f" ({fmt.count(stats.prompt_tokens_total)} total)   "
        f"generation {fmt.per_second(stats.generation_tokens_per_s, 'tok/s')}"
        f" ({fmt.count(stats.generation_tokens_total)} total)"
    )
    _row(out, "tokens", _value(stats, "prompt_tokens", tokens))
    prefix = (
        f"{fmt.percent(stats.prefix_cache_hit_rate)} {window}   "
        f"{fmt.percent(stats.prefix_cache_hit_rate_lifetime)} since start"
    )
    if stats.prefix_cache_queries_total is not None:
        prefix += (
            f"   ({fmt.count(stats.prefix_cache_hits_total)} of "
            f"{fmt.count(stats.prefix_cache_queries_total)} tokens)"
        )
    _row(out, "prefix cache", _value(stats, "prefix_cache_queries", prefix))
    mm = (
        f"{fmt.percent(stats.mm_cache_hit_rate)} {window}   "
        f"{fmt.percent(stats.mm_cache_hit_rate_lifetime)} since start   "
        f"({fmt.count(stats.mm_cache_hits_total)} of {fmt.count(stats.mm_cache_queries_total)})"
    )
    _row(out, "mm cache", _value(stats, "mm_cache_queries", mm))
    if stats.external_prefix_cache_queries_total:  # a KV connector (LMCache, ...) is in use
        external = stats.prompt_tokens_by_source.get("external_kv_transfer")
        _row(
            out,
            "external KV",
            f"{fmt.percent(stats.external_prefix_cache_hit_rate)} {window}   "
            f"{fmt.percent(stats.external_prefix_cache_hit_rate_lifetime)} since start   "
            f"({fmt.count(external)} prompt tokens transferred)",
        )
    if stats.lmcache_hit_rate_lifetime is not None:
        _row(
            out,
            "LMCache",
            f"{fmt.percent(stats.lmcache_hit_rate)} {window}   "
            f"{fmt.percent(stats.lmcache_hit_rate_lifetime)} since start (its own counts)",
        )
    batch = (
        f"{stats.batch_tokens_mean:,.0f} tokens/step" if stats.batch_tokens_mean else fmt.NO_DATA
    )
    _row(out, "batch", _value(stats, "iteration_tokens", batch))
    if stats.requests_finished:
        done = "   ".join(f"{k} {fmt.count(v)}" for k, v in sorted(stats.requests_finished.items()))
        _row(out, "finished", plain(done))
    if stats.restarted:
        _row(out, "note", Text("a counter fell: the server restarted", style="yellow"))
    return out


def latency_text(stats: ServerStats) -> Text:
    """Returns the server's own latency percentiles over the sliding window."""
    span = max((lat.window_s for lat in stats.latency.values()), default=0.0)
    out = Text(f"server latency, last {span:.0f} s" if span else "server latency, since start")
    out.append("\n")
    out.append(f"{'':<24}{'p50':>10}{'p90':>10}{'p99':>10}{'mean':>10}{'requests':>10}\n", "bold")
    for key in LATENCY_KEYS:
        lat = stats.latency.get(key)
        label = f"{LATENCY_LABELS[key]:<24}"
        if lat is None:
            if key in stats.not_reported:
                out.append(label)
                out.append(fmt.NOT_REPORTED + "\n", style="dim")
            continue
        cells = (lat.p50_s, lat.p90_s, lat.p99_s, lat.mean_s)
        out.append(label + "".join(f"{fmt.seconds(v):>10}" for v in cells))
        out.append(f"{fmt.count(lat.count):>10}\n")
    return out


def status_view(
    info: ServerInfo, stats: list[ServerStats], launch: LaunchConfig | None = None
) -> Text:
    """Returns the whole status: identity, what it runs with, each scope's activity and
    latency, and the findings on them."""
    out = identity_text(info, stats[0].uptime_s if stats else None)
    if launch is not None:
        out.append("\n")
        out.append_text(launch_text(launch))
        out.append("\n")
    for scope_stats in stats:
        out.append("\n")
        out.append_text(plain(f"[{scope_stats.scope.label()}]", "bold underline"))
        out.append("\n")
        out.append_text(activity_text(scope_stats))
        out.append("\n")
        out.append_text(latency_text(scope_stats))
        found = server_findings(scope_stats, launch)
        if found:
            out.append("\n")
            out.append_text(findings_text(found, "findings:"))
    out.rstrip()
    return out
