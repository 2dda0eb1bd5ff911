"""A turn's record derived from its measurements: timings, the server's side, image costs.

The real journal's three turns (a bench against the real vLLM CPU server) are turned
back into what the engine measured, then derived again; the real /metrics pages are
the scrapes around the turns.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import pytest

from tests.support.fixtures import metrics_page, real_journal, snapshot
from vlmconsole.model.snapshot import parse_metrics
from vlmconsole.model.turn_measurement import (
    PROMPT_GROWTH,
    SERVER_COUNTED,
    ChatOutcome,
    ServerScrapes,
    TurnLabels,
    TurnRequest,
    ended_outcome,
    image_tokens,
    learned_image_tokens,
    turn_record,
    unsent_record,
)
from vlmconsole.model.turn_record import RECORD_VERSION, ImageInfo, TurnRecord, to_json
from vlmconsole.model.turn_status import CANCELLED
from vlmconsole.model.turn_timing import ServerTiming, StreamTimes, Usage

REST = "vllm-0.32.0-rest"
"""The real server's page before any request."""
PER_REQUEST_METRICS = {
    "time_to_first_token_ms": 868.7,
    "generation_time_ms": 36.6,
    "queue_time_ms": 0.25,
}
"""What vLLM's --enable-per-request-metrics puts in the last chunk."""

_SAMPLE = re.compile(r"^vllm:(\w+?)_(bucket|count|sum)\{([^}]*)\} (\S+)$")
_PROMPT_TOKENS = re.compile(r"^(vllm:prompt_tokens_total\{[^}]*\}) (\S+)$")


def one_request_later(page: str, server: ServerTiming, prompt_tokens: int) -> str:
    """Returns the /metrics page after one more request, counted as vLLM counts it:
    each per-request histogram observes the request's seconds; the prompt tokens add up."""
    assert server.prefill_s is not None and server.decode_s is not None
    seconds = {
        "e2e_request_latency_seconds": server.ttft_s + server.decode_s,
        "time_to_first_token_seconds": server.ttft_s,
        "request_queue_time_seconds": server.queue_s,
        "request_prefill_time_seconds": server.prefill_s,
        "request_decode_time_seconds": server.decode_s,
    }
    lines = []
    for line in page.split("\n"):
        sample, prompt = _SAMPLE.match(line), _PROMPT_TOKENS.match(line)
        if prompt is not None:
            line = f"{prompt[1]} {float(prompt[2]) + prompt_tokens}"
        elif sample is not None and sample[1] in seconds:
            observed, value = seconds[sample[1]], float(sample[4])
            le = re.search(r'le="([^"]+)"', sample[3])
            if sample[2] == "sum":
                value += observed
            elif sample[2] == "count" or (le is not None and observed <= float(le[1])):
                value += 1
            line = f"{line.rsplit(' ', 1)[0]} {value}"
        lines.append(line)
    return "\n".join(lines)


def measured(record: TurnRecord) -> tuple[TurnLabels, TurnRequest, ChatOutcome]:
    """Returns what the engine measured for a journaled turn: its clock readings from the
    client's timings (sent at 0 s), the usage vLLM reported, the images it sent."""
    assert record.ttft_s is not None and record.e2e_s is not None
    assert record.decode_tok_s is not None and record.completion_tokens is not None
    assert record.prompt_tokens is not None
    last = record.ttft_s + (record.completion_tokens - 1) / record.decode_tok_s
    times = StreamTimes(0.0, record.ttft_s, last, record.e2e_s, record.completion_tokens)
    usage = Usage(
        record.prompt_tokens,
        record.completion_tokens,
        record.cached_tokens,
        record.image_tokens_in_request,
    )
    labels = TurnLabels(
        record.run_id,
        record.policy,
        record.turn,
        record.started_at,
        record.model,
        record.transport,
    )
    new = tuple(dataclasses.replace(image, tokens=None) for image in record.new_images)
    # under policy `none` every earlier turn's image goes out again, oldest first
    sent = tuple(image.sha256 for turn in JOURNAL[: record.turn] for image in turn.new_images)
    request = TurnRequest(new, sent, record.prep_s or 0.0)
    outcome = ChatOutcome(times, usage, record.reply, record.request_bytes, None)
    return labels, request, outcome


def assert_same(derived: Any, journaled: Any, where: str = "record") -> None:
    """Fails on the first field where two records (as JSON) differ; floats to 1e-9."""
    if isinstance(journaled, dict):
        assert isinstance(derived, dict) and derived.keys() == journaled.keys(), where
        for key in journaled:
            assert_same(derived[key], journaled[key], f"{where}.{key}")
    elif isinstance(journaled, list):
        assert isinstance(derived, list) and len(derived) == len(journaled), where
        for n, (a, b) in enumerate(zip(derived, journaled, strict=True)):
            assert_same(a, b, f"{where}[{n}]")
    elif isinstance(journaled, float):
        assert derived == pytest.approx(journaled, rel=1e-9, abs=1e-12), where
    else:
        assert derived == journaled, where


