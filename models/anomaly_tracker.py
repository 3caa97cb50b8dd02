"""Per-window detections turned into raise and resolve transitions.

Detection is stateless and repeats itself every window an anomaly persists; operators want to
hear once when it starts and once when it ends. The tracker keeps only the anomalies currently
raised, so its size is bounded by what is wrong, not by the size of the graph, and it counts
them by kind and severity: the only labels of the gauge, so the metric's cardinality is fixed.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from enum import StrEnum

from models.anomaly_record import Anomaly, AnomalyKind, Severity

WINDOW_KINDS: frozenset[AnomalyKind] = frozenset(AnomalyKind)
"""Kinds a closed window settles: every kind, since a window with traffic is not a silence."""
SILENCE_KINDS: frozenset[AnomalyKind] = frozenset({AnomalyKind.VANISHED_EDGE})
"""Kinds a silence check settles."""


class TransitionKind(StrEnum):
    """How the set of raised anomalies changed."""

    RAISED = "raised"
    """A condition started."""
    UPDATED = "updated"
    """A raised condition changed severity."""
    RESOLVED = "resolved"
    """A raised condition is no longer detected."""


@dataclass(frozen=True, slots=True)
class Transition:
    """One change, with the record that caused it."""

    kind: TransitionKind
    """Raised, updated or resolved."""
    anomaly: Anomaly
    """The new record (raised, updated) or the last raised one (resolved)."""
    at: float
    """Window start of the evaluation that caused the transition (event time)."""


class AnomalyTracker:
    """The anomalies currently raised, keyed by ``dedup_key``."""

    def __init__(self) -> None:
        self._raised: dict[str, Anomaly] = {}
        self._by_subject: dict[str, set[str]] = {}

    @property
    def raised(self) -> tuple[Anomaly, ...]:
        """Currently raised anomalies, in dedup-key order."""
        return tuple(self._raised[key] for key in sorted(self._raised))

    def observe(
        self,
        subject: str,
        kinds: Collection[AnomalyKind],
        detected: Iterable[Anomaly],
        at: float,
    ) -> list[Transition]:
        """Record one evaluation of ``subject`` covering ``kinds``; return what changed.

        Raised anomalies of the subject whose kind was evaluated and not detected resolve;
        kinds not evaluated (vanished, during a window check of another kind) are untouched.
        """
        found = list(detected)
        for anomaly in found:
            if anomaly.subject != subject or anomaly.kind not in kinds:
                raise ValueError(f"{anomaly.dedup_key} is not an evaluated kind of {subject}")
        transitions: list[Transition] = []
        seen: set[str] = set()
        for anomaly in found:
            key = anomaly.dedup_key
            seen.add(key)
            previous = self._raised.get(key)
            if previous is None:
                transitions.append(Transition(TransitionKind.RAISED, anomaly, at))
            elif previous.severity is not anomaly.severity:
                transitions.append(Transition(TransitionKind.UPDATED, anomaly, at))
            self._raised[key] = anomaly
            self._by_subject.setdefault(subject, set()).add(key)
        for key in sorted(self._by_subject.get(subject, set()) - seen):
            if self._raised[key].kind in kinds:
                transitions.append(self._resolve(subject, key, at))
        return transitions

    def forget(self, subject: str, at: float) -> list[Transition]:
        """Resolve everything raised for a subject that is gone (an expired edge)."""
        return [
            self._resolve(subject, key, at) for key in sorted(self._by_subject.get(subject, ()))
        ]

    def counts(self) -> dict[tuple[str, str], int]:
        """Raised anomalies per (kind, severity), zeros included, for the gauge."""
        totals = {(kind.value, severity.value): 0 for kind in AnomalyKind for severity in Severity}
        for anomaly in self._raised.values():
            totals[(anomaly.kind.value, anomaly.severity.value)] += 1
        return totals

    def _resolve(self, subject: str, key: str, at: float) -> Transition:
        anomaly = self._raised.pop(key)
        keys = self._by_subject[subject]
        keys.discard(key)
        if not keys:
            del self._by_subject[subject]
        return Transition(TransitionKind.RESOLVED, anomaly, at)
