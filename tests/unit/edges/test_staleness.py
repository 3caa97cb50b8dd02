"""Edges appear with their nodes, go stale when idle in event time, and come back."""

from __future__ import annotations

from models.edge_aggregation import advance, apply_delta
from models.edge_state import EdgeStatus
from models.graph_change import ChangeType, EntityKind
from models.topology import EdgeKey
from tests.unit.edges.conftest import EDGE, PARAMS, T0, Run, delta


def test_a_new_edge_appears_with_its_two_nodes() -> None:
    state, changes = apply_delta(None, delta(T0, attempts=3), PARAMS, T0 + 1)
    assert [(c.kind, c.change, c.key) for c in changes] == [
        (EntityKind.NODE, ChangeType.APPEARED, "orders"),
        (EntityKind.NODE, ChangeType.APPEARED, "payments"),
        (EntityKind.EDGE, ChangeType.APPEARED, "orders|payments|443"),
    ]
    assert changes[-1].at == T0 + 1
    assert changes[-1].payload["status"] == "active"
    assert changes[-1].payload["attempts"] == 3
    assert state.status is EdgeStatus.ACTIVE
    self_edge = EdgeKey("orders", "orders", 8080)
    _, changes = apply_delta(None, delta(T0, edge=self_edge), PARAMS, T0)
    assert [c.key for c in changes] == ["orders", "orders|orders|8080"]


def test_an_idle_edge_goes_stale_after_stale_after_seconds() -> None:
    run = Run()
    run.delta(delta(T0, offset=1))
    run.tick(T0 + 600)
    assert run.states[EDGE].status is EdgeStatus.ACTIVE
    run.tick(T0 + 601)
    state = run.states[EDGE]
    assert state.status is EdgeStatus.STALE
    stale = run.changes[-1]
    assert (stale.change, stale.at) == (ChangeType.STALE, T0 + 601)
    assert stale.payload["status"] == "stale"
    assert stale.payload["rate"] == 0.0
    again, changes = advance(state, T0 + 5000, PARAMS)
    assert again is state
    assert changes == []


def test_traffic_reactivates_a_stale_edge() -> None:
    run = Run()
    run.delta(delta(T0))
    run.tick(T0 + 700)
    run.delta(delta(T0 + 720, attempts=2))
    state = run.states[EDGE]
    assert state.status is EdgeStatus.ACTIVE
    assert run.changes[-1].change is ChangeType.REACTIVATED
    assert [w.start for w in state.open_windows] == [T0 + 720]
    run.tick(T0 + 790)
    assert run.states[EDGE].history[-1].attempts == 2


def test_stale_then_reactivated_in_one_step_keeps_both_changes() -> None:
    run = Run()
    run.delta(delta(T0))
    run.delta(delta(T0 + 720))  # no tick in between: the watermark jumps with this delta
    kinds = [c.change for c in run.changes if c.kind is EntityKind.EDGE]
    assert kinds == [ChangeType.APPEARED, ChangeType.STALE, ChangeType.REACTIVATED]


def test_late_data_decides_staleness_by_its_own_time() -> None:
    run = Run()
    run.delta(delta(T0))
    run.tick(T0 + 1000)
    run.delta(delta(T0 + 120))  # late and still older than stale_after: stays stale
    assert run.states[EDGE].status is EdgeStatus.STALE
    assert run.changes[-1].change is ChangeType.UPDATED
    run.delta(delta(T0 + 900))  # late (closed at T0 + 970) but recent: active again
    assert run.states[EDGE].status is EdgeStatus.ACTIVE
    assert run.changes[-1].change is ChangeType.REACTIVATED
    assert run.states[EDGE].late_events == 2
    assert run.states[EDGE].open_windows == ()


def test_a_first_delta_may_already_be_late() -> None:
    state, changes = apply_delta(None, delta(T0), PARAMS, T0 + 5000)
    assert state.status is EdgeStatus.STALE
    assert state.late_events == 1
    assert state.open_windows == ()
    assert changes[-1].change is ChangeType.APPEARED