JOURNAL = real_journal()


def test_three_real_vllm_turns_derive_the_records_the_engine_journaled() -> None:
    page = metrics_page(REST)
    known: dict[str, int] = {}
    last_ok: TurnRecord | None = None
    for journaled in JOURNAL:
        assert journaled.server is not None and journaled.prompt_tokens is not None
        after = one_request_later(page, journaled.server, journaled.prompt_tokens)
        scrapes = ServerScrapes(parse_metrics(page, 0.0), parse_metrics(after, 2.0))
        labels, request, outcome = measured(journaled)
        derived = turn_record(labels, request, outcome, scrapes, known, last_ok)
        # journaled as version 1: what version 2 adds is what content-timed chunks give
        # (no usage per chunk then: no token counts, no ITL spread, no first text of its own);
        # version 3 counts the tokens a KV connector supplied (none here: 0, not unknown)
        expected = {
            **to_json(journaled),
            "version": RECORD_VERSION,
            "ttft_source": "content",
            "external_kv_tokens": 0,
        }
        assert_same(to_json(derived), expected)
        known.update(learned_image_tokens(derived))
        page, last_ok = after, derived
    assert list(known.values()) == [863, 863, 863]
    assert last_ok is not None and last_ok.breakdown is not None
    assert sum(last_ok.breakdown.parts().values()) == pytest.approx(0.6250635520000287)


def first_turn(**change: Any) -> tuple[TurnLabels, TurnRequest, ChatOutcome]:
    """Returns the first real turn's measurements, with `change` made to its outcome."""
    labels, request, outcome = measured(JOURNAL[0])
    return labels, request, dataclasses.replace(outcome, **change)


def around_first_turn() -> ServerScrapes:
    """Returns the real idle page and the page once the first real turn was counted."""
    turn = JOURNAL[0]
    assert turn.server is not None and turn.prompt_tokens is not None
    after = one_request_later(metrics_page(REST), turn.server, turn.prompt_tokens)
    return ServerScrapes(snapshot(REST, 0.0), parse_metrics(after, 2.0))


def test_other_requests_between_the_scrapes_are_named_not_mixed_in() -> None:
    # the real server finished six concurrent requests between these two pages
    scrapes = ServerScrapes(snapshot(REST, 0.0), snapshot("vllm-0.32.0-after", 9.0))
    record = turn_record(*first_turn(), scrapes, {}, None)
    assert record.ok and record.server is None and record.breakdown is None
    assert record.server_note is not None and "other requests were in flight" in record.server_note
    assert record.server_decode_tok_s is None and record.ttft_s == pytest.approx(0.75966877)


def test_a_server_without_the_per_request_histograms_says_so() -> None:
    scrapes = ServerScrapes(snapshot("vllm-v1-0.9-t0", 0.0), snapshot("vllm-v1-0.9-t1", 10.0))
    record = turn_record(*first_turn(), scrapes, {}, None)
    assert record.server is None
    assert record.server_note == "the server does not export the per-request histograms"


def test_per_request_metrics_win_but_the_breakdown_needs_the_histograms() -> None:
    record = turn_record(
        *first_turn(request_metrics=PER_REQUEST_METRICS), around_first_turn(), {}, None
    )
    assert record.server == ServerTiming(0.8687, 0.00025, None, 0.0366, "per-request metrics")
    assert record.server_decode_tok_s == pytest.approx(15 / 0.0366)
    assert record.breakdown is not None, "from the histogram deltas, which have prefill"
    assert record.breakdown.prefill_s == pytest.approx(0.3063015910001923)
    alone = turn_record(*first_turn(request_metrics=PER_REQUEST_METRICS), ServerScrapes(), {}, None)
    assert alone.server is not None and alone.breakdown is None and alone.server_note is None


def test_without_scrapes_the_reason_is_the_records_note() -> None:
    scrapes = ServerScrapes(note="the server's /metrics could not be read (timed out)")
    record = turn_record(*first_turn(), scrapes, {}, None)
    assert record.server is None and record.breakdown is None
    assert record.server_note == "the server's /metrics could not be read (timed out)"
    assert record.decode_tok_s == pytest.approx(6125.624303856206), "the client's side stays"


