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
from models.cluster_params import ClusterParams
from models.cluster_tracker import ClusterTracker, MembershipChange
from models.clusters import Cluster, find_clusters
from models.graph_change import ChangeType, EntityKind, GraphChange

logger = logging.getLogger(__name__)

_CHANGE_TYPES = {
    "appeared": ChangeType.APPEARED,
    "joined": ChangeType.MEMBERSHIP,
    "left": ChangeType.MEMBERSHIP,
    "dissolved": ChangeType.STALE,
}


Row = tuple[str, str, str, str, int, int, int]
"""An observation's fields in order: what the topic and the cluster helper process carry."""


def as_rows(observations: list[AddressObservation]) -> list[Row]:
    return [
        (
            o.client_address,
            o.client_node,
            o.server_address,
            o.server_node,
            o.server_port,
            o.attempts,
            o.answered,
        )
        for o in observations
    ]


def observations_to_dict(observations: list[AddressObservation], at: float) -> dict[str, Any]:
    """The cluster topic's message: observations and the event time they run up to."""
    return {"v": 1, "at": at, "rows": as_rows(observations)}


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
    """Buckets of observations by event time, and the tracker that names the clusters.

    ``add`` recognises clusters in process; the worker instead calls ``take``, runs
    ``find_clusters`` on what it returns elsewhere (it is the heavy part) and ``adopt``s the
    result, which is the same fold.
    """

    interval_seconds: float = 60.0
    retention_seconds: float = 900.0
    params: ClusterParams = field(default_factory=ClusterParams)
    tracker: ClusterTracker = field(init=False)
    _buckets: deque[tuple[float, list[AddressObservation]]] = field(default_factory=deque)
    _next_run: float | None = None

    def __post_init__(self) -> None:
        self.tracker = ClusterTracker(self.params)

    def add(self, observations: list[AddressObservation], at: float) -> list[GraphChange]:
        """Keep the observations; recompute when event time has crossed the next interval."""
        recent = self.take(observations, at)
        if recent is None:
            return []
        return self.adopt(find_clusters(recent, self.params), at)

    def take(
        self, observations: list[AddressObservation], at: float
    ) -> list[AddressObservation] | None:
        """Keep the observations; when a recomputation is due, the observations it covers."""
        if observations:
            self._buckets.append((at, observations))
        if self._next_run is not None and at < self._next_run:
            return None
        while self._buckets and self._buckets[0][0] < at - self.retention_seconds:
            self._buckets.popleft()
        self._next_run = at + self.interval_seconds
        return [o for _, bucket in self._buckets for o in bucket]

    def adopt(self, found: list[Cluster], at: float) -> list[GraphChange]:
        """The changes that ``find_clusters``' result at event time ``at`` makes."""
        changes = self.tracker.apply(found)
        if changes:
            logger.info("clusters recomputed at %.0f: %d membership changes", at, len(changes))
        current = {cluster.node: cluster for cluster in self.tracker.clusters}
        return [self._graph_change(change, current.get(change.cluster), at) for change in changes]

    @staticmethod
    def _graph_change(change: MembershipChange, current: Cluster | None, at: float) -> GraphChange:
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
