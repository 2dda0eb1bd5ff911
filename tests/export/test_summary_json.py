"""summary.json (and `bench --json`): each run's figures and findings, the runs compared,
no credentials, outside text cleaned."""

from __future__ import annotations

import json

from tests.unit.test_findings import turn
from vlmconsole.export.summary_json import summary_document, summary_json
from vlmconsole.model.finding_types import ServerFacts


def runs() -> list:  # type: ignore[type-arg]
    healthy = [turn(n, ttft_s=0.5, run_id="a") for n in (1, 2, 3)]
    slid = [turn(1, "slide:1", images=1, ttft_s=0.5, run_id="b")] + [
        turn(n, "slide:1", images=1, cached=0, ttft_s=1.5, run_id="b") for n in (2, 3)
    ]
    return healthy + slid


def test_runs_findings_and_the_comparison() -> None:
    facts = ServerFacts(max_model_len=4_000, prefix_caching=True, block_size=16)
    document = json.loads(summary_json(runs(), "bench", {"server": "s"}, facts))
    assert document["version"] == 1 and document["server"]["max_model_len"] == 4_000
    assert [r["run"] for r in document["runs"]] == ["none", "slide:1"]
    none, slide = document["runs"]
    assert none["turns_ok"] == 3 and none["mean_ttft_s"] == 0.5
    # the facts reach the rules: 4,000 tokens hold turn 4 of none's growth, not turn 5
    budget = next(f for f in none["findings"] if f["rule"] == "context-budget")
    assert budget["title"] == "turn 5 will not fit the 4,000-token context", budget
    assert [f["turns"] for f in slide["findings"] if f["rule"] == "prefix-broken"] == [[2], [3]]
    explained = {row["run"]: row["explains_rule"] for row in document["comparison"]}
    assert explained == {"none": None, "slide:1": "prefix-broken"}


def test_no_credential_and_no_control_character() -> None:
    meta = {"server": "s\x1b[31m", "api_key": "sk-live-123"}
    text = summary_json(runs(), "t\x1b]0;x\x07", meta, ServerFacts())
    assert "sk-live-123" not in text and "api_key" not in text
    assert "\\u001b" not in text and "\x1b" not in text
    assert summary_document(runs(), "t", meta, ServerFacts())["meta"] == {"server": "s"}
