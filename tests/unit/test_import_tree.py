"""The start-up benchmark's reading of `python -X importtime` (benchmarks/import_tree.py)."""

from __future__ import annotations

from benchmarks.import_tree import (
    parse_importtime,
    self_by_package,
    statement_lines,
    total_us,
    under,
)

REPORT = """\
import time: self [us] | cumulative | imported package
import time:       100 |        100 |   _io
import time:       300 |        400 | encodings
import time:        50 |         50 | site
import time:        20 |         20 |     numpy._core
import time:        30 |         50 |   numpy
import time:        10 |         10 |   httpx
import time:       200 |        260 | app.widgets
import time:         5 |          5 | app
some other line on stderr
import time:        40 |        305 | app.main
"""


def test_each_module_knows_who_imported_it_first() -> None:
    lines = {line.name: line for line in parse_importtime(REPORT)}

    assert lines["numpy._core"].parent == "numpy"
    assert lines["numpy"].parent == "app.widgets"
    assert lines["httpx"].parent == "app.widgets"
    assert lines["app.widgets"].parent is None
    assert (lines["numpy"].depth, lines["numpy"].self_us, lines["numpy"].cumulative_us) == (
        1,
        30,
        50,
    )


def test_the_interpreters_own_start_up_is_left_out_of_the_statements_cost() -> None:
    lines = statement_lines(parse_importtime(REPORT), startup={"_io", "encodings", "site"})

    assert [line.name for line in lines if line.depth == 0] == ["app.widgets", "app", "app.main"]
    assert total_us(lines) == 260 + 5 + 305


def test_under_a_module_are_its_own_imports_at_any_depth() -> None:
    lines = parse_importtime(REPORT)

    assert [line.name for line in under(lines, "app.widgets")] == ["numpy._core", "numpy", "httpx"]
    assert under(lines, "app") == []
    assert under(lines, "not.imported") == []


def test_self_times_add_up_by_top_level_package_largest_first() -> None:
    lines = under(parse_importtime(REPORT), "app.widgets")

    assert self_by_package(lines) == {"numpy": 50, "httpx": 10}
