"""The publisher's fixed-rate schedule."""

from __future__ import annotations

import pytest

from bench.soak.pacing import Pacer, achieved_rate


def test_events_fall_due_at_the_rate_and_are_owed_until_recorded() -> None:
    pacer = Pacer(rate=100.0, start=1000.0)
    assert pacer.due(999.0) == 0  # before the start
    assert pacer.due(1000.0) == 0
    assert pacer.due(1000.5) == 50
    assert pacer.due(1000.5) == 50  # asking again does not add more
    pacer.record(50)
    assert pacer.due(1000.5) == 0
    assert pacer.due(1000.75) == 25


def test_an_overshoot_is_paid_back_by_the_next_due() -> None:
    pacer = Pacer(rate=10.0, start=0.0)
    assert pacer.due(0.1) == 1
    pacer.record(2)  # a SYN and its SYN-ACK
    assert pacer.due(0.15) == 0
    assert pacer.due(0.3) == 1


def test_a_stall_is_caught_up_by_at_most_the_backlog_and_the_rest_is_given_up() -> None:
    pacer = Pacer(rate=100.0, start=0.0, max_backlog_seconds=1.0)
    assert pacer.due(10.0) == 100
    assert pacer.given_up == 900
    pacer.record(100)
    assert pacer.due(10.5) == 50  # back on the schedule from here
    assert pacer.given_up == 900


def test_a_fractional_rate_rounds_down() -> None:
    pacer = Pacer(rate=2.5, start=0.0)
    assert pacer.due(0.3) == 0
    assert pacer.due(0.4) == 1
    assert pacer.due(1.0) == 2


def test_rates_and_backlog_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        Pacer(rate=0.0, start=0.0)
    with pytest.raises(ValueError, match="positive"):
        Pacer(rate=1.0, start=0.0, max_backlog_seconds=0.0)


def test_achieved_rate() -> None:
    assert achieved_rate(1_000, 13_500, 10.0) == 1_250.0
    assert achieved_rate(5, 5, 0.0) == 0.0
