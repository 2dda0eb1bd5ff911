"""The session report: one self-contained HTML file (inline CSS and SVG, nothing from the net).

A header with the title and metadata, a summary table a run, three pygal
charts, then every turn with its TTFT breakdown; failed turns show their error.
Everything taken from records or metadata is data and is escaped.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from vlmconsole.export.charts import Chart, report_charts, where_ttft_went_charts
from vlmconsole.export.files import write_text_file
from vlmconsole.export.report_css import REPORT_CSS
from vlmconsole.export.safe import excerpt, safe_meta, strip_control
from vlmconsole.export.summary import (
    Run,
    compared,
    group_runs,
    run_findings,
    run_labels,
    summarize,
)
from vlmconsole.model.finding_types import Finding, ServerFacts
from vlmconsole.model.run_comparison import FASTEST
from vlmconsole.model.turn_record import TurnRecord

REPLY_EXCERPT_CHARS = 80
BREAKDOWN_PARTS = ("client + transport", "server preprocessing", "queue", "prefill")
"""The breakdown's column headings, as `TtftBreakdown.parts()` names them."""


HTTP_FIELDS = ("build_s", "connect_s", "upload_s", "wait_s")
HTTP_NAMES = ("building", "connecting", "sending", "until answered")
"""The HTTP client's phases (TurnRecord.http), as the turns table heads them."""


def esc(text: object) -> str:
    """Returns outside text as HTML text: controls removed, markup characters escaped."""
    return html.escape(strip_control(str(text)), quote=True)


def fmt(value: float | int | None, digits: int = 3) -> str:
    """Returns a number for a table cell (`digits` decimals for floats), or "–" for None."""
    if value is None:
        return "–"
    if isinstance(value, int):
        return str(value)
    return f"{value:.{digits}f}"


def percent(fraction: float | None) -> str:
    """Returns a 0..1 fraction as a percentage with one decimal, or "–" for None."""
    return "–" if fraction is None else f"{fraction * 100:.1f}%"


def _row(cells: Iterable[str], css_class: str = "") -> str:
    attribute = f' class="{css_class}"' if css_class else ""
    return f"<tr{attribute}>{''.join(cells)}</tr>"


def _td(text: str, css_class: str = "") -> str:
    """Returns a cell of already-escaped text."""
    attribute = f' class="{css_class}"' if css_class else ""
    return f"<td{attribute}>{text}</td>"


def _head(names: Iterable[str]) -> str:
    return "<thead>" + _row(f'<th scope="col">{esc(name)}</th>' for name in names) + "</thead>"


def _header(title: str, meta: Mapping[str, str], records: Sequence[TurnRecord]) -> str:
    runs = len({record.run_id for record in records})
    items = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in safe_meta(meta).items())
    listing = f'<dl class="meta">{items}</dl>' if items else ""
    counted = f"{len(records)} turns in {runs} runs"
    return f'<header><h1>{esc(title)}</h1>{listing}<p class="note">{counted}</p></header>'


def _summary(runs: Sequence[Run]) -> str:
    names = (
        "run",
        "policy",
        "turns ok",
        "turns failed",
        "mean TTFT (s)",
        "last TTFT (s)",
        "mean cached",
        "mean decode (tok/s)",
        "image tokens / image",
    )
    rows = []
    for run in runs:
        s = summarize(run)
        failed = "failed" if s.turns_ok == 0 and s.turns_failed else ""
        cells = (
            _td(esc(s.run_id), "t"),
            _td(esc(s.policy), "t"),
            _td(fmt(s.turns_ok)),
            _td(fmt(s.turns_failed)),
            _td(fmt(s.mean_ttft_s)),
            _td(fmt(s.last_ttft_s)),
            _td(percent(s.mean_cached_fraction)),
            _td(fmt(s.mean_decode_tok_s, 1)),
            _td(fmt(s.image_tokens_per_image, 1)),
        )
        rows.append(_row(cells, failed))
    table = f'<div class="scroll"><table>{_head(names)}<tbody>{"".join(rows)}</tbody></table></div>'
    body = table if runs else '<p class="note">No turns recorded.</p>'
    return f"<section><h2>Runs</h2>{body}</section>"


def _figures(charts: Sequence[Chart]) -> str:
    return "".join(
        f'<figure class="chart" id="{chart.chart_id}">{chart.svg}'
        f"<figcaption>{esc(chart.caption)}</figcaption></figure>"
        for chart in charts
    )


def _charts(runs: Sequence[Run], labels: dict[str, str]) -> str:
    return f"<section><h2>Charts</h2>{_figures(report_charts(runs, labels))}</section>"


def _where_ttft_went(runs: Sequence[Run], labels: dict[str, str]) -> str:
    return (
        '<section id="where"><h2>Where the TTFT went</h2>'
        "<p class=\"note\">Each turn's TTFT in its parts, from the server's histograms: "
        "the client and the transport, the server's preprocessing (image decoding and "
        "the processor), the queue, and the prefill.</p>"
        f"{_figures(where_ttft_went_charts(runs, labels))}</section>"
    )


