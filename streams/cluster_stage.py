"""Data-store cluster recognition over the recent address-level traffic of the whole estate.

One worker runs it (its topic has one partition). Observations arrive in buckets of event
time; every ``interval`` of event time the clusters are recomputed over the last ``retention``
and the tracker turns the difference into cluster changes with stable ids. The state is
in memory: after a restart clusters are found again from the next ``retention`` of traffic,
with the same ids, since a cluster's id follows from its members.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from models.cluster_observations import AddressObservation
from models.cluster_tracker import ClusterTracker, MembershipChange
from models.graph_change import ChangeType, EntityKind, GraphChange

logger = logging.getLogger(__name__)

_CHANGE_TYPES = {
    "appeared": ChangeType.APPEARED,
    "joined": ChangeType.MEMBERSHIP,
    "left": ChangeType.MEMBERSHIP,
    "dissolved": ChangeType.STALE,
}


def observations_to_dict(observations: list[AddressObservation], at: float) -> dict[str, Any]:
    """The cluster topic's message: observations and the event time they run up to."""
    rows = [
        [
            o.client_address,
            o.client_node,
            o.server_address,
            o.server_node,
            o.server_port,
            o.attempts,
            o.answered,
        ]
        for o in observations
    ]
    return {"v": 1, "at": at, "rows": rows}


def observations_from_dict(data: dict[str, Any]) -> tuple[list[AddressObservation], float]:
    if data.get("v") != 1:
        raise ValueError(f"unknown cluster observation version {data.get('v')!r}")
    found = [
        AddressObservation(str(a), str(b), str(c), str(d), int(e), int(f), int(g))
        for a, b, c, d, e, f, g in data["rows"]
    ]
    return found, float(data["at"])


@dataclass
class ClusterStage:
    """Buckets of observations by event time, and the tracker that names the clusters."""

    interval_seconds: float = 60.0
    retention_seconds: float = 900.0
    tracker: ClusterTracker = field(default_factory=ClusterTracker)
    _buckets: deque[tuple[float, list[AddressObservation]]] = field(default_factory=deque)
    _next_run: float | None = None

    def add(self, observations: list[AddressObservation], at: float) -> list[GraphChange]:
        """Keep the observations; recompute when event time has crossed the next interval."""
        if observations:
            self._buckets.append((at, observations))
        if self._next_run is not None and at < self._next_run:
            return []
        while self._buckets and self._buckets[0][0] < at - self.retention_seconds:
            self._buckets.popleft()
        recent = [o for _, bucket in self._buckets for o in bucket]
        changes = self.tracker.update(recent)
        self._next_run = at + self.interval_seconds
        if changes:
            logger.info("clusters recomputed at %.0f: %d membership changes", at, len(changes))
        return [self._graph_change(change, at) for change in changes]

    def _graph_change(self, change: MembershipChange, at: float) -> GraphChange:
        current = next((c for c in self.tracker.clusters if c.node == change.cluster), None)
        payload: dict[str, Any]
        if current is None:  # dissolved: its last members
            payload = {"engine": change.engine, "members": sorted(change.members)}
        else:
            payload = {
                "engine": current.engine,
                "members": sorted(current.members),
                "member_nodes": sorted(current.member_nodes),
                "ports": sorted(current.ports),
            }
        return GraphChange(
            EntityKind.CLUSTER, _CHANGE_TYPES[change.kind.value], change.cluster, at, payload
        )
