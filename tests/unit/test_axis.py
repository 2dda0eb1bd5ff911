"""Chart axes are readable at every data shape: one point, flat, huge, tiny, across zero."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vlmconsole.model.axis import SMALLEST, axis_for, data_range, nice_axis, tick_labels


def test_one_point_gets_nice_ticks_around_it() -> None:
    axis = axis_for([1.037], 6)
    assert axis.labels == ("0.90", "0.95", "1.00", "1.05", "1.10", "1.15")
    assert axis.low < 1.037 < axis.high


def test_a_flat_series_is_not_one_label_repeated() -> None:
    axis = axis_for([492.85] * 4, 6)
    assert axis.labels == ("425", "450", "475", "500", "525", "550")


def test_zero_alone_spans_zero_to_one() -> None:
    assert data_range([0.0, 0.0]) == (0.0, 1.0)
    assert axis_for([0.0], 6).labels == ("0", "0.2", "0.4", "0.6", "0.8", "1.0")


def test_context_sizes_in_thousands_read_as_k() -> None:
    assert axis_for([2048, 32768], 6).labels == ("0", "10k", "20k", "30k", "40k")
    assert axis_for([863, 2700], 6).labels == ("500", "1000", "1500", "2000", "2500", "3000")
    assert axis_for([1.2e6, 9.8e6], 6).labels == ("0", "2M", "4M", "6M", "8M", "10M")


def test_tiny_values_switch_to_short_scientific_notation() -> None:
    assert axis_for([0.000121, 0.000124], 6).labels == ("1.21e-4", "1.22e-4", "1.23e-4", "1.24e-4")


def test_a_range_across_zero_keeps_zero_plain() -> None:
    assert axis_for([-5, 5], 6).labels == ("-5.0", "-2.5", "0", "2.5", "5.0")
    assert axis_for([-5, 5], 2).labels == ("-10", "0", "10")


def test_no_data_and_non_finite_values_give_the_unit_range() -> None:
    assert data_range([]) == (0.0, 1.0)
    assert data_range([float("nan"), float("inf")]) == (0.0, 1.0)


def test_an_inverted_or_empty_range_is_widened() -> None:
    axis = nice_axis(3.0, 3.0, 5)
    assert axis.low < 3.0 < axis.high and len(axis.ticks) >= 2


@pytest.mark.parametrize("step", [0.1, 0.25, 2.0, 2500.0])
def test_labels_tell_ticks_apart(step: float) -> None:
    ticks = tuple(i * step for i in range(5))
    labels = tick_labels(ticks, step)
    assert len(set(labels)) == 5 and labels[0] == "0"


finite = st.floats(min_value=-1e15, max_value=1e15, allow_nan=False, allow_infinity=False)


@settings(max_examples=500, deadline=None)
@given(st.lists(finite, max_size=20), st.integers(2, 10))
def test_any_data_gets_two_or_more_distinct_increasing_ticks_that_cover_it(
    values: list[float], max_ticks: int
) -> None:
    axis = axis_for(values, max_ticks)
    assert 2 <= len(axis.ticks) <= max(max_ticks, 3)
    assert all(a < b for a, b in zip(axis.ticks, axis.ticks[1:], strict=False))
    assert len(set(axis.labels)) == len(axis.labels)
    if values:
        # values nearer zero than SMALLEST are drawn as zero, by design
        slack = max((axis.ticks[1] - axis.ticks[0]) * 1e-8, SMALLEST)
        assert axis.low <= min(values) + slack and axis.high >= max(values) - slack


def test_a_whole_axis_has_no_tick_between_two_turns() -> None:
    from vlmconsole.model.axis import whole_axis

    assert whole_axis([1, 3]).labels == ("1", "2", "3")
    assert whole_axis([1, 16], 10).labels == ("0", "2", "4", "6", "8", "10", "12", "14", "16")
    assert whole_axis([5]).labels == ("4", "5", "6"), "one turn, centred"
    many = whole_axis([1, 240], 10)
    assert all(float(label).is_integer() for label in many.labels) and len(many.ticks) <= 10
