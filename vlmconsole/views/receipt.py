"""A turn's one-line receipt and its TTFT breakdown, as rich Text."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text

from vlmconsole.views import formatting as fmt
from vlmconsole.views.safe_text import plain

if TYPE_CHECKING:
    from vlmconsole.model.turn_record import TurnRecord
    from vlmconsole.model.turn_timing import HttpPhases

BAR_WIDTH = 24


def receipt(record: TurnRecord) -> Text:
    """Returns what one turn cost, on one line; a failed turn says why."""
    if not record.ok:
        line = Text(f"✗ turn {record.turn} {record.status}: ", style="bold")
        line.append_text(plain(record.error or "unknown error"))
        if record.reply:
            line.append(f" (kept the {len(record.reply):,} characters that came first)")
        return line
    line = Text(f"✓ turn {record.turn}", style="bold")
    if record.new_images:
        line.append(f" · image {fmt.count(record.new_image_tokens)} tok")
    line.append(
        f" · cached {fmt.count(record.cached_tokens)} / new {fmt.count(record.new_tokens)}"
        f" of {fmt.count(record.prompt_tokens)}"
    )
    if record.external_kv_tokens:
        line.append(f" · external KV {fmt.count(record.external_kv_tokens)}")
    line.append(f" · TTFT {fmt.seconds(record.ttft_s)}")
    if record.server is not None:
        line.append(f" (server {fmt.seconds(record.server.ttft_s)})")
    decode = record.server_decode_tok_s or record.decode_tok_s
    line.append(f" · decode {fmt.per_second(decode, 'tok/s')}")
    line.append(f" · sent {fmt.size(record.request_bytes)}")
    if record.image_bytes_saved:
        line.append(f" (saved {fmt.size(record.image_bytes_saved)} by id)")
    if record.resent_after_cache_miss:
        line.append(" · the server had lost an image: sent again with every image")
    return line


def breakdown_text(record: TurnRecord) -> Text:
    """Returns where the TTFT went, part by part with a bar, or why it is not known."""
    parts = record.breakdown
    if parts is None:
        reason = record.server_note or "the server's view of this turn is missing"
        return plain(f"  where the TTFT went: not known ({reason})", "dim")
    out = Text(f"  where the {fmt.seconds(parts.client_ttft_s)} TTFT went:\n", style="dim")
    total = max(parts.client_ttft_s, 1e-9)
    for name, value in parts.parts().items():
        share = max(0.0, value) / total
        cells = round(share * BAR_WIDTH)
        out.append(f"    {name:<22}{fmt.seconds(value):>9} {share * 100:5.1f}% ")
        out.append("█" * cells + "·" * (BAR_WIDTH - cells), style="dim")
        out.append("\n")
        if name == "client + transport" and record.http is not None:
            out.append(f"      {http_phases_text(record.http)}\n", style="dim")
    out.rstrip()
    return out


def http_phases_text(http: HttpPhases) -> str:
    """Returns the request's way out in words: `body 15 ms · connect 0 ms · ...`."""
    return (
        f"building the request {fmt.seconds(http.build_s)} · connecting"
        f" {fmt.seconds(http.connect_s)} · sending it {fmt.seconds(http.upload_s)} · until"
        f" the server answered {fmt.seconds(http.wait_s)}"
    )
