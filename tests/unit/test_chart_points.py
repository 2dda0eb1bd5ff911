"""The trend charts' points: TTFT and decode rate against context, from finished turns."""

from __future__ import annotations

import dataclasses

from tests.support.fixtures import real_journal
from vlmconsole.model.chart_points import chart_points

JOURNAL = real_journal()


def test_real_turns_give_client_and_server_points_sorted_by_context() -> None:
    newest_first = list(reversed(JOURNAL))
    points = chart_points(newest_first)
    assert [x for x, _ in points.client_ttft] == [948.0, 1863.0, 2778.0]
    assert [y for _, y in points.client_ttft] == [r.ttft_s for r in JOURNAL]
    assert [y for _, y in points.server_ttft] == [r.server.ttft_s for r in JOURNAL if r.server]
    assert [y for _, y in points.decode] == [r.server_decode_tok_s for r in JOURNAL]
    assert points.decode_source == "server" and not points.empty


def test_failed_turns_and_turns_without_a_context_size_give_no_point() -> None:
    failed = dataclasses.replace(JOURNAL[0], status="failed", error="400 from the server: no")
    unsized = dataclasses.replace(JOURNAL[1], prompt_tokens=None)
    points = chart_points([failed, unsized, JOURNAL[2]])
    assert [x for x, _ in points.client_ttft] == [2778.0]
    assert len(points.server_ttft) == 1 and len(points.decode) == 1
    assert chart_points([failed, unsized]).empty


def test_the_servers_decode_rate_is_preferred_and_the_source_says_whose() -> None:
    client_only = dataclasses.replace(JOURNAL[1], server_decode_tok_s=None, server=None)
    points = chart_points([JOURNAL[0], client_only])
    assert points.decode == [(948.0, JOURNAL[0].server_decode_tok_s), (1863.0, 427.4593503249431)]
    assert points.decode_source == "server/client"
    assert len(points.server_ttft) == 1, "no server timing, no server point"
    neither = dataclasses.replace(client_only, decode_tok_s=None)
    assert chart_points([neither]).decode == [] and chart_points([neither]).decode_source == ""
