"""The findings rules on turns built by hand: each fires on what it looks for, with the
numbers as evidence, and stays quiet on a healthy conversation."""

from __future__ import annotations

import dataclasses

from vlmconsole.model.finding_types import BAD, WARN, Conversation, Finding
from vlmconsole.model.findings import RULES, findings
from vlmconsole.model.server_findings import server_findings
from vlmconsole.model.turn_record import ImageInfo, TurnRecord
from vlmconsole.model.turn_timing import TtftBreakdown

IMAGE_TOKENS = 900


def sha(n: int) -> str:
    return f"{n:064x}"


def turn(
    n: int,
    policy: str = "none",
    images: int | None = None,
    cached: int | None = -1,
    label: str | None = None,
    digest: str | None = None,
    **fields: object,
) -> TurnRecord:
    """Turn n of a conversation growing IMAGE_TOKENS + 10 tokens a turn; under `none`
    the previous prompt is cached, as a healthy prefix cache would."""
    prompt = n * (IMAGE_TOKENS + 10)
    image = ImageInfo(label or f"shot-{n}.png", digest or sha(n), 1280, 720, 200_000)
    values: dict[str, object] = {
        "run_id": "r",
        "policy": policy,
        "turn": n,
        "started_at": "2026-12-01T10:00:00+00:00",
        "status": "ok",
        "model": "m",
        "transport": "base64",
        "new_images": (image,),
        "images_in_request": n if images is None else images,
        "prompt_tokens": prompt,
        "cached_tokens": (n - 1) * (IMAGE_TOKENS + 10) if cached == -1 else cached,
        "completion_tokens": 8,
        "ttft_s": 0.5,
        "decode_tok_s": 300.0,
    }
    values.update(fields)
    return TurnRecord(**values)  # type: ignore[arg-type]


def rules_fired(found: list[Finding]) -> list[str]:
    return [f.rule for f in found]


def test_a_partial_last_block_is_not_a_broken_prefix() -> None:
    # the real vLLM 0.32 CPU server (128-token blocks): turn 2 found 896 of turn 1's 948
    records = [turn(1, prompt_tokens=948, cached=0), turn(2, prompt_tokens=1863, cached=896)]
    assert findings(Conversation(records, block_size=128)) == []
    assert rules_fired(findings(Conversation(records, block_size=16))) == ["prefix-broken"]


def test_a_healthy_run_finds_only_what_its_numbers_support() -> None:
    records = [turn(n) for n in range(1, 7)]
    found = findings(Conversation(records, max_model_len=32_768, prefix_caching=True))
    # 6 turns of 910 tokens in 32,768: the budget is said, and only that
    assert rules_fired(found) == ["context-budget"]
    (budget,) = found
    assert budget.title == "turn 37 will not fit the 32,768-token context"  # 37 x 910 > 32,768
    assert "910 tokens a turn" in budget.evidence and budget.severity != WARN


def test_a_sliding_window_breaks_the_prefix_every_turn_after_it_filled() -> None:
    records = [turn(n, "slide:2", images=min(n, 2)) for n in (1, 2)]
    records += [turn(n, "slide:2", images=2, cached=40) for n in (3, 4)]
    found = [f for f in findings(Conversation(records)) if f.rule == "prefix-broken"]
    assert [f.turns for f in found] == [(3,), (4,)]
    first = found[0]
    assert first.title == "turn 3: the prefix cache missed 1,780 tokens it had"
    assert "the window slid (slide:2)" in first.evidence and "1,780 were" in first.evidence
    assert "chunk:N" in first.advice


def test_a_screenshot_with_other_bytes_is_named() -> None:
    records = [turn(1), turn(2), turn(3, label="shot-1.png", digest=sha(99), cached=100)]
    found = findings(Conversation(records))
    changed = [f for f in found if f.rule == "bytes-changed"]
    assert [f.turns for f in changed] == [(3,)] and "shot-1.png" in changed[0].title
    broken = [f for f in found if f.rule == "prefix-broken"]
    assert "other bytes" in broken[0].evidence, "the cause is told"


