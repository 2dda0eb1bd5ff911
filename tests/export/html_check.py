"""A small HTML reader for the report tests: nesting, <svg> count, table rows."""

from __future__ import annotations

from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


class ReportReader(HTMLParser):
    """Reads a document, noting badly nested tags, <svg> elements and table cells."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.problems: list[str] = []
        self.svgs = 0
        self.tags: set[str] = set()
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.svgs += tag == "svg"
        if tag == "tr" and "svg" not in self.open:
            self.rows.append([])
        if tag in ("td", "th") and "svg" not in self.open:
            self._cell = []
        if tag not in VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1] != tag:
            self.problems.append(f"</{tag}> closes <{self.open[-1] if self.open else ''}>")
            return
        self.open.pop()
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def read_report(text: str) -> ReportReader:
    """Returns the reader after the whole document, closed."""
    reader = ReportReader()
    reader.feed(text)
    reader.close()
    return reader


def turn_rows(reader: ReportReader) -> list[dict[str, str]]:
    """Returns the per-turn table's rows by column heading."""
    header_at = next(n for n, row in enumerate(reader.rows) if "prefill (s)" in row)
    header = reader.rows[header_at]
    return [dict(zip(header, row, strict=True)) for row in reader.rows[header_at + 1 :]]


def summary_rows(reader: ReportReader) -> list[dict[str, str]]:
    """Returns the runs table's rows by column heading."""
    header_at = next(n for n, row in enumerate(reader.rows) if "turns failed" in row)
    header = reader.rows[header_at]
    rows = []
    for row in reader.rows[header_at + 1 :]:
        if len(row) != len(header) or row[0] == header[0]:  # the next table's heading
            break
        rows.append(dict(zip(header, row, strict=True)))
    return rows
