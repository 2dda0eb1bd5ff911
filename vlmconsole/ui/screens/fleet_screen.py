"""The fleet screen: every vLLM instance one Prometheus scrapes, a row each.

It renders what the injected FleetFeed reads, refresh after refresh; when a refresh
fails it keeps the rows it had and says how old they are. Sort by any column (click
its title, or s / S to move the sort along, r to reverse), filter with /, and Enter
opens the console on the row's instance.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Static

from vlmconsole.model.fleet_rows import (
    FilterError,
    FleetReading,
    FleetRow,
    RowFilter,
    fleet_totals,
    sorted_rows,
)
from vlmconsole.sources.console_sources import FleetFeed, SourceError
from vlmconsole.views.fleet_view import COLUMNS, cells, empty_note, totals_line
from vlmconsole.views.safe_text import plain


@dataclass(frozen=True, slots=True)
class FleetScreenState:
    """What the person chose: the sort and the filter (kept across a visit to a console)."""

    sort: str = "instance"
    descending: bool = False
    filter: str = ""
    cursor: str | None = None
    """The instance the cursor was on."""


@dataclass(frozen=True, slots=True)
class FleetChoice:
    """The instance Enter chose, and the screen's state to come back to."""

    instance: str
    scrape_url: str
    state: FleetScreenState


class FleetTable(DataTable[Text]):
    """The fleet's rows; Enter (shown in the footer) opens the console on one."""

    BINDINGS = [Binding("enter", "select_cursor", "console", show=True)]