def test_a_refused_turn_is_failed_and_teaches_no_image_cost() -> None:
    refused = "400 from the server: At most 8 image(s) may be provided in one prompt."
    times = StreamTimes(0.0, None, None, 0.02, 0)
    outcome = first_turn(times=times, usage=None, reply="", error=refused)
    record = turn_record(*outcome, around_first_turn(), {}, None)
    assert record.status == "failed" and record.error == refused
    assert record.ttft_s is None and record.decode_tok_s is None and record.e2e_s == 0.02
    assert record.prompt_tokens is None and record.new_images[0].tokens is None
    assert record.server is None and learned_image_tokens(record) == {}


def test_a_turn_that_failed_after_its_usage_teaches_no_image_cost() -> None:
    outcome = first_turn(error="the server failed the turn mid-stream: boom")
    record = turn_record(*outcome, ServerScrapes(), {}, None)
    assert record.status == "failed" and record.new_images[0].tokens == 863
    assert learned_image_tokens(record) == {}


def test_a_cancelled_turn_keeps_the_words_heard_and_its_status() -> None:
    outcome = ended_outcome(5.0, 6.5, ["The ", "screen "], CANCELLED, "cancelled by the user")
    labels, request, _ = first_turn()
    record = turn_record(labels, request, outcome, ServerScrapes(), {}, None)
    assert record.status == CANCELLED and record.error == "cancelled by the user"
    assert record.reply == "The screen " and record.e2e_s == 1.5 and record.ttft_s is None
    assert not record.ok and record.completion_tokens is None


def test_image_costs_from_the_server_count_less_the_images_already_known() -> None:
    second = JOURNAL[1]
    _, request, outcome = measured(second)
    first_id = JOURNAL[0].new_images[0].sha256
    costs = image_tokens(outcome.usage, request, {first_id: 863}, None)
    assert costs == ({second.new_images[0].sha256: 863}, SERVER_COUNTED)
    # the first image's cost unknown: the second's cannot be told apart from it
    assert image_tokens(outcome.usage, request, {}, None) == (None, SERVER_COUNTED)


def test_without_the_servers_count_one_new_image_costs_the_prompts_growth() -> None:
    second = JOURNAL[1]
    _, request, outcome = measured(second)
    assert outcome.usage is not None
    usage = dataclasses.replace(outcome.usage, image_tokens=None)
    grown = 1863 - 948 - 16  # this prompt, less the last prompt and its reply
    assert image_tokens(usage, request, {}, JOURNAL[0]) == (
        {second.new_images[0].sha256: grown},
        PROMPT_GROWTH,
    )
    assert image_tokens(usage, request, {}, None) == (None, None), "no turn to grow from"
    two = dataclasses.replace(
        request, new_images=(*request.new_images, ImageInfo("b", "b", 1, 1, 1))
    )
    assert image_tokens(usage, two, {}, JOURNAL[0]) == (None, None), "two images: no split"
    labels, _, _ = measured(second)
    grown_outcome = dataclasses.replace(outcome, usage=usage)
    record = turn_record(labels, request, grown_outcome, ServerScrapes(), {}, JOURNAL[0])
    assert record.new_image_tokens == grown and record.image_tokens_source == PROMPT_GROWTH


def test_a_turn_that_could_not_be_sent_keeps_its_words_and_error() -> None:
    labels = TurnLabels("r", "slide:4", 7, "2026-11-24T23:44:18.359+00:00", "m", "url")
    record = unsent_record(labels, "see this", "shot.png: the file is empty")
    assert (record.run_id, record.policy, record.turn, record.transport) == (
        "r",
        "slide:4",
        7,
        "url",
    )
    assert record.status == "failed" and record.error == "shot.png: the file is empty"
    assert record.extra == {"text": "see this"} and record.reply == ""
    assert record.ttft_s is None and record.new_images == () and record.images_in_request == 0


def test_tokens_a_kv_connector_supplied_are_counted_for_the_turn_alone() -> None:
    turn = JOURNAL[0]
    assert turn.server is not None and turn.prompt_tokens is not None
    after = one_request_later(metrics_page(REST), turn.server, turn.prompt_tokens)
    line = re.compile(
        r"(vllm:prompt_tokens_by_source_total\{[^}]*external_kv_transfer[^}]*\}) 0\.0"
    )
    assert line.search(after), "the real page counts tokens by source"
    lmcache = line.sub(r"\1 512.0", after)
    scrapes = ServerScrapes(snapshot(REST, 0.0), parse_metrics(lmcache, 2.0))
    assert turn_record(*first_turn(), scrapes, {}, None).external_kv_tokens == 512
    assert turn_record(*first_turn(), around_first_turn(), {}, None).external_kv_tokens == 0
    mixed = ServerScrapes(snapshot(REST, 0.0), snapshot("vllm-0.32.0-after", 9.0))
    assert turn_record(*first_turn(), mixed, {}, None).external_kv_tokens is None, "not alone"
