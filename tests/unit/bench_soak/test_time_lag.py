"""Lag in time on a topic from the history of its end offsets."""

from __future__ import annotations

import pytest

from bench.soak.time_lag import EndHistory


def history(*points: tuple[float, dict[int, int]]) -> EndHistory:
    ends = EndHistory()
    for t, offsets in points:
        ends.record(t, offsets)
    return ends


def test_a_group_at_the_end_is_not_behind() -> None:
    ends = history((0.0, {0: 10, 1: 5}), (10.0, {0: 30, 1: 9}))
    assert ends.lag_seconds({0: 30, 1: 9}, 10.0) == 0.0
    assert EndHistory().lag_seconds({}, 5.0) == 0.0


def test_the_position_is_placed_between_two_samples() -> None:
    ends = history((0.0, {0: 100}), (10.0, {0: 200}), (20.0, {0: 300}))
    # Offset 150 was written half-way between t=0 and t=10: 15 s before t=20.
    assert ends.lag_seconds({0: 150}, 20.0) == pytest.approx(15.0)
    assert ends.lag_seconds({0: 200}, 20.0) == pytest.approx(10.0)


def test_the_worst_partition_counts_and_a_missing_commit_is_offset_zero() -> None:
    ends = history((0.0, {0: 0, 1: 0}), (10.0, {0: 100, 1: 100}), (20.0, {0: 200, 1: 200}))
    assert ends.lag_seconds({0: 200, 1: 150}, 20.0) == pytest.approx(5.0)
    assert ends.lag_seconds({0: 200}, 20.0) == pytest.approx(20.0)


def test_a_position_older_than_the_history_gives_a_lower_bound() -> None:
    ends = history((5.0, {0: 1_000}), (15.0, {0: 1_100}))
    assert ends.lag_seconds({0: 10}, 15.0) == 10.0


def test_samples_must_come_in_time_order() -> None:
    ends = history((5.0, {0: 1}))
    with pytest.raises(ValueError, match="time order"):
        ends.record(4.0, {0: 2})
