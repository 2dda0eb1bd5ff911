"""The runs side by side as text: `bench`'s comparison across window policies.

Fixed-width columns with the explanation last and unbounded, as the turn lines are:
piped or in a narrow terminal a row stays one line (rich tables would fold it).
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text

from vlmconsole.model.run_comparison import FASTEST, ComparisonRow
from vlmconsole.views import formatting as fmt
from vlmconsole.views.safe_text import plain

COMPARISON_HEADER = (
    f"{'run':<12}{'turns':>7}{'TTFT mean':>11}{'TTFT p90':>10}{'cached':>8}{'bytes/turn':>12}"
    f"{'img tok/turn':>14}  what explains the difference"
)


def comparison_text(rows: Sequence[ComparisonRow]) -> Text:
    """Returns the comparison: a heading, the column names, then one line a run."""
    out = Text("runs compared:", style="bold")
    out.append("\n")
    out.append(COMPARISON_HEADER, style="bold")
    for row in rows:
        size = None if row.mean_request_bytes is None else round(row.mean_request_bytes)
        turns = f"{row.turns_ok}" + (f"+{row.turns_failed}✗" if row.turns_failed else "")
        out.append("\n")
        out.append_text(plain(f"{row.label[:11]:<12}"))
        out.append(
            f"{turns:>7}{fmt.seconds(row.mean_ttft_s):>11}{fmt.seconds(row.p90_ttft_s):>10}"
            f"{fmt.percent(row.cached_share):>8}{fmt.size(size):>12}"
            f"{fmt.count(row.image_tokens_per_turn):>14}  "
        )
        out.append_text(
            plain(row.explains or fmt.NO_DATA, "green" if row.explains == FASTEST else "")
        )
    return out
