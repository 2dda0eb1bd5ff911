"""The runs side by side as a table: `bench`'s comparison across window policies."""

from __future__ import annotations

from collections.abc import Sequence

from rich import box
from rich.table import Table

from vlmconsole.model.run_comparison import FASTEST, ComparisonRow
from vlmconsole.views import formatting as fmt
from vlmconsole.views.safe_text import plain


def comparison_table(rows: Sequence[ComparisonRow]) -> Table:
    """Returns one row a run: TTFT mean and p90, cached share, bytes, image tokens, why."""
    table = Table(title="runs compared", title_justify="left", box=box.SIMPLE_HEAD)
    table.add_column("run")
    for name in ("turns", "TTFT mean", "TTFT p90", "cached", "bytes/turn", "img tok/turn"):
        table.add_column(name, justify="right")
    table.add_column("what explains the difference", overflow="fold")
    for row in rows:
        turns = f"{row.turns_ok}" + (f" ({row.turns_failed} failed)" if row.turns_failed else "")
        size = None if row.mean_request_bytes is None else round(row.mean_request_bytes)
        table.add_row(
            plain(row.label),
            turns,
            fmt.seconds(row.mean_ttft_s),
            fmt.seconds(row.p90_ttft_s),
            fmt.percent(row.cached_share),
            fmt.size(size),
            fmt.count(row.image_tokens_per_turn),
            plain(row.explains or fmt.NO_DATA, "green" if row.explains == FASTEST else ""),
        )
    return table
