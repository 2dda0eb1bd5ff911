"""One CSV row a turn: flat columns, units in their names, safe to open in a spreadsheet.

Numbers stay numbers and None becomes an empty cell. Text cells that a
spreadsheet would read as a formula (starting with `=`, `+`, `-`, `@`, tab or
carriage return) get a leading `'`. Image bytes and reply text are never written:
the reply is counted (`reply_chars`), not copied.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from pathlib import Path

from vlmconsole.export.files import write_text_file
from vlmconsole.export.safe import strip_control
from vlmconsole.model.turn_record import TurnRecord

Cell = str | int | float | None

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def guard_text(text: str) -> str:
    """Returns text a spreadsheet shows as text: a `'` before a formula-like start."""
    clean = strip_control(text)
    return "'" + clean if clean.startswith(_FORMULA_START) else clean


def _text(value: str | None) -> str | None:
    return None if value is None else guard_text(value)


def _joined(values: Sequence[str]) -> str:
    return guard_text(";".join(strip_control(v) for v in values))


_COLUMNS: tuple[tuple[str, Callable[[TurnRecord], Cell]], ...] = (
    ("run_id", lambda r: _text(r.run_id)),
    ("policy", lambda r: _text(r.policy)),
    ("turn", lambda r: r.turn),
    ("started_at", lambda r: _text(r.started_at)),
    ("status", lambda r: _text(r.status)),
    ("error", lambda r: _text(r.error)),
    ("model", lambda r: _text(r.model)),
    ("transport", lambda r: _text(r.transport)),
    ("ttft_s", lambda r: r.ttft_s),
    ("ttft_source", lambda r: _text(r.ttft_source)),
    ("first_text_s", lambda r: r.first_text_s),
    ("first_reasoning_s", lambda r: r.first_reasoning_s),
    ("first_tool_call_s", lambda r: r.first_tool_call_s),
    ("decode_tok_s", lambda r: r.decode_tok_s),
    ("server_decode_tok_s", lambda r: r.server_decode_tok_s),
    ("itl_s", lambda r: r.itl_s),
    ("itl_p50_s", lambda r: r.itl_p50_s),
    ("itl_p90_s", lambda r: r.itl_p90_s),
    ("itl_max_s", lambda r: r.itl_max_s),
    ("tpot_s", lambda r: r.tpot_s),
    ("e2e_s", lambda r: r.e2e_s),
    ("prep_s", lambda r: r.prep_s),
    ("http_build_s", lambda r: None if r.http is None else r.http.build_s),
    ("http_connect_s", lambda r: None if r.http is None else r.http.connect_s),
    ("http_upload_s", lambda r: None if r.http is None else r.http.upload_s),
    ("http_wait_s", lambda r: None if r.http is None else r.http.wait_s),
    ("prompt_tokens", lambda r: r.prompt_tokens),
    ("cached_tokens", lambda r: r.cached_tokens),
    ("cached_fraction", lambda r: r.cached_fraction),
    ("new_tokens", lambda r: r.new_tokens),
    ("completion_tokens", lambda r: r.completion_tokens),
    ("image_tokens_in_request", lambda r: r.image_tokens_in_request),
    ("new_image_tokens", lambda r: r.new_image_tokens),
    ("image_tokens_source", lambda r: _text(r.image_tokens_source)),
    ("images_in_request", lambda r: r.images_in_request),
    ("new_images", lambda r: len(r.new_images)),
    ("request_bytes", lambda r: r.request_bytes),
    ("external_kv_tokens", lambda r: r.external_kv_tokens),
    ("image_bytes_saved", lambda r: r.image_bytes_saved),
    ("resent_after_cache_miss", lambda r: r.resent_after_cache_miss),
    ("server_ttft_s", lambda r: None if r.server is None else r.server.ttft_s),
    ("server_queue_s", lambda r: None if r.server is None else r.server.queue_s),
    ("server_prefill_s", lambda r: None if r.server is None else r.server.prefill_s),
    ("server_decode_s", lambda r: None if r.server is None else r.server.decode_s),
    ("server_source", lambda r: None if r.server is None else _text(r.server.source)),
    ("server_note", lambda r: _text(r.server_note)),
    (
        "breakdown_client_transport_s",
        lambda r: None if r.breakdown is None else r.breakdown.client_transport_s,
    ),
    (
        "breakdown_preprocessing_s",
        lambda r: None if r.breakdown is None else r.breakdown.preprocessing_s,
    ),
    ("breakdown_queue_s", lambda r: None if r.breakdown is None else r.breakdown.queue_s),
    ("breakdown_prefill_s", lambda r: None if r.breakdown is None else r.breakdown.prefill_s),
    ("reply_chars", lambda r: len(r.reply)),
    ("image_labels", lambda r: _joined([image.label for image in r.new_images])),
    ("image_sha256s", lambda r: _joined([image.sha256 for image in r.new_images])),
)

CSV_COLUMNS: tuple[str, ...] = tuple(name for name, _ in _COLUMNS)
"""The header row, in order."""


def csv_row(record: TurnRecord) -> list[Cell]:
    """Returns one record's cells in `CSV_COLUMNS` order (None for an empty cell)."""
    return [cell(record) for _, cell in _COLUMNS]


def csv_text(records: Sequence[TurnRecord]) -> str:
    """Returns the CSV document: a header row, then one row a record."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    # csv writes None as an empty cell and numbers through str(): no rounding.
    writer.writerows(csv_row(record) for record in records)
    return buffer.getvalue()


def write_csv(records: Sequence[TurnRecord], path: Path) -> Path:
    """Writes one row a turn to `path` and returns `path`; raises ExportError on failure."""
    return write_text_file(path, csv_text(records))
