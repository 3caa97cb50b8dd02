"""Event-time windows of one edge: counts, order independence, grace, gaps and bounds."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.edge_aggregation import advance, apply_delta, due_at
from models.edge_delta import EdgeDelta
from models.edge_params import EdgeParams
from models.edge_state import EdgeState
from models.edge_views import (
    answer_ratio,
    answer_ratios,
    current_rate,
    distinct_client_instances,
    last_closed_start,
)
from models.graph_change import ChangeType, EntityKind
from models.topology import EdgeKey, WindowStats
from tests.unit.edges.conftest import EDGE, PARAMS, T0, Run, delta, deltas_of, events

FAR = T0 + 10_000.0


def edge_changes(run: Run) -> list[ChangeType]:
    return [c.change for c in run.changes if c.kind is EntityKind.EDGE]


def test_counts_per_window_once_the_watermark_passes() -> None:
    batch = events(T0, 120, 90) + events(T0 + 60, 6, 6) + events(T0 + 120, 1, 0, instance="i-2")
    run = Run().feed(("delta", d) for d in deltas_of(batch))
    state = run.states[EDGE]
    assert [w.start for w in state.open_windows] == [T0 + 60, T0 + 120]  # grace still open
    assert [s.start for s in state.history] == [T0]
    run.tick(FAR)
    state = run.states[EDGE]
    assert state.history == (
        WindowStats(T0, 120, 90, 1),
        WindowStats(T0 + 60, 6, 6, 1),
        WindowStats(T0 + 120, 1, 0, 1),
    )
    assert state.open_windows == ()
    assert (state.attempts, state.answered, state.late_events) == (127, 96, 0)
    assert state.client_instances == ("i-2",)


def test_adjacent_windows_interleave_within_grace() -> None:
    run = Run()
    run.delta(delta(T0, attempts=2))
    run.delta(delta(T0 + 60, attempts=5, offset=5))  # watermark T0 + 65: T0 closes at T0 + 70
    run.delta(delta(T0, attempts=3, offset=59))
    assert [(w.start, w.attempts) for w in run.states[EDGE].open_windows] == [(T0, 5), (T0 + 60, 5)]
    run.tick(T0 + 70)
    assert run.states[EDGE].history == (WindowStats(T0, 5, 0, 1),)
    assert edge_changes(run) == [ChangeType.APPEARED, ChangeType.UPDATED]


@given(st.randoms(use_true_random=False), st.integers(1, 300))
def test_arrival_order_within_grace_gives_the_same_windows(rng: random.Random, n: int) -> None:
    # One delta per event, delivered with up to grace - 1 seconds of disorder.
    stamps = sorted(T0 + rng.uniform(0, 600) for _ in range(n))
    singles = [
        EdgeDelta(EDGE, PARAMS.window_start(ts), 1, i % 2, ts, ts, (f"i-{i % 7}",))
        for i, ts in enumerate(stamps)
    ]
    shuffled = sorted(singles, key=lambda d: d.first_ts + rng.uniform(0, 9))
    in_order = Run().feed(("delta", d) for d in singles)
    disorder = Run().feed(("delta", d) for d in shuffled)
    in_order.tick(FAR)
    disorder.tick(FAR)
    assert disorder.states[EDGE].history == in_order.states[EDGE].history
    assert disorder.states[EDGE].late_events == 0


@given(st.randoms(use_true_random=False))
def test_any_arrival_order_gives_the_same_windows_when_the_watermark_waits(
    rng: random.Random,
) -> None:
    batch = events(T0, 50, 40) + events(T0 + 120, 7, 3) + events(T0 + 300, 1, 1, instance="i-9")
    pieces = [deltas_of(batch[i : i + 7]) for i in range(0, len(batch), 7)]
    singles = [d for piece in pieces for d in piece]
    rng.shuffle(singles)
    state: EdgeState | None = None
    for d in singles:
        state, _ = apply_delta(state, d, PARAMS, T0)
    assert state is not None
    state, _ = advance(state, FAR, PARAMS)
    expected = Run().feed(("delta", d) for d in deltas_of(batch))
    expected.tick(FAR)
    assert state.history == expected.states[EDGE].history


def test_late_data_is_counted_not_dropped() -> None:
    run = Run()
    run.delta(delta(T0, attempts=4))
    run.tick(T0 + 69.5)
    run.delta(delta(T0, attempts=1, answered=1, offset=30))  # within grace
    assert run.states[EDGE].open_windows[0].attempts == 5
    run.tick(T0 + 70)
    before = run.states[EDGE]
    run.delta(delta(T0, attempts=2, answered=3, offset=0.5))  # late, and before first_seen
    state = run.states[EDGE]
    assert state.history == before.history == (WindowStats(T0, 5, 1, 1),)
    assert (state.attempts, state.answered, state.late_events) == (7, 4, 5)
    assert state.first_seen == T0 + 0.5
    change = run.changes[-1]
    assert change.change is ChangeType.UPDATED
    assert change.payload["late_events"] == 5
    assert change.payload["attempts"] == 7


def test_silent_windows_are_gaps_and_the_rate_falls_to_zero() -> None:
    run = Run()
    run.delta(delta(T0, attempts=120))
    run.tick(T0 + 70)
    assert run.changes[-1].payload["rate"] == 2.0
    assert current_rate(run.states[EDGE], PARAMS) == 2.0
    changed = len(run.changes)
    run.tick(T0 + 129)
    assert len(run.changes) == changed
    run.tick(T0 + 130)  # the silent slot T0+60 closed: one update saying so
    assert run.changes[-1].change is ChangeType.UPDATED
    assert run.changes[-1].payload["rate"] == 0.0
    assert run.changes[-1].payload["last_window"]["start"] == T0
    same = run.states[EDGE]
    state, changes = advance(same, T0 + 400, PARAMS)
    assert state is same
    assert changes == []
    run.delta(delta(T0 + 240))
    run.tick(T0 + 310)
    assert [s.start for s in run.states[EDGE].history] == [T0, T0 + 240]


def test_advance_returns_the_same_state_until_something_is_due() -> None:
    state, _ = apply_delta(None, delta(T0), PARAMS, T0 + 1)
    assert due_at(state, PARAMS) == T0 + 70
    same, changes = advance(state, T0 + 69.99, PARAMS)
    assert same is state
    assert changes == []
    closed, changes = advance(state, T0 + 70, PARAMS)
    assert closed is not state
    assert [c.change for c in changes] == [ChangeType.UPDATED]
    assert due_at(closed, PARAMS) == T0 + 130  # the rate-falls-to-zero update
    quiet, _ = advance(closed, T0 + 130, PARAMS)
    assert due_at(quiet, PARAMS) == T0 + 1 + 600  # staleness


def test_history_keeps_the_newest_windows() -> None:
    params = EdgeParams(history_windows=3)
    run = Run(params=params).feed(("delta", delta(T0 + 60 * n, attempts=n + 1)) for n in range(5))
    run.tick(FAR)
    assert [s.attempts for s in run.states[EDGE].history] == [3, 4, 5]


def test_client_instances_are_capped_per_window() -> None:
    params = EdgeParams(max_client_instances=2)
    run = Run(params=params)
    run.delta(delta(T0, instances=("i-3",)))
    run.delta(delta(T0, instances=("i-2", "i-4")))
    run.delta(delta(T0, instances=("i-1",)))
    window = run.states[EDGE].open_windows[0]
    assert window.client_instances == frozenset({"i-1", "i-2"})
    assert window.truncated
    run.tick(T0 + 70)
    state = run.states[EDGE]
    assert state.history[-1].client_instances == 2
    assert state.client_instances == ("i-1", "i-2")
    assert state.client_instances_truncated
    assert distinct_client_instances(state) == 2
    assert run.changes[-1].payload["client_instances_truncated"] is True


def test_answer_ratio_without_attempts_is_none() -> None:
    run = Run()
    run.delta(delta(T0, attempts=0, answered=3))
    run.delta(delta(T0 + 60, attempts=4, answered=2))
    run.tick(T0 + 70)
    assert run.changes[-1].payload["answer_ratio"] is None
    assert run.changes[-1].payload["rate"] == 0.0
    run.tick(T0 + 130)
    state = run.states[EDGE]
    assert answer_ratios(state) == [(T0, None), (T0 + 60, 0.5)]
    assert answer_ratio(state) == 0.5
    assert WindowStats(T0, 1, 5, 0).answer_ratio == 1.0


def test_views_before_any_window_closes() -> None:
    state, changes = apply_delta(None, delta(T0), PARAMS, T0)
    assert current_rate(state, PARAMS) is None
    assert answer_ratio(state) is None
    assert changes[-1].payload["last_window"] is None


def test_last_closed_slot_follows_the_closing_rule() -> None:
    assert last_closed_start(T0 + 70, PARAMS) == T0
    assert last_closed_start(T0 + 69.999, PARAMS) == T0 - 60
    odd = EdgeParams(window_seconds=0.1, grace_seconds=0.03, stale_after_seconds=1)
    for k in range(1, 200):
        wm = k * 0.01
        start = last_closed_start(wm, odd)
        assert odd.closes_at(start) <= wm < odd.closes_at(start + 0.1) + 1e-9


def test_a_delta_for_another_edge_is_refused() -> None:
    state, _ = apply_delta(None, delta(T0), PARAMS, T0)
    other = EdgeDelta(EdgeKey("a", "b", 1), T0, 1, 0, T0, T0, ())
    with pytest.raises(ValueError, match="applied to"):
        apply_delta(state, other, PARAMS, T0)
