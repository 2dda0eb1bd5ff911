"""`vlmconsole bench` against the real vLLM server: what the server really does per policy."""

from __future__ import annotations

import csv
import json
import statistics
from pathlib import Path

import pytest

from tests.support.cli import vlmconsole
from tests.support.real_vllm import RealVllmServer
from vlmconsole.model.turn_record import TurnRecord
from vlmconsole.sources.journal import read_journal

pytestmark = pytest.mark.e2e

TURNS = 16
IMAGE_TOKENS = 863  # a 1280x720 screenshot on the test model, measured


def prompt_tokens_total(server: RealVllmServer) -> float:
    done = vlmconsole("status", f":{server.port}", "--json", "--sample", "0", server=server)
    assert done.returncode == 0, done.stderr
    return float(json.loads(done.stdout)["scopes"][0]["prompt_tokens_total"])


@pytest.fixture(scope="module")
def bench_run(
    vllm_server: RealVllmServer, tmp_path_factory: pytest.TempPathFactory
) -> tuple[dict[str, list[TurnRecord]], Path, float, str]:
    out = tmp_path_factory.mktemp("bench")
    before = prompt_tokens_total(vllm_server)
    done = vlmconsole(
        "bench",
        f":{vllm_server.port}",
        "--synthetic",
        "1280x720",
        "--turns",
        str(TURNS),
        "--policy",
        "none,slide:4,chunk:4",
        "--max-tokens",
        "8",
        "--out",
        str(out),
        server=vllm_server,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    delta = prompt_tokens_total(vllm_server) - before
    contents = read_journal(out / "journal.jsonl")
    assert contents.skipped == ()
    runs: dict[str, list[TurnRecord]] = {}
    for record in contents.records:
        runs.setdefault(record.policy, []).append(record)
    return runs, out, delta, done.stdout


def cached(records: list[TurnRecord]) -> list[int]:
    return [r.cached_tokens or 0 for r in records]


def test_every_turn_finished_and_the_server_counted_every_prompt_token(
    bench_run: tuple[dict[str, list[TurnRecord]], Path, float, str],
) -> None:
    runs, _out, delta, _stdout = bench_run
    records = [r for run in runs.values() for r in run]
    assert sorted(runs) == ["chunk:4", "none", "slide:4"]
    assert all(len(run) == TURNS for run in runs.values())
    assert all(r.ok for r in records), [r.error for r in records if not r.ok]
    assert delta == sum(r.prompt_tokens or 0 for r in records)
    # each turn's own check: its histogram view is only kept when the server's
    # prompt_tokens_total rose by exactly this turn's prompt tokens
    assert all(r.server is not None and r.server.source == "histogram deltas" for r in records), [
        r.server_note for r in records if r.server is None
    ]


def test_every_token_is_timed_no_turn_without_a_ttft(
    bench_run: tuple[dict[str, list[TurnRecord]], Path, float, str],
) -> None:
    # before: 9 of 30 turns of this random-weight model had no TTFT and decode rates of
    # 10,000 tok/s, their first tokens rendering no text
    runs, out, _delta, _stdout = bench_run
    records = [r for run in runs.values() for r in run]
    assert all(r.ttft_s is not None and r.ttft_source == "usage" for r in records), [
        (r.policy, r.turn, r.ttft_s, r.ttft_source) for r in records
    ]
    assert all(r.itl_p50_s is not None and r.itl_max_s is not None for r in records)
    ratios = []
    for record in records:
        assert record.decode_tok_s is not None and record.server_decode_tok_s is not None
        ratios.append(record.decode_tok_s / record.server_decode_tok_s)
    # a turn's chunks can arrive in one burst (after the scrape before it; seen: 35,534
    # tok/s by the client, 363 by the server): the receipts prefer the server's rate,
    # and the client's, counted by tokens, agree with it over the run
    assert 0.67 < statistics.median(ratios) < 1.5, sorted(ratios)
    with (out / "turns.csv").open() as file:
        rows = list(csv.DictReader(file))
    assert {row["ttft_source"] for row in rows} == {"usage"} and all(r["itl_p90_s"] for r in rows)


def test_each_screenshot_costs_what_the_server_says(
    bench_run: tuple[dict[str, list[TurnRecord]], Path, float, str],
) -> None:
    runs, *_ = bench_run
    for record in runs["none"]:
        assert record.new_image_tokens == IMAGE_TOKENS
        assert record.image_tokens_source == "server"
        assert record.images_in_request == record.turn


def test_cached_tokens_rise_turn_by_turn_with_no_window(
    bench_run: tuple[dict[str, list[TurnRecord]], Path, float, str],
) -> None:
    hits = cached(bench_run[0]["none"])
    assert all(later > earlier for earlier, later in zip(hits, hits[1:], strict=False)), hits
    # each turn hits (nearly) the whole previous prompt
    prompts = [r.prompt_tokens or 0 for r in bench_run[0]["none"]]
    assert all(hits[t] > 0.9 * prompts[t - 1] for t in range(1, TURNS))


def test_a_sliding_window_breaks_the_prefix_cache_once_full(
    bench_run: tuple[dict[str, list[TurnRecord]], Path, float, str],
) -> None:
    run = bench_run[0]["slide:4"]
    hits = cached(run)
    assert all(hits[t] > 0 for t in range(1, 4)), "filling the window still hits"
    assert all(hits[t] < IMAGE_TOKENS for t in range(4, TURNS)), hits
    assert all(r.images_in_request == 4 for r in run[4:])


def test_chunked_dropping_keeps_hits_between_drops(
    bench_run: tuple[dict[str, list[TurnRecord]], Path, float, str],
) -> None:
    run = bench_run[0]["chunk:4"]
    hits = cached(run)
    drops = [t for t in range(5, TURNS + 1) if t % 2 == 1]  # turns 5, 7, 9, ...
    between = [t for t in range(6, TURNS + 1) if t % 2 == 0]
    assert all(hits[t - 1] < IMAGE_TOKENS for t in drops), hits
    assert all(hits[t - 1] > 2 * IMAGE_TOKENS for t in between), hits
    assert [r.images_in_request for r in run[4:8]] == [3, 4, 3, 4]


def test_ttft_breakdown_adds_up_to_the_client_ttft(
    bench_run: tuple[dict[str, list[TurnRecord]], Path, float, str],
) -> None:
    for record in (r for run in bench_run[0].values() for r in run):
        parts = record.breakdown
        assert parts is not None and record.ttft_s is not None
        assert abs(sum(parts.parts().values()) - record.ttft_s) <= 0.05 * record.ttft_s
        assert parts.client_transport_s >= 0, "the server cannot take longer than the client saw"
        assert parts.preprocessing_s >= 0 and parts.prefill_s > 0


def test_exports_and_summary_are_written(
    bench_run: tuple[dict[str, list[TurnRecord]], Path, float, str],
) -> None:
    _runs, out, _delta, stdout = bench_run
    with (out / "turns.csv").open() as file:
        rows = list(csv.DictReader(file))
    assert len(rows) == 3 * TURNS
    report = (out / "report.html").read_text()
    assert report.count("<svg") == 3 and "slide:4" in report
    assert "data:image" not in (out / "turns.csv").read_text() + report, "no image bytes exported"
    for policy in ("none", "slide:4", "chunk:4"):
        assert f"{policy}: {TURNS} of {TURNS} turns finished" in stdout
    assert "TTFT will be about" in stdout
    from tests.conftest import E2E_API_KEY

    for path in out.iterdir():
        assert E2E_API_KEY not in path.read_text(errors="replace"), f"the key leaked into {path}"
    assert E2E_API_KEY not in stdout
