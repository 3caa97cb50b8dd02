"""Repeated check runs to raise/update/resolve events, and the finding's JSON round trip."""

from __future__ import annotations

import pytest

from models.anomaly_record import Severity
from models.anomaly_tracker import TransitionKind
from models.bcp_finding import BcpFinding, FindingEvent, FindingKind
from models.bcp_model import BcpError
from models.bcp_tracker import FindingTracker


def finding(subject: str, severity: Severity = Severity.WARNING) -> BcpFinding:
    return BcpFinding(
        FindingKind.SINGLE_ZONE, subject, severity, f"{subject} in one zone", {"n": 2}
    )


def test_a_finding_is_raised_once_updated_on_severity_and_resolved_when_gone() -> None:
    tracker = FindingTracker()

    first = tracker.observe([finding("a"), finding("b")], 10.0)
    again = tracker.observe([finding("a"), finding("b")], 20.0)
    worse = tracker.observe([finding("a", Severity.CRITICAL), finding("b")], 30.0)
    gone = tracker.observe([finding("b")], 40.0)

    assert [(e.transition, e.finding.subject) for e in first] == [
        (TransitionKind.RAISED, "a"),
        (TransitionKind.RAISED, "b"),
    ]
    assert again == []
    assert [(e.transition, e.finding.severity, e.at) for e in worse] == [
        (TransitionKind.UPDATED, Severity.CRITICAL, 30.0)
    ]
    assert [(e.transition, e.finding.subject, e.finding.severity) for e in gone] == [
        (TransitionKind.RESOLVED, "a", Severity.CRITICAL)
    ]
    counts = tracker.counts()
    assert counts[("single_zone", "warning")] == 1
    assert counts[("single_zone", "critical")] == 0
    assert len(counts) == len(FindingKind) * len(Severity)


def test_events_round_trip_through_json_and_bad_ones_are_refused() -> None:
    event = FindingEvent(TransitionKind.RAISED, 5.0, finding("a"))

    assert FindingEvent.from_dict(event.to_dict()) == event
    with pytest.raises(BcpError, match="version 1"):
        FindingEvent.from_dict({**event.to_dict(), "v": 2})
    with pytest.raises(BcpError, match="finite"):
        FindingEvent.from_dict({**event.to_dict(), "at": float("nan")})
    with pytest.raises(BcpError, match="not a BCP finding"):
        BcpFinding.from_dict({**finding("a").to_dict(), "kind": "weird"})
    with pytest.raises(BcpError, match="finite"):
        BcpFinding(FindingKind.DR_SCHEDULE, "s", Severity.WARNING, "m", {"x": float("inf")})
