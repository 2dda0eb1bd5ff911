"""One labelled server metric on one line: label, value, and a sparkline of recent values."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Static

from vlmconsole.ui.widgets.quiet_sparkline import QuietSparkline
from vlmconsole.ui.widgets.quiet_update import update_if_changed
from vlmconsole.views import formatting as fmt
from vlmconsole.views.safe_text import plain


class MetricRow(Widget):
    """A metric as `label  value  ▁▂▅▇`, one line high.

    The app (or a panel) sets `value_text` (already formatted), `series` (recent
    values, oldest first) and `reported`; the row only renders them. A metric the
    server does not export reads "not reported by this server" and hides its
    sparkline, so the phrase has the room the sparkline had.
    """

    DEFAULT_CSS = """
    MetricRow {
        layout: horizontal;
        height: 1;
        width: 1fr;

        & > .metric-label {
            width: 14;
            text-style: bold;
            text-wrap: nowrap;
            text-overflow: ellipsis;
        }
        & > .metric-value {
            width: 1fr;
            min-width: 5;
            padding-right: 1;
            text-wrap: nowrap;
            text-overflow: ellipsis;
        }
        & > Sparkline {
            width: 10;
            height: 1;
        }
        &.-not-reported > .metric-value {
            color: $text-muted;
        }
        &.-not-reported > Sparkline {
            display: none;
        }
    }
    """

    # repaint=False: the row draws nothing of its own; its parts repaint what changed
    value_text: reactive[str] = reactive(fmt.NO_DATA, repaint=False)
    """The formatted value, such as `200 tok/s` or `—`."""
    series: reactive[tuple[float, ...]] = reactive((), repaint=False)
    """Recent values for the sparkline, oldest first."""
    reported: reactive[bool] = reactive(True, repaint=False)
    """False when the server does not export this metric."""

    def __init__(self, label: str, id: str | None = None) -> None:  # noqa: A002 (Textual's name)
        super().__init__(id=id)
        self.label = label
        self._label = Static(plain(label), classes="metric-label")
        self._value = Static(Text(fmt.NO_DATA), classes="metric-value")
        self._sparkline = QuietSparkline((), summary_function=max)

    def compose(self) -> ComposeResult:
        """Yields the label, the value and the sparkline.

        Returns:
            The row's three children, left to right.
        """
        yield self._label
        yield self._value
        yield self._sparkline

    def watch_value_text(self) -> None:
        self._show_value()

    def watch_reported(self, reported: bool) -> None:
        self.set_class(not reported, "-not-reported")
        self._show_value()

    def watch_series(self, series: tuple[float, ...]) -> None:
        self._sparkline.data = series

    def _show_value(self) -> None:
        text = Text(fmt.or_not_reported(self.value_text, self.reported))
        update_if_changed(self._value, text, sized_by_content=False)  # one line, 1fr wide

    @property
    def shown_text(self) -> str:
        """Returns the value as the row shows it (the not-reported phrase included)."""
        return fmt.or_not_reported(self.value_text, self.reported)
