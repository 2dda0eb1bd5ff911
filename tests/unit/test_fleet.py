"""The fleet's query, rows, totals, sorting and filtering (model/fleet*.py)."""

from __future__ import annotations

import math

import pytest

from vlmconsole.model.fleet_queries import (
    COLUMN_LABEL,
    FleetQuery,
    FleetQueryError,
    check_match,
    check_window,
)
from vlmconsole.model.fleet_rows import (
    FilterError,
    FleetRow,
    PromSample,
    RowFilter,
    Target,
    fleet_rows,
    fleet_totals,
    sorted_rows,
)
from vlmconsole.views.fleet_view import cells, fleet_dict, totals_line


def sample(instance: str, column: str, value: float, **labels: str) -> PromSample:
    return PromSample({"instance": instance, "job": "vllm", COLUMN_LABEL: column, **labels}, value)


def target(instance: str, health: str = "up", error: str = "") -> Target:
    return Target(instance, "vllm", health, f"http://{instance}/metrics", error)


def test_one_query_holds_every_column_with_every_name_vllm_used() -> None:
    query = FleetQuery(window="30s", match='job="vllm"').combined()
    # both KV names (V1 and V0), each under the match, and the window in every rate
    assert 'max by (instance, job) (vllm:kv_cache_usage_perc{job="vllm"})' in query
    assert 'max by (instance, job) (vllm:gpu_cache_usage_perc{job="vllm"})' in query
    assert 'rate(vllm:prompt_tokens_total{job="vllm"}[30s])' in query
    assert "vllm:time_per_output_token_seconds_bucket" in query  # V0's ITL
    assert "histogram_quantile(0.9, sum by (instance, job, le)" in query
    for column in ("kv_cache_usage", "ttft_p90_s", "itl_p90_s", "seen", "model", "cache"):
        assert f'"{COLUMN_LABEL}", "{column}"' in query
    assert query.count("[") == query.count("]")
    assert query.count("(") == query.count(")")


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ('job="vllm"', 'job="vllm"'),
        ('{job="vllm", env=~"prod.*"}', 'job="vllm",env=~"prod.*"'),
        ('team!="a,b"', 'team!="a,b"'),
        ("", ""),
    ],
)
def test_label_matchers_are_kept_as_promql(given: str, kept: str) -> None:
    assert check_match(given) == kept


@pytest.mark.parametrize("bad", ["job=vllm", 'job="vllm" or 1', '"x"="y"', "job"])
def test_a_label_match_prometheus_would_refuse_is_named(bad: str) -> None:
    with pytest.raises(FleetQueryError, match="is not a label matcher"):
        check_match(bad)


def test_a_window_that_is_no_duration_is_refused() -> None:
    assert check_window("1h30m") == "1h30m"
    with pytest.raises(FleetQueryError, match="not a PromQL duration"):
        check_window("60")


def test_rows_from_the_answer_and_the_targets() -> None:
    answer = [
        sample("a:1", "seen", 1),
        sample("a:1", "kv_cache_usage", 0.42),
        sample("a:1", "running", 3),
        sample("a:1", "ttft_p90_s", math.nan),  # no request in the window
        sample("a:1", "model", 1, model_name="qwen"),
        sample("a:1", "cache", 1, enable_prefix_caching="False", kv_cache_size_tokens="5120"),
        sample("b:2", "seen", 1),
        sample("b:2", "preemptions_per_s", 0.5),
        sample("c:3", "running", 1),  # never seen exporting vllm:num_requests_running
    ]
    targets = [target("a:1"), target("b:2", "down", "connection refused")]
    rows = fleet_rows(answer, targets, known=[("gone:9", "vllm")])
    assert [r.instance for r in rows] == ["a:1", "b:2", "gone:9"]
    a, b, gone = rows
    assert (a.health, a.kv_cache_usage, a.running, a.ttft_p90_s) == ("up", 0.42, 3, None)
    assert a.models == ("qwen",) and a.kv_capacity is not None
    assert a.kv_capacity.capacity_tokens == 5120
    assert [f.rule for f in a.findings] == ["prefix-caching-off"]
    assert (b.health, b.health_detail, b.findings) == ("down", "connection refused", ())
    assert gone.health == "gone" and gone.scrape_url is None