def shot(n: int, look: str, pixels: str, tokens: int = 863) -> ImageInfo:
    return ImageInfo("shot.png", sha(n), 1280, 720, 200_000, tokens, pixels, look)


def test_same_screen_other_pixels_is_a_cache_miss_other_screen_or_same_pixels_is_not() -> None:
    first = shot(1, "f0f0f0f0f0f0f0f0", "p1")
    resaved = shot(2, "f0f0f0f0f0f0f0f1", "p2")  # a JPEG re-save: one bit of the look moved
    lossless = shot(3, "f0f0f0f0f0f0f0f0", "p1")  # other bytes, the same pixels
    another = shot(4, "0f0f0f0f0f0f0f0f", "p4")  # another screen saved under the same name

    def fired(second: ImageInfo) -> list[Finding]:
        records = [turn(1, new_images=(first,)), turn(2, new_images=(second,))]
        return [f for f in findings(Conversation(records)) if f.rule == "bytes-changed"]

    (miss,) = fired(resaved)
    assert miss.title == "turn 2: shot.png came back with other pixels"
    assert "differ in 1 of 64 bits" in miss.evidence and "863 image tokens again" in miss.evidence
    assert fired(lossless) == [], "vLLM keys on pixels: the same pixels hit its caches"
    assert fired(another) == [], "a different picture is a new screen, not a miss"


def test_prefix_caching_off_and_missing_counts() -> None:
    records = [turn(n, cached=None) for n in (1, 2)]
    (off,) = [f for f in findings(Conversation(records, prefix_caching=False)) if f.severity == BAD]
    assert off.rule == "prefix-caching-off" and "--enable-prefix-caching" in off.advice
    found = rules_fired(findings(Conversation(records)))
    assert "no-cached-counts" in found and "prefix-broken" not in found


def test_the_context_budget_names_the_turn_that_fails_before_it_fails() -> None:
    records = [turn(n) for n in (1, 2, 3)]  # 910, 1,820, 2,730 tokens
    (budget,) = [f for f in findings(Conversation(records, max_model_len=5_000))]
    # 5,000 - 2,730 - 8 = 2,262 tokens: 2 more turns of 910 fit; turn 6 does not
    assert budget.title == "turn 6 will not fit the 5,000-token context"
    assert budget.severity == WARN and "2 more turn(s) fit" in budget.evidence
    assert findings(Conversation(records[:1], max_model_len=5_000)) == [], "two turns needed"


def test_decode_slowing_and_ttft_climbing_while_cached() -> None:
    records = [turn(n, decode_tok_s=300.0 - 40 * n, ttft_s=0.4 * n) for n in range(1, 5)]
    found = {f.rule: f for f in findings(Conversation(records))}
    assert "260 tok/s at 910 tokens" in found["decode-slows"].evidence
    per_image = found["ttft-per-image"]
    assert per_image.turns == (1, 4) and "uuid" in per_image.advice
    assert "75% of the last prompt was cached" in per_image.evidence


def test_preprocessing_that_dominates_points_at_the_transport() -> None:
    parts = TtftBreakdown(1.0, 0.4, 0.55, 0.0, 0.05)
    records = [turn(1, breakdown=parts, request_bytes=4_000_000)]
    found = {f.rule: f for f in findings(Conversation(records))}
    assert "0.550 s of 1.000 s" in found["preprocessing-dominates"].evidence
    assert "4,000,000 bytes sent" in found["bytes-cost"].evidence


def test_failed_turns_are_not_evidence_and_every_rule_has_an_id() -> None:
    failed = turn(2, status="failed", cached=0)
    assert findings(Conversation([turn(1), failed])) == []
    assert len({rule.id for rule in RULES}) == len(RULES)


