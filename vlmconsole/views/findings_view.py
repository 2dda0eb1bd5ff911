"""Findings as text: the title with its severity, then the evidence and the advice."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text

from vlmconsole.model.finding_types import BAD, WARN, Finding
from vlmconsole.views.safe_text import plain

MARKS = {BAD: ("✖", "bold red"), WARN: ("▲", "yellow"), "info": ("●", "cyan")}
"""A finding's mark and style by severity."""


def finding_text(finding: Finding, indent: str = "  ") -> Text:
    """Returns one finding as three lines: mark and title, evidence, advice."""
    mark, style = MARKS.get(finding.severity, ("●", ""))
    out = Text(f"{indent}{mark} ", style=style)
    out.append_text(plain(finding.title, "bold"))
    out.append(f"\n{indent}  ")
    out.append_text(plain(finding.evidence, "dim"))
    out.append(f"\n{indent}  → ")
    out.append_text(plain(finding.advice))
    return out


def findings_text(found: Sequence[Finding], heading: str, limit: int = 8) -> Text:
    """Returns a run's findings under `heading`, at most `limit` (the rest counted)."""
    out = Text(heading, style="bold")
    if not found:
        out.append("\n  nothing stands out in these turns", style="dim")
        return out
    for finding in found[:limit]:
        out.append("\n")
        out.append_text(finding_text(finding))
    if len(found) > limit:
        out.append(f"\n  … and {len(found) - limit} more like these", style="dim")
    return out
