"""What the server is doing, as a column of gauges and one-line metrics with sparklines.

The same numbers as `vlmconsole status` (views/status_view.py), formatted the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Static

from vlmconsole.model.stats_timeline import StatsTimeline
from vlmconsole.ui.widgets.kv_gauge import KvGauge
from vlmconsole.ui.widgets.metric_table import MetricTable
from vlmconsole.ui.widgets.quiet_update import update_if_changed
from vlmconsole.views import formatting as fmt
from vlmconsole.views.safe_text import plain

if TYPE_CHECKING:
    from vlmconsole.model.server_stats import ServerStats

SPARKLINES_FROM = 44
"""Panel width (columns) from which the metric rows show their sparklines."""


@dataclass(frozen=True, slots=True)
class RowSpec:
    """One metric row: where its value comes from and which key says it is missing."""

    key: str
    label: str
    value: Callable[[ServerStats], str]
    series: Callable[[StatsTimeline], list[float]]
    missing_key: str | None
    """The `ServerStats.not_reported` key that means the server lacks the metric."""


def _attr(name: str) -> Callable[[StatsTimeline], list[float]]:
    return lambda timeline: timeline.series(name)


def _latency_series(key: str, quantile: str) -> Callable[[StatsTimeline], list[float]]:
    return lambda timeline: timeline.latency_series(key, quantile)


def _latency_value(key: str, quantile: str) -> Callable[[ServerStats], str]:
    def value(stats: ServerStats) -> str:
        latency = stats.latency.get(key)
        return fmt.NO_DATA if latency is None else fmt.seconds(getattr(latency, quantile))

    return value


def _batch(stats: ServerStats) -> str:
    mean = stats.batch_tokens_mean
    return fmt.NO_DATA if mean is None else f"{mean:,.0f} tok/step"


def _external_kv(stats: ServerStats) -> str:
    line = (
        f"{fmt.percent(stats.external_prefix_cache_hit_rate)} hit · since start "
        f"{fmt.percent(stats.external_prefix_cache_hit_rate_lifetime)}"
    )
    if stats.lmcache_hit_rate_lifetime is not None:  # LMCache's own count, when it exports it
        line += f" · LMCache {fmt.percent(stats.lmcache_hit_rate_lifetime)}"
    return line


def _waiting(stats: ServerStats) -> str:
    short = stats.waiting_by_reason.get("capacity")
    return fmt.count(stats.waiting) + (f" ({fmt.count(short)} for KV room)" if short else "")


ROWS: tuple[RowSpec, ...] = (
    RowSpec("running", "running", lambda s: fmt.count(s.running), _attr("running"), "running"),
    RowSpec("waiting", "waiting", _waiting, _attr("waiting"), "waiting"),
    RowSpec("swapped", "swapped", lambda s: fmt.count(s.swapped), _attr("swapped"), None),
    RowSpec(
        "preemptions",
        "preemptions",
        lambda s: f"{fmt.count(s.preemptions_total)} · {fmt.per_second(s.preemptions_per_s)}",
        _attr("preemptions_per_s"),
        "preemptions",
    ),
    RowSpec(
        "prompt",
        "prompt",
        lambda s: fmt.per_second(s.prompt_tokens_per_s, "tok/s"),
        _attr("prompt_tokens_per_s"),
        "prompt_tokens",
    ),
    RowSpec(
        "generation",
        "generation",
        lambda s: fmt.per_second(s.generation_tokens_per_s, "tok/s"),
        _attr("generation_tokens_per_s"),
        "generation_tokens",
    ),
    RowSpec(
        "prefix-hit",
        "prefix hit",
        lambda s: fmt.percent(s.prefix_cache_hit_rate),
        _attr("prefix_cache_hit_rate"),
        "prefix_cache_queries",
    ),
    RowSpec(
        "prefix-hit-lifetime",
        "  since start",
        lambda s: fmt.percent(s.prefix_cache_hit_rate_lifetime),
        _attr("prefix_cache_hit_rate_lifetime"),
        "prefix_cache_queries",
    ),
    RowSpec(
        "mm-hit",
        "mm cache hit",
        lambda s: fmt.percent(s.mm_cache_hit_rate),
        _attr("mm_cache_hit_rate"),
        "mm_cache_queries",
    ),
    RowSpec(
        "mm-hit-lifetime",
        "  since start",
        lambda s: fmt.percent(s.mm_cache_hit_rate_lifetime),
        _attr("mm_cache_hit_rate_lifetime"),
        "mm_cache_queries",
    ),
    RowSpec(
        "ext-kv-hit",
        "external KV",
        _external_kv,
        _attr("external_prefix_cache_hit_rate"),
        None,
    ),
    RowSpec("batch", "batch", _batch, _attr("batch_tokens_mean"), "iteration_tokens"),
    *(
        RowSpec(
            f"{key}-{q}",
            f"{label} {q}",
            _latency_value(key, f"{q}_s"),
            _latency_series(key, f"{q}_s"),
            key,
        )
        for key, label, q in (
            ("ttft", "TTFT", "p50"),
            ("ttft", "TTFT", "p90"),
            ("ttft", "TTFT", "p99"),
            ("itl", "ITL", "p50"),
            ("itl", "ITL", "p99"),
            ("e2e", "e2e", "p50"),
            ("queue", "queue", "p50"),
        )
    ),
)


def header_text(stats: ServerStats | None) -> Text:
    """Returns the panel's first line: the scope, and the window the rates span."""
    if stats is None:
        return Text("waiting for the first scrape", style="dim")
    out = plain(stats.scope.label(), "bold")
    window = (
        f"rates over {stats.interval_s:.0f} s" if stats.interval_s else "rates need two scrapes"
    )
    out.append(f" · {window}", style="dim")
    if stats.restarted:
        out.append("\na counter fell: the server restarted", style="bold")
    return out