def test_server_rules_read_a_fleet_row_as_they_read_status() -> None:
    answer = [
        sample("a:1", "seen", 1),
        sample("a:1", "preemptions_per_s", 0.25),
        sample("a:1", "kv_cache_usage", 0.95),
        sample("a:1", "waiting_for_kv", 2),
        sample("a:1", "awake", 0),
        sample("a:1", "admission_rejections_per_s", 1.5),
    ]
    (row,) = fleet_rows(answer, [target("a:1")])
    rules = [f.rule for f in row.findings]
    assert rules == [
        "engine-asleep",
        "admission-rejected",
        "preemptions",
        "waiting-for-kv",
        "kv-high",
    ]
    evidence = {f.rule: f.evidence for f in row.findings}
    assert evidence["preemptions"] == "0.25 preemptions/s at 95% KV-cache usage"
    assert evidence["admission-rejected"] == "1.50 rejections/s"


def rows_for_sorting() -> list[FleetRow]:
    return [
        FleetRow("b:1", "vllm", "up", "up", kv_cache_usage=0.9, running=1),
        FleetRow("a:1", "vllm", "up", "up", kv_cache_usage=0.1, running=4),
        FleetRow("c:1", "vllm", "down", "refused"),
    ]


def test_sorting_puts_rows_without_a_value_last_either_way() -> None:
    rows = rows_for_sorting()
    assert [r.instance for r in sorted_rows(rows, "kv_cache_usage")] == ["a:1", "b:1", "c:1"]
    up = sorted_rows(rows, "kv_cache_usage", descending=True)
    assert [r.instance for r in up] == ["b:1", "a:1", "c:1"]
    assert [r.instance for r in sorted_rows(rows, "instance")] == ["a:1", "b:1", "c:1"]
    with pytest.raises(ValueError, match="no column 'speed'"):
        sorted_rows(rows, "speed")


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("", ["b:1", "a:1", "c:1"]),
        ("a:1", ["a:1"]),
        ("kv_cache_usage>0.5", ["b:1"]),
        ("running>=1 kv_cache_usage<0.5", ["a:1"]),
        ("health=down", ["c:1"]),
        ("health!=down", ["b:1", "a:1"]),
        ("instance~b", ["b:1"]),
    ],
)
def test_filters_by_any_column(text: str, kept: list[str]) -> None:
    row_filter = RowFilter(text)
    assert [r.instance for r in rows_for_sorting() if row_filter.keeps(r)] == kept


@pytest.mark.parametrize(
    ("text", "said"),
    [("speed>3", "no column 'speed'"), ("running>many", "running > needs a number")],
)
def test_a_filter_that_cannot_be_read_says_why(text: str, said: str) -> None:
    with pytest.raises(FilterError, match=said):
        RowFilter(text).conditions()


def test_totals_add_up_what_is_up() -> None:
    totals = fleet_totals(rows_for_sorting())
    assert (totals.instances, totals.up, totals.down, totals.running) == (3, 2, 1, 5)
    assert totals.kv_cache_usage_max == 0.9
    line = totals_line(totals, "1m")
    assert line.startswith("3 instances, 2 up (1 down) · running 5 · waiting 0")
    assert "fullest KV 90%" in line and "rates over 1m" in line


def test_cells_are_plain_text_whatever_the_labels_hold() -> None:
    row = FleetRow(
        "[bold]x[/bold]:1", "vllm", "up", "up", models=("m\x1b[31mred",), version="[link=x]v"
    )
    texts = [t.plain for t in cells(row)]
    assert texts[0] == "[bold]x[/bold]:1"
    assert texts[2] == "mred"  # the escape sequence is dropped, the words shown
    assert texts[3] == "[link=x]v"
    assert all(not t.spans for t in cells(row)[:4])


def test_fleet_json_has_no_nan() -> None:
    from vlmconsole.model.fleet_rows import FleetReading

    (row,) = fleet_rows(
        [sample("a:1", "seen", 1), sample("a:1", "ttft_p50_s", 0.2)], [target("a:1")]
    )
    reading = FleetReading((row,), 1.0, 2.0, 2, 0.01)
    data = fleet_dict(reading, fleet_totals([row]), "http://p:9090", "1m", "now")
    assert data["instances"][0]["ttft_p50_s"] == 0.2
    assert data["instances"][0]["kv_cache_usage"] is None
    assert data["requests"] == 2 and data["totals"]["up"] == 1
