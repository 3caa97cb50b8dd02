"""Offsets to events: the soak's lag in events, from what the publisher recorded."""

from __future__ import annotations

import pytest

from bench.soak.ledger import OffsetLedger, lag_messages


def ledger_of(entries: list[tuple[int, int, int]]) -> OffsetLedger:
    ledger = OffsetLedger()
    for partition, offset, events in entries:
        ledger.record(partition, offset, events)
    return ledger


def test_events_between_offsets_of_one_partition() -> None:
    ledger = ledger_of([(0, 0, 512), (0, 1, 3), (0, 2, 7), (1, 0, 4)])
    assert ledger.events_between(0, 0, 3) == 522
    assert ledger.events_between(0, 1, 3) == 10
    assert ledger.events_between(0, 2, 2) == 0
    assert ledger.events_between(0, 3, 10) == 0
    assert ledger.events_between(1, 0, 1) == 4
    assert ledger.events_between(7, 0, 100) == 0  # a partition never written


def test_offsets_that_skip_and_arrive_out_of_order_are_summed_right() -> None:
    # Offsets of one partition need not be contiguous (another producer, control records),
    # and acknowledgements of concurrent sends may come back in any order.
    ledger = ledger_of([(0, 0, 1), (0, 5, 100), (0, 2, 10), (0, 3, 20), (0, 9, 1000)])
    assert ledger.events_between(0, 0, 10) == 1131
    assert ledger.events_between(0, 1, 4) == 30
    assert ledger.events_between(0, 3, 6) == 120
    assert ledger.events_between(0, 6, 9) == 0


def test_the_same_offset_twice_is_an_error() -> None:
    ledger = ledger_of([(0, 0, 1), (0, 1, 1)])
    with pytest.raises(ValueError, match="twice"):
        ledger.record(0, 0, 5)


def test_lag_is_the_events_between_commit_and_end_of_every_partition() -> None:
    ledger = ledger_of([(0, 0, 10), (0, 1, 20), (0, 2, 30), (1, 0, 5), (1, 1, 6)])
    ends = {0: 3, 1: 2}
    assert ledger.lag_events(ends, {0: 3, 1: 2}) == 0
    assert ledger.lag_events(ends, {0: 1, 1: 2}) == 50
    # No commit on partition 1 yet: all of it is behind.
    assert ledger.lag_events(ends, {0: 2}) == 30 + 11
    assert lag_messages(ends, {0: 2}) == 1 + 2
    assert lag_messages(ends, {0: 3, 1: 2}) == 0