def finished_text(stats: ServerStats | None) -> Text:
    """Returns finished requests by reason, such as `finished  length 1 · stop 13`."""
    out = Text("finished".ljust(14), style="bold")
    done = stats.requests_finished if stats is not None else {}
    if not done:
        out.append(fmt.NO_DATA)
        return out
    out.append_text(plain(" · ".join(f"{k} {fmt.count(v)}" for k, v in sorted(done.items()))))
    return out


class ServerPanel(Widget):
    """The server's KV cache, queues, throughput, caches and latency, one line each.

    The app sets `stats` (the newest derived view) and `timeline` (recent views,
    for the sparklines); the panel pushes values down to its gauge and rows. It
    scrolls when the terminal is too short for all of it.
    """

    DEFAULT_CSS = """
    ServerPanel {
        height: 1fr;
        width: 1fr;

        & > VerticalScroll {
            height: 1fr;
            padding: 0 1;
            scrollbar-size-vertical: 1;
        }
        & .panel-header, & .panel-finished {
            height: auto;
        }
        & KvGauge {
            margin-bottom: 1;
        }
    }
    """

    # repaint=False: the panel draws nothing of its own; its rows repaint what changed
    stats: reactive[ServerStats | None] = reactive(None, repaint=False)
    """The newest derived stats, or None before the first scrape."""
    timeline: reactive[StatsTimeline] = reactive(StatsTimeline(), repaint=False)
    """Recent stats, oldest first, for the sparklines."""

    def __init__(
        self,
        name: str | None = None,
        id: str | None = None,  # noqa: A002 (Textual's parameter name)
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._header = Static(header_text(None), classes="panel-header")
        self.gauge = KvGauge(id="kv-gauge")
        self.metrics = MetricTable(((spec.key, spec.label) for spec in ROWS), id="metrics")
        self._finished = Static(finished_text(None), classes="panel-finished")

    def compose(self) -> ComposeResult:
        """Yields a scrolling column: header, KV gauge, metric rows, finished requests.

        Returns:
            The panel's children.
        """
        with VerticalScroll():
            yield self._header
            yield self.gauge
            yield self.metrics
            yield self._finished

    def on_resize(self, event: events.Resize) -> None:
        # Below the width the rows were laid out for, values keep their room and sparklines go.
        narrow = event.size.width < SPARKLINES_FROM
        self.set_class(narrow, "-narrow")
        self.metrics.show_sparklines = not narrow

    def watch_stats(self, stats: ServerStats | None) -> None:
        update_if_changed(self._header, header_text(stats))
        update_if_changed(self._finished, finished_text(stats))
        gauge = self.gauge
        if stats is None:
            gauge.usage, gauge.capacity, gauge.reported = None, None, True
        else:
            gauge.usage = stats.kv_cache_usage
            gauge.capacity = stats.kv_capacity
            gauge.reported = "kv_cache_usage" not in stats.not_reported
        metrics = self.metrics
        for spec in ROWS:
            if stats is None:
                metrics.set_line(spec.key, value_text=fmt.NO_DATA, reported=True)
                continue
            reported = spec.missing_key not in stats.not_reported
            metrics.set_line(spec.key, value_text=spec.value(stats), reported=reported)
        # Swapped requests exist only on vLLM V0; elsewhere the row would read "—" forever.
        metrics.show_line("swapped", stats is not None and stats.swapped is not None)
        # A KV connector (LMCache, ...) is rare: its row shows once it has been queried.
        metrics.show_line(
            "ext-kv-hit",
            stats is not None
            and bool(
                stats.external_prefix_cache_queries_total
                or stats.lmcache_hit_rate_lifetime is not None
            ),
        )

    def watch_timeline(self, timeline: StatsTimeline) -> None:
        self.gauge.history = tuple(timeline.series("kv_cache_usage"))
        for spec in ROWS:
            self.metrics.set_line(spec.key, series=spec.series(timeline))