def _comparison(
    runs: Sequence[Run], labels: Mapping[str, str], found: Mapping[str, Sequence[Finding]]
) -> str:
    """Returns the runs side by side with what explains each one's gap, for two runs or more."""
    if len(runs) < 2:
        return ""
    names = (
        "run",
        "ok",
        "failed",
        "mean TTFT (s)",
        "p90 TTFT (s)",
        "cached",
        "bytes / turn",
        "image tokens / turn",
        "what explains the difference",
    )
    rows = []
    for row in compared(runs, labels, found):
        why = "fastest" if row.explains == FASTEST else ""
        cells = (
            _td(esc(row.label), "t"),
            _td(fmt(row.turns_ok)),
            _td(fmt(row.turns_failed)),
            _td(fmt(row.mean_ttft_s)),
            _td(fmt(row.p90_ttft_s)),
            _td(percent(row.cached_share)),
            _td(fmt(row.mean_request_bytes, 0)),
            _td(fmt(row.image_tokens_per_turn, 0)),
            _td(esc(row.explains or "–"), f"t {why}".strip()),
        )
        rows.append(_row(cells))
    table = f'<div class="scroll"><table>{_head(names)}<tbody>{"".join(rows)}</tbody></table></div>'
    return f'<section id="comparison"><h2>Runs compared</h2>{table}</section>'


def _turn_row(record: TurnRecord, label: str) -> str:
    parts = record.breakdown.parts() if record.breakdown is not None else {}
    images = ", ".join(image.label for image in record.new_images)
    if record.ok:
        words = _td(esc(excerpt(record.reply, REPLY_EXCERPT_CHARS)), "t")
    else:
        words = _td(esc(record.error or "failed"), "t error")
    cells = [
        _td(esc(label), "t"),
        _td(fmt(record.turn)),
        _td(esc(record.started_at), "t"),
        _td(esc(record.status), "t status"),
        _td(fmt(record.prompt_tokens)),
        _td(fmt(record.cached_tokens)),
        _td(percent(record.cached_fraction)),
        _td(fmt(record.new_tokens)),
        _td(fmt(record.completion_tokens)),
        _td(fmt(record.new_image_tokens)),
        _td(fmt(record.images_in_request)),
        _td(fmt(record.ttft_s)),
        _td(esc(record.ttft_source or ""), "t"),
        _td(fmt(record.first_text_s)),
        _td(fmt(record.itl_p50_s)),
        _td(fmt(record.itl_p90_s)),
        _td(fmt(record.itl_max_s)),
        _td(fmt(record.decode_rate_tok_s, 1)),
        _td(fmt(record.e2e_s)),
        *(_td(fmt(parts.get(name))) for name in BREAKDOWN_PARTS),
        *(_td(fmt(None if record.http is None else getattr(record.http, f))) for f in HTTP_FIELDS),
        _td(esc(images), "t"),
        words,
    ]
    return _row(cells, "" if record.ok else "failed")


def _turns(records: Sequence[TurnRecord], labels: dict[str, str]) -> str:
    names = (
        "run",
        "turn",
        "started",
        "status",
        "context tokens",
        "cached tokens",
        "cached",
        "new tokens",
        "completion tokens",
        "new image tokens",
        "images in request",
        "TTFT (s)",
        "TTFT by",
        "first text (s)",
        "ITL p50 (s)",
        "ITL p90 (s)",
        "ITL max (s)",
        "decode (tok/s)",
        "e2e (s)",
        *(f"{name} (s)" for name in BREAKDOWN_PARTS),
        *(f"{name} (s)" for name in HTTP_NAMES),
        "new images",
        "reply / error",
    )
    groups = (
        '<tr><th colspan="19"></th>'
        f'<th class="group" colspan="{len(BREAKDOWN_PARTS)}">TTFT breakdown</th>'
        f'<th class="group" colspan="{len(HTTP_FIELDS)}">the request on its way</th>'
        '<th colspan="2"></th></tr>'
    )
    head = _head(names).replace("<thead>", "<thead>" + groups, 1)
    rows = "".join(_turn_row(record, labels[record.run_id]) for record in records)
    return (
        "<section><h2>Turns</h2>"
        f'<div class="scroll"><table>{head}<tbody>{rows}</tbody></table></div></section>'
    )


def _findings(
    runs: Sequence[Run], labels: Mapping[str, str], found: Mapping[str, Sequence[Finding]]
) -> str:
    """Returns the findings of each run: title, evidence, advice (model/findings.py)."""
    blocks = []
    for run in runs:
        listed = found[run.run_id]
        items = "".join(
            f'<li class="finding {esc(f.severity)}"><strong>{esc(f.title)}</strong>'
            f"<br><span>{esc(f.evidence)}</span><br><em>{esc(f.advice)}</em></li>"
            for f in listed
        )
        body = f"<ul>{items}</ul>" if listed else "<p>nothing stands out in these turns</p>"
        blocks.append(f"<h3>{esc(labels[run.run_id])}</h3>{body}")
    return f'<section id="findings"><h2>Findings</h2>{"".join(blocks)}</section>'


def html_report(
    records: Sequence[TurnRecord],
    title: str,
    meta: Mapping[str, str],
    facts: ServerFacts | None = None,
) -> str:
    """Returns the report as one HTML document; meta keys naming credentials are dropped.

    `facts` (the server's max_model_len, prefix caching, KV cache) let the findings
    say more; without them the rules that need them stay silent.
    """
    runs = group_runs(records)
    labels = run_labels(runs)
    found = run_findings(runs, facts or ServerFacts())
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{REPORT_CSS}</style></head>"
        f"<body><main>{_header(title, meta, records)}{_summary(runs)}"
        f"{_comparison(runs, labels, found)}{_findings(runs, labels, found)}"
        f"{_charts(runs, labels)}{_where_ttft_went(runs, labels)}"
        f"{_turns(records, labels)}</main></body></html>\n"
    )


def write_html_report(
    records: Sequence[TurnRecord],
    path: Path,
    title: str,
    meta: Mapping[str, str],
    facts: ServerFacts | None = None,
) -> Path:
    """Writes the report to `path` and returns `path`; raises ExportError on failure."""
    return write_text_file(path, html_report(records, title, meta, facts))
