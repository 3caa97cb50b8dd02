"""Repeated check runs turned into raise, update and resolve events.

Every run judges the whole estate again, so a finding that persists is detected on every run;
people want to hear when it starts, when its severity changes and when it ends. The tracker
keeps only what is raised (bounded by what is wrong, not by the estate) and counts it by kind
and severity for the gauge, zeros included, so the metric's label set is fixed.
"""

from __future__ import annotations

from collections.abc import Iterable

from models.anomaly_record import Severity
from models.anomaly_tracker import TransitionKind
from models.bcp_finding import BcpFinding, FindingEvent, FindingKind


class FindingTracker:
    def __init__(self) -> None:
        self._raised: dict[str, BcpFinding] = {}

    @property
    def raised(self) -> tuple[BcpFinding, ...]:
        """Raised findings in dedup-key order."""
        return tuple(self._raised[key] for key in sorted(self._raised))

    def observe(self, findings: Iterable[BcpFinding], at: float) -> list[FindingEvent]:
        """One complete run's findings; what changed since the previous run, in key order."""
        current: dict[str, BcpFinding] = {}
        for finding in findings:
            current.setdefault(finding.dedup_key, finding)
        events: list[FindingEvent] = []
        for key in sorted(set(current) | set(self._raised)):
            new, old = current.get(key), self._raised.get(key)
            if new is None and old is not None:
                events.append(FindingEvent(TransitionKind.RESOLVED, at, old))
            elif new is not None and old is None:
                events.append(FindingEvent(TransitionKind.RAISED, at, new))
            elif new is not None and old is not None and new.severity is not old.severity:
                events.append(FindingEvent(TransitionKind.UPDATED, at, new))
        self._raised = current
        return events

    def counts(self) -> dict[tuple[str, str], int]:
        """Raised findings per (kind, severity), zeros included."""
        totals = {(kind.value, sev.value): 0 for kind in FindingKind for sev in Severity}
        for finding in self._raised.values():
            totals[(finding.kind.value, finding.severity.value)] += 1
        return totals