def test_the_server_level_findings_read_its_stats() -> None:
    from tests.app.widget_hosts import v0_stats

    stats = v0_stats()  # the V0 fixture: 75% KV, 0.10 preemptions/s
    found = {f.rule: f for f in server_findings(stats)}
    assert (
        found["preemptions"].severity == BAD
        and "0.10 preemptions/s" in found["preemptions"].evidence
    )
    assert "kv-high" not in found, "75% is not full"
    full = dataclasses.replace(stats, kv_cache_usage=0.95, preemptions_per_s=0.0)
    found = {f.rule: f for f in server_findings(full)}
    assert found["kv-high"].title == "the KV cache is 95% full" and "preemptions" not in found


def test_kv_capacity_says_how_many_such_conversations_fit() -> None:
    records = [turn(n) for n in (1, 2)]  # 1,820 + 8 tokens at turn 2, growing 910 a turn
    found = {
        f.rule: f
        for f in findings(Conversation(records, max_model_len=32_768, kv_cache_tokens=100_000))
    }
    assert found["kv-capacity"].title == "54 conversation(s) like this fit the KV cache at once"
    assert found["kv-capacity"].severity == "info"
    small = {
        f.rule: f
        for f in findings(Conversation(records, max_model_len=32_768, kv_cache_tokens=5_000))
    }
    # (5,000 - 1,828) // 910 = 3 more turns: turn 6 alone overflows, long before the context
    assert small["kv-capacity"].title == "turn 6 alone would overflow the KV cache: preemptions"
    assert small["kv-capacity"].severity == WARN
    assert "--max-model-len 32,768 is larger than the KV cache" in small["kv-capacity"].advice


def test_queueing_behind_other_traffic_is_named() -> None:
    queued = TtftBreakdown(
        client_ttft_s=2.0,
        client_transport_s=0.05,
        preprocessing_s=0.2,
        queue_s=1.5,
        prefill_s=0.25,
    )
    found = {f.rule: f for f in findings(Conversation([turn(1, breakdown=queued)]))}
    assert found["queued"].evidence == "1 turn(s); turn 1: 1.500 s of 2.000 s queued"
    assert "--max-num-seqs" in found["queued"].advice


def test_newer_families_asleep_refused_and_waiting_for_kv_room() -> None:
    from tests.support.fixtures import history
    from vlmconsole.model.launch_config import launch_config
    from vlmconsole.model.server_stats import derive_stats

    stats = derive_stats(history(("vllm-0.32.0-rest", 0.0), ("vllm-0.32.0-after", 10.0)))
    assert stats.asleep is False and stats.waiting_by_reason == {"capacity": 0, "deferred": 0}
    assert stats.prompt_tokens_by_source["local_compute"] == 15612
    assert server_findings(stats) == [], "the real server at rest and after its turns: healthy"
    troubled = dataclasses.replace(
        stats,
        asleep=True,
        admission_rejections_total=12,
        admission_rejections_per_s=1.2,
        waiting_by_reason={"capacity": 3, "deferred": 0},
    )
    launch = launch_config(command=("vllm", "serve", "m", "--max-num-seqs", "8"))
    found = {f.rule: f for f in server_findings(troubled, launch)}
    assert found["engine-asleep"].severity == BAD
    assert found["admission-rejected"].evidence.startswith("1.20 rejections/s")
    assert found["waiting-for-kv"].title == "3 request(s) wait for room in the KV cache"
    assert "--max-num-seqs (now 8)" in found["waiting-for-kv"].advice, "the flag's current value"


def test_a_multimodal_cache_that_answers_no_query_while_images_go_is_off() -> None:
    records = [turn(n) for n in (1, 2)]
    (off,) = [
        f for f in findings(Conversation(records, mm_cache_queries=0)) if f.rule == "mm-cache-off"
    ]
    assert off.turns == (1, 2) and "--mm-processor-cache-gb" in off.advice
    assert not [
        f for f in findings(Conversation(records, mm_cache_queries=2)) if f.rule == "mm-cache-off"
    ]
    assert not [
        f
        for f in findings(Conversation(records[:1], mm_cache_queries=0))
        if f.rule == "mm-cache-off"
    ]
    assert not [f for f in findings(Conversation(records)) if f.rule == "mm-cache-off"], "not known"