class FleetScreen(Screen[None]):
    """The fleet's totals, its table, and the keys."""

    BINDINGS = [
        Binding("s", "sort(1)", "sort →"),
        Binding("S", "sort(-1)", "sort ←", show=False),
        Binding("r", "reverse", "reverse"),
        Binding("slash", "filter", "filter"),
        Binding("g", "refresh", "refresh now"),
        Binding("q", "app.quit", "quit"),
    ]

    def __init__(
        self,
        feed: FleetFeed,
        prometheus: str,
        window: str,
        refresh_s: float,
        state: FleetScreenState,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.feed = feed
        self.prometheus = prometheus
        self.window = window
        self.refresh_s = refresh_s
        self.state = state
        self.clock = clock
        self.reading: FleetReading | None = None
        self.error: str | None = None
        self.shown: list[FleetRow] = []
        self._row_keys: list[str] = []
        """The table's rows, top to bottom, as last filled."""
        self._cells: list[list[Text]] = []
        """Their cells, as last filled."""
        self._reading_now = False
        self.title_line = Static(id="fleet-title")
        self.totals = Static(id="fleet-totals")
        self.problem = Static(id="fleet-problem")
        self.filter_input = Input(
            placeholder="filter: words, or column>N, column=text, column~text  (Enter)",
            id="fleet-filter",
        )
        self.table = FleetTable(id="fleet-table", cursor_type="row", zebra_stripes=True)

    def compose(self) -> ComposeResult:
        """Returns the title, the totals, the problem line, the filter, the table, the keys."""
        yield self.title_line
        yield self.totals
        yield self.problem
        yield self.filter_input
        yield self.table
        yield Footer(compact=True)

    def on_mount(self) -> None:
        """Starts reading the fleet."""
        self.filter_input.value = self.state.filter
        self.filter_input.display = bool(self.state.filter)
        for column in COLUMNS:
            self.table.add_column(self._title(column.key), key=column.key)
        self.problem.display = False
        self._draw_title()
        self.set_interval(self.refresh_s, self._tick)
        self.set_interval(1.0, self._draw_title)
        self._tick()
        self.table.focus()

    # --- reading ---------------------------------------------------------------------------

    def _tick(self) -> None:
        if not self._reading_now:
            self._reading_now = True
            self._read()

    @work(group="fleet", exit_on_error=False)
    async def _read(self) -> None:
        try:
            reading = await self.feed.read()
        except SourceError as error:
            self.error = str(error)
        else:
            self.reading, self.error = reading, None
        finally:
            self._reading_now = False
        self._draw()

    # --- drawing ---------------------------------------------------------------------------

    def _title(self, key: str) -> Text:
        column = next(c for c in COLUMNS if c.key == key)
        if key != self.state.sort:
            return Text(column.title)
        arrow = "▼" if self.state.descending else "▲"
        return Text(f"{column.title} {arrow}", style="bold")

    def age_s(self) -> float | None:
        """Returns the age of the rows shown, in seconds (None before the first reading)."""
        return None if self.reading is None else self.clock() - self.reading.at_s

    def _draw_title(self) -> None:
        age = self.age_s()
        if self.reading is None:
            fresh = "reading…" if self.error is None else "no answer yet"
        else:
            fresh = (
                f"read {age:.0f} s ago ({self.reading.requests} requests,"
                f" {self.reading.took_s:.2f} s)"
            )
        title = plain(f"fleet · Prometheus {self.prometheus} · rates over {self.window} · {fresh}")
        self.title_line.update(title)
        if self.error is not None:
            kept = "" if age is None else f" · showing the fleet as it was {age:.0f} s ago"
            self.problem.update(plain(f"{self.error}{kept}", "bold red"))
        elif self.reading is not None and not self.reading.rows:
            self.problem.update(plain(empty_note(self.prometheus), "bold"))
        self.problem.display = self.error is not None or (
            self.reading is not None and not self.reading.rows
        )

    def _draw(self) -> None:
        self._draw_title()
        if self.reading is None:
            return
        rows = sorted_rows(self.reading.rows, self.state.sort, self.state.descending)
        try:
            row_filter = RowFilter(self.state.filter)
            self.shown = [row for row in rows if row_filter.keeps(row)]
        except FilterError as error:
            self.notify(str(error), severity="error")
            self.shown = rows
        totals = totals_line(fleet_totals(self.reading.rows), self.window)
        hidden = len(self.reading.rows) - len(self.shown)
        if hidden:
            totals += f" · {hidden} hidden by the filter"
        self.totals.update(plain(totals))
        table = self.table
        cursor = self._cursor_instance() or self.state.cursor
        for column in COLUMNS:
            table.columns[column.key].label = self._title(column.key)  # type: ignore[index]
        self._fill(table)
        if cursor is not None:
            for index, row in enumerate(self.shown):
                if row.instance == cursor:
                    table.move_cursor(row=index, animate=False)
                    break
        table.refresh()

    def _fill(self, table: DataTable[Text]) -> None:
        """Puts the shown rows in the table: cell by cell when the same rows are shown in the
        same order (a refresh: only the cells whose text changed are redrawn), else anew."""
        keys = [f"{row.instance}\x00{row.job}" for row in self.shown]
        drawn = [cells(row) for row in self.shown]
        if keys != self._row_keys:
            table.clear()
            for key, row_cells in zip(keys, drawn, strict=True):
                table.add_row(*row_cells, key=key)
        else:
            for key, row_cells, before in zip(keys, drawn, self._cells, strict=True):
                for column, text, old in zip(COLUMNS, row_cells, before, strict=True):
                    if text != old:
                        table.update_cell(key, column.key, text, update_width=True)
        self._row_keys, self._cells = keys, drawn

    def _cursor_instance(self) -> str | None:
        index = self.table.cursor_row
        if self.table.row_count and 0 <= index < len(self.shown):
            return self.shown[index].instance
        return None

    # --- keys ------------------------------------------------------------------------------

    def action_sort(self, step: int) -> None:
        """Sorts by the next (or previous) column."""
        keys = [column.key for column in COLUMNS]
        index = keys.index(self.state.sort) if self.state.sort in keys else 0
        self.state = replace(self.state, sort=keys[(index + step) % len(keys)])
        self._draw()
        self.notify(f"sorted by {self.state.sort}", timeout=2)

    def action_reverse(self) -> None:
        """Reverses the order."""
        self.state = replace(self.state, descending=not self.state.descending)
        self._draw()

    def action_filter(self) -> None:
        """Shows the filter line."""
        self.filter_input.display = True
        self.filter_input.focus()

    def action_refresh(self) -> None:
        """Reads the fleet now."""
        self._tick()

    def action_attach(self) -> None:
        """Opens the console on the instance under the cursor."""
        index = self.table.cursor_row
        if not self.shown or not 0 <= index < len(self.shown):
            self.notify("no instance to open", severity="warning")
            return
        row = self.shown[index]
        if row.scrape_url is None or row.health == "gone":
            self.notify(f"{row.instance}: Prometheus has no address for it", severity="warning")
            return
        state = replace(self.state, cursor=row.instance)
        self.app.exit(FleetChoice(row.instance, row.scrape_url, state))

    @on(DataTable.RowSelected)
    def _row_selected(self, _event: DataTable.RowSelected) -> None:
        self.action_attach()

    @on(DataTable.HeaderSelected)
    def _header_selected(self, event: DataTable.HeaderSelected) -> None:
        key = str(event.column_key.value)
        if key == self.state.sort:
            self.state = replace(self.state, descending=not self.state.descending)
        else:
            self.state = replace(self.state, sort=key, descending=False)
        self._draw()

    @on(Input.Submitted, "#fleet-filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        try:
            RowFilter(text).conditions()
        except FilterError as error:
            self.notify(str(error), severity="error")
            return
        self.state = replace(self.state, filter=text)
        self.filter_input.display = bool(text)
        self.table.focus()
        self._draw()

    async def close(self) -> None:
        """Closes the feed."""
        await self.feed.aclose()
