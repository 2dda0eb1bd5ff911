"""`vlmconsole bench` as text: a line a turn as it ends, then a summary a run."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.text import Text

from vlmconsole.model.trend import predict_ttft, trend
from vlmconsole.views import formatting as fmt
from vlmconsole.views.safe_text import plain

if TYPE_CHECKING:
    from vlmconsole.model.turn_record import TurnRecord
    from vlmconsole.model.window_policy import WindowPolicy

WEAK_FIT_R2 = 0.5

HEADER = (
    f"{'policy':<10}{'turn':>5}{'imgs':>5}{'prompt':>8}{'cached':>8}{'new':>7}{'img tok':>8}"
    f"{'TTFT':>9}{'server':>9}{'decode':>10}{'sent':>9}  where the TTFT went"
)


def turn_line(record: TurnRecord) -> Text:
    """Returns one turn as a table row; a failed turn shows its error."""
    line = Text(f"{record.policy:<10}{record.turn:>5}")
    if not record.ok:
        line.append(f"  {record.status}: ", style="red")
        line.append_text(plain(record.error or "unknown error", "red"))
        if record.reply:
            line.append(f" (received {len(record.reply)} characters first)")
        return line
    decode = record.server_decode_tok_s or record.decode_tok_s
    line.append(
        f"{record.images_in_request:>5}{fmt.count(record.prompt_tokens):>8}"
        f"{fmt.count(record.cached_tokens):>8}{fmt.count(record.new_tokens):>7}"
        f"{fmt.count(record.new_image_tokens):>8}{fmt.seconds(record.ttft_s):>9}"
        f"{fmt.seconds(record.server.ttft_s if record.server else None):>9}"
        f"{fmt.per_second(decode, 'tok/s'):>10}{fmt.size(record.request_bytes):>9}  "
    )
    if record.breakdown is not None:
        parts = record.breakdown
        line.append(
            f"client+net {fmt.seconds(parts.client_transport_s)} + preprocess "
            f"{fmt.seconds(parts.preprocessing_s)} + queue {fmt.seconds(parts.queue_s)} + "
            f"prefill {fmt.seconds(parts.prefill_s)}",
            "dim",
        )
    elif record.server_note:
        line.append(record.server_note, "dim")
    return line


def _mean(values: Sequence[float | None]) -> float | None:
    found = [v for v in values if v is not None]
    return statistics.fmean(found) if found else None


def run_summary(policy: WindowPolicy, records: Sequence[TurnRecord], predict_at: int) -> Text:
    """Returns one run's summary: counts, TTFT first to last, cache, fits, a prediction."""
    ok = [r for r in records if r.ok]
    out = Text(f"{policy}: ", style="bold")
    out.append(f"{len(ok)} of {len(records)} turns finished")
    if len(ok) < len(records):
        out.append(f", {len(records) - len(ok)} failed", style="red")
    out.append("\n")
    if not ok:
        return out
    image_tokens = [i.tokens for r in ok for i in r.new_images if i.tokens is not None]
    out.append(
        f"  TTFT {fmt.seconds(ok[0].ttft_s)} on turn {ok[0].turn} -> "
        f"{fmt.seconds(ok[-1].ttft_s)} on turn {ok[-1].turn}, mean "
        f"{fmt.seconds(_mean([r.ttft_s for r in ok]))}; cached "
        f"{fmt.percent(_mean([r.cached_fraction for r in ok]))} of the prompt on average; "
        f"an image costs {fmt.count(_mean(image_tokens))} tokens\n"
    )
    fits = trend(ok)
    for line in (fits.ttft_vs_images, fits.ttft_vs_new_tokens, fits.decode_s_per_token_vs_context):
        if line is None:
            continue
        unit = "ms" if line.y_name.startswith("TTFT") else "µs"
        scale = 1000 if unit == "ms" else 1e6
        out.append(
            f"  fit: {line.y_name} = {line.intercept:.3g} + {line.slope * scale:.3g} {unit} x "
            f"{line.x_name}  (r² {line.r2:.2f}, {line.points} turns)\n",
            style="dim",
        )
    prediction = predict_ttft(policy, fits, predict_at)
    if prediction is not None and prediction.ttft_s is None:
        out.append(
            f"  the fit cannot predict TTFT at {prediction.images} screenshots: "
            f"{prediction.why_not}\n",
            style="yellow",
        )
    elif prediction is not None and prediction.ttft_s is not None:
        out.append(
            f"  at {prediction.images} screenshots ({prediction.images_in_request} in each "
            f"request under {policy}) TTFT will be about {fmt.seconds(prediction.ttft_s)}"
        )
        if prediction.fit.r2 < WEAK_FIT_R2:
            out.append(
                f" (weak fit, r² {prediction.fit.r2:.2f}: TTFT barely follows the image count "
                "here; more turns tell more)",
                style="yellow",
            )
        out.append("\n")
    return out
