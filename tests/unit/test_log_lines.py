"""Classifying vLLM log lines for the logs pane."""

from __future__ import annotations

import pytest

from vlmconsole.views.log_lines import log_kind, matches


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("(EngineCore pid=1) ERROR 11-24 23:17:32 [core.py:1510] EngineCore failed", "error"),
        ("WARNING 11-24 [system_utils.py:255] Found ulimit of 20000", "warning"),
        ("WARNING 11-24 Sequence group 3 is preempted by PreemptionMode.RECOMPUTE", "preempt"),
        ("INFO 11-24 [kv_cache_utils.py:1087] GPU KV cache size: 2,097,152 tokens", "kv"),
        ("INFO 11-24 Application startup complete.", None),
    ],
)
def test_kinds(line: str, kind: str | None) -> None:
    assert log_kind(line) == kind


def test_filter_is_case_insensitive_and_empty_matches_all() -> None:
    assert matches("GPU KV cache size", "kv cache") and matches("anything", "")
    assert not matches("Application startup complete.", "error")
