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


def test_polls_in_the_access_log_are_told_from_other_requests() -> None:
    from vlmconsole.views.log_lines import is_polling

    # lines as vLLM 0.32.0 wrote them while the console was attached
    for path in ("/metrics", "/health", "/load", "/version", "/v1/models"):
        assert is_polling(f'INFO:     127.0.0.1:59324 - "GET {path} HTTP/1.1" 200 OK')
    assert not is_polling('INFO:     127.0.0.1:59330 - "POST /v1/chat/completions HTTP/1.1" 200 OK')
    assert not is_polling("INFO 12-01 09:40:01 [loggers.py:123] Engine 000: Avg prompt throughput")
    assert not is_polling('INFO:     127.0.0.1:5 - "GET /metricsx HTTP/1.1" 404 Not Found')
