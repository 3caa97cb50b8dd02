"""Raise once, resolve once; the gauge counts by kind and severity."""

from __future__ import annotations

import pytest

from models.anomalies import evaluate_silence, evaluate_window
from models.anomaly_params import AnomalyParams
from models.anomaly_record import Anomaly, AnomalyKind, Severity
from models.anomaly_tracker import (
    SILENCE_KINDS,
    WINDOW_KINDS,
    AnomalyTracker,
    TransitionKind,
)
from models.topology import EdgeKey
from tests.unit.anomalies.conftest import EDGE, NORMAL, T0, WINDOW, series, window

PARAMS = AnomalyParams()
SUBJECT = EDGE.encode()


def failing(index: int, answered: int) -> list[Anomaly]:
    return evaluate_window(EDGE, [], window(index, 50, answered), T0, T0, PARAMS)


def test_persisting_anomaly_is_raised_once_then_resolved() -> None:
    tracker = AnomalyTracker()

    first = tracker.observe(SUBJECT, WINDOW_KINDS, failing(1, 5), at=T0 + WINDOW)
    again = tracker.observe(SUBJECT, WINDOW_KINDS, failing(2, 5), at=T0 + 2 * WINDOW)
    healed = tracker.observe(SUBJECT, WINDOW_KINDS, failing(3, 50), at=T0 + 3 * WINDOW)

    assert [t.kind for t in first] == [TransitionKind.RAISED]
    assert again == []
    assert [t.kind for t in healed] == [TransitionKind.RESOLVED]
    assert healed[0].anomaly.window_start == window(2, 0).start
    assert healed[0].at == T0 + 3 * WINDOW
    assert tracker.raised == ()


def test_severity_change_is_an_update() -> None:
    tracker = AnomalyTracker()
    tracker.observe(SUBJECT, WINDOW_KINDS, failing(1, 5), at=T0)

    (update,) = tracker.observe(SUBJECT, WINDOW_KINDS, failing(2, 0), at=T0)

    assert update.kind is TransitionKind.UPDATED
    assert update.anomaly.severity is Severity.CRITICAL
    assert tracker.counts()[("failing_edge", "critical")] == 1
    assert tracker.counts()[("failing_edge", "warning")] == 0


def test_silence_check_does_not_resolve_window_kinds_and_traffic_resolves_vanished() -> None:
    tracker = AnomalyTracker()
    tracker.observe(SUBJECT, WINDOW_KINDS, failing(1, 5), at=T0)
    silent_from = T0 + len(NORMAL) * WINDOW
    vanished = evaluate_silence(EDGE, series(NORMAL), silent_from + 20 * WINDOW, PARAMS)

    raised = tracker.observe(SUBJECT, SILENCE_KINDS, vanished, at=silent_from + 20 * WINDOW)
    assert [t.kind for t in raised] == [TransitionKind.RAISED]
    assert {a.kind for a in tracker.raised} == {AnomalyKind.FAILING_EDGE, AnomalyKind.VANISHED_EDGE}

    back = tracker.observe(SUBJECT, WINDOW_KINDS, [], at=silent_from + 21 * WINDOW)
    assert {t.anomaly.kind for t in back} == {AnomalyKind.VANISHED_EDGE, AnomalyKind.FAILING_EDGE}
    assert {t.kind for t in back} == {TransitionKind.RESOLVED}


def test_counts_cover_every_label_pair() -> None:
    tracker = AnomalyTracker()
    tracker.observe(SUBJECT, WINDOW_KINDS, failing(1, 0), at=T0)

    counts = tracker.counts()

    assert len(counts) == len(AnomalyKind) * len(Severity)
    assert sum(counts.values()) == 1


def test_forget_resolves_everything_of_a_subject() -> None:
    tracker = AnomalyTracker()
    tracker.observe(SUBJECT, WINDOW_KINDS, failing(1, 0), at=T0)
    other = evaluate_window(EdgeKey("a", "b", 1), [], window(1, 50, 0), T0, T0, PARAMS)
    tracker.observe(other[0].subject, WINDOW_KINDS, other, at=T0)

    gone = tracker.forget(SUBJECT, at=T0 + WINDOW)

    assert [t.kind for t in gone] == [TransitionKind.RESOLVED]
    assert [a.subject for a in tracker.raised] == ["a|b|1"]
    assert tracker.forget(SUBJECT, at=T0) == []


def test_detections_of_another_subject_or_kind_are_refused() -> None:
    tracker = AnomalyTracker()

    with pytest.raises(ValueError, match="not an evaluated kind"):
        tracker.observe("x|y|1", WINDOW_KINDS, failing(1, 0), at=T0)
    with pytest.raises(ValueError, match="not an evaluated kind"):
        tracker.observe(SUBJECT, SILENCE_KINDS, failing(1, 0), at=T0)
    assert tracker.raised == ()
