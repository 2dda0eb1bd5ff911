"""`vlmconsole status` as a rich renderable: identity, then what the server is doing."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from vlmconsole.model.server_info import ServerInfo
from vlmconsole.model.server_stats import LATENCY_KEYS, ServerStats
from vlmconsole.views import formatting as fmt
from vlmconsole.views.safe_text import plain

LATENCY_LABELS = {
    "ttft": "time to first token",
    "itl": "inter-token latency",
    "tpot": "time per output token",
    "e2e": "end to end",
    "queue": "queue",
    "prefill": "prefill",
    "decode": "decode",
}


def identity_table(info: ServerInfo) -> Table:
    """Returns the server's identity: URL, version, health, load and models."""
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    health = Text("healthy", style="green") if info.healthy else plain(info.health_detail, "red")
    table.add_row("server", plain(info.url))
    table.add_row("vLLM", plain(info.version or fmt.NOT_REPORTED))
    table.add_row("health", health)
    load = fmt.count(info.load) if info.load is not None else fmt.NOT_REPORTED
    table.add_row("load", Text(load))
    for card in info.models:
        context = fmt.count(card.max_model_len) if card.max_model_len else fmt.NOT_REPORTED
        line = plain(card.id)
        line.append(f"   max context {context}")
        if card.root and card.root != card.id:
            line.append("   root ")
            line.append_text(plain(card.root))
        table.add_row("model", line)
    return table


def _value(stats: ServerStats, key: str, text: str) -> Text:
    if key in stats.not_reported:
        return Text(fmt.NOT_REPORTED, style="dim")
    return Text(text)


def activity_table(stats: ServerStats) -> Table:
    """Returns what the server is doing: KV cache, requests, tokens, caches, batch."""
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    window = f"last {stats.interval_s:.0f} s" if stats.interval_s else "needs two scrapes"
    capacity = stats.kv_capacity
    usage = fmt.percent(stats.kv_cache_usage)
    if capacity and capacity.capacity_tokens:
        usage += f" of {fmt.count(capacity.capacity_tokens)} tokens"
        if capacity.block_size and capacity.num_blocks:
            usage += f" ({fmt.count(capacity.num_blocks)} blocks of {capacity.block_size})"
    if capacity and capacity.max_concurrency:
        usage += f", max concurrency {capacity.max_concurrency:g}"
    table.add_row("KV cache", _value(stats, "kv_cache_usage", usage))
    requests = f"running {fmt.count(stats.running)}   waiting {fmt.count(stats.waiting)}"
    if stats.swapped is not None:
        requests += f"   swapped {fmt.count(stats.swapped)}"
    table.add_row("requests", _value(stats, "running", requests))
    preempt = (
        f"{fmt.count(stats.preemptions_total)} total   {fmt.per_second(stats.preemptions_per_s)}"
    )
    table.add_row("preemptions", _value(stats, "preemptions", preempt))
    tokens = (
        f"prompt {fmt.per_second(stats.prompt_tokens_per_s, 'tok/s')}"
        f" ({fmt.count(stats.prompt_tokens_total)} total)   "
        f"generation {fmt.per_second(stats.generation_tokens_per_s, 'tok/s')}"
        f" ({fmt.count(stats.generation_tokens_total)} total)"
    )
    table.add_row("tokens", _value(stats, "prompt_tokens", tokens))
    prefix = (
        f"{fmt.percent(stats.prefix_cache_hit_rate)} {window}   "
        f"{fmt.percent(stats.prefix_cache_hit_rate_lifetime)} since start"
    )
    if stats.prefix_cache_queries_total is not None:
        prefix += (
            f"   ({fmt.count(stats.prefix_cache_hits_total)} of "
            f"{fmt.count(stats.prefix_cache_queries_total)} tokens)"
        )
    table.add_row("prefix cache", _value(stats, "prefix_cache_queries", prefix))
    mm = (
        f"{fmt.percent(stats.mm_cache_hit_rate)} {window}   "
        f"{fmt.percent(stats.mm_cache_hit_rate_lifetime)} since start   "
        f"({fmt.count(stats.mm_cache_hits_total)} of {fmt.count(stats.mm_cache_queries_total)})"
    )
    table.add_row("mm cache", _value(stats, "mm_cache_queries", mm))
    batch = (
        f"{stats.batch_tokens_mean:,.0f} tokens/step" if stats.batch_tokens_mean else fmt.NO_DATA
    )
    table.add_row("batch", _value(stats, "iteration_tokens", batch))
    if stats.requests_finished:
        done = "   ".join(f"{k} {fmt.count(v)}" for k, v in sorted(stats.requests_finished.items()))
        table.add_row("finished", plain(done))
    if stats.restarted:
        table.add_row("note", Text("a counter fell: the server restarted", style="yellow"))
    return table


def latency_table(stats: ServerStats) -> Table:
    """Returns the server's own latency percentiles over the sliding window."""
    span = max((lat.window_s for lat in stats.latency.values()), default=0.0)
    title = f"server latency, last {span:.0f} s" if span else "server latency, since start"
    table = Table(title=title, title_justify="left", box=None, padding=(0, 2))
    for header in ("", "p50", "p90", "p99", "mean", "requests"):
        table.add_column(header, justify="right" if header else "left")
    for key in LATENCY_KEYS:
        lat = stats.latency.get(key)
        if lat is None:
            if key in stats.not_reported:
                table.add_row(LATENCY_LABELS[key], Text(fmt.NOT_REPORTED, style="dim"))
            continue
        table.add_row(
            LATENCY_LABELS[key],
            fmt.seconds(lat.p50_s),
            fmt.seconds(lat.p90_s),
            fmt.seconds(lat.p99_s),
            fmt.seconds(lat.mean_s),
            fmt.count(lat.count),
        )
    return table


def status_view(info: ServerInfo, stats: list[ServerStats]) -> RenderableType:
    """Returns the whole status: identity, then each scope's activity and latency."""
    parts: list[RenderableType] = [identity_table(info)]
    for scope_stats in stats:
        parts.append(Text(""))
        parts.append(Text(f"[{scope_stats.scope.label()}]", style="bold underline"))
        parts.append(activity_table(scope_stats))
        parts.append(Text(""))
        parts.append(latency_table(scope_stats))
    return Group(*parts)
