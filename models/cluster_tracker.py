"""Cluster membership over time: stable ids while members come and go, and the changes.

A cluster is recognised afresh in every window, so its derived name can shift (the lowest
address leaves). The graph and the operators need one node per store for its whole life: a new
cluster inherits the id of the old one it overlaps most, as long as it keeps enough of the old
members; the differences are reported as joins and leaves.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace
from enum import StrEnum

from models.cluster_observations import AddressObservation
from models.cluster_params import ClusterParams
from models.cluster_view import ClusterMembership
from models.clusters import Cluster, find_clusters


class ChangeKind(StrEnum):
    """What happened to a cluster between two windows."""

    APPEARED = "appeared"
    """A cluster no earlier one continues; ``members`` are all of its members."""
    JOINED = "joined"
    """Addresses that became members of a continuing cluster."""
    LEFT = "left"
    """Addresses that stopped being members of a continuing cluster."""
    DISSOLVED = "dissolved"
    """A cluster that nothing continues; ``members`` are its last members."""


_ORDER = {kind: position for position, kind in enumerate(ChangeKind)}


@dataclass(frozen=True, slots=True)
class MembershipChange:
    """One change of one cluster."""

    kind: ChangeKind
    """Appeared, joined, left or dissolved."""
    cluster: str
    """Stable cluster id (its graph node)."""
    engine: str
    """Engine of the cluster."""
    members: frozenset[str]
    """Member addresses the change concerns."""


class ClusterTracker:
    """Keeps the current clusters; feed it one window of observations (or clusters) at a time."""

    def __init__(self, params: ClusterParams | None = None) -> None:
        self._params = params or ClusterParams()
        self._current: dict[str, Cluster] = {}

    @property
    def clusters(self) -> tuple[Cluster, ...]:
        """The current clusters, under their stable ids, sorted by id."""
        return tuple(self._current[node] for node in sorted(self._current))

    def membership(self) -> ClusterMembership:
        """The lookups that rewrite edges into the cluster view."""
        return ClusterMembership.of(self._current.values())

    def update(self, observations: Iterable[AddressObservation]) -> list[MembershipChange]:
        """Recognise the clusters of a window and report how they differ from the last one."""
        return self.apply(find_clusters(observations, self._params))

    def apply(self, found: Iterable[Cluster]) -> list[MembershipChange]:
        """Adopt freshly recognised clusters, keeping ids of those that continue."""
        fresh = sorted(found, key=lambda cluster: cluster.node)
        heirs = self._match(fresh)
        changes: list[MembershipChange] = []
        adopted: dict[str, Cluster] = {}
        for position, cluster in enumerate(fresh):
            old_id = heirs.get(position)
            if old_id is None:
                continue
            old = self._current[old_id]
            adopted[old_id] = replace(cluster, node=old_id)
            joined, left = cluster.members - old.members, old.members - cluster.members
            if joined:
                changes.append(MembershipChange(ChangeKind.JOINED, old_id, cluster.engine, joined))
            if left:
                changes.append(MembershipChange(ChangeKind.LEFT, old_id, cluster.engine, left))
        for position, cluster in enumerate(fresh):
            if position in heirs:
                continue
            node = _unused(cluster.node, adopted.keys() | self._current.keys())
            adopted[node] = replace(cluster, node=node)
            changes.append(
                MembershipChange(ChangeKind.APPEARED, node, cluster.engine, cluster.members)
            )
        inherited = set(heirs.values())
        for old_id, old in self._current.items():
            if old_id not in inherited:
                changes.append(
                    MembershipChange(ChangeKind.DISSOLVED, old_id, old.engine, old.members)
                )
        self._current = adopted
        return sorted(changes, key=lambda change: (change.cluster, _ORDER[change.kind]))

    def _match(self, fresh: list[Cluster]) -> dict[int, str]:
        """Fresh cluster position to the old id it inherits: largest overlaps first, one to one."""
        holders: dict[tuple[str, str], list[str]] = {}
        for old_id, old in self._current.items():
            for address in old.members:
                holders.setdefault((old.engine, address), []).append(old_id)
        proposals: list[tuple[int, str, int]] = []
        for position, cluster in enumerate(fresh):
            overlaps = Counter(
                old_id
                for address in cluster.members
                for old_id in holders.get((cluster.engine, address), ())
            )
            for old_id, overlap in overlaps.items():
                if overlap >= self._params.keep_id_share * len(self._current[old_id].members):
                    proposals.append((-overlap, old_id, position))
        proposals.sort()
        heirs: dict[int, str] = {}
        taken: set[str] = set()
        for _, old_id, position in proposals:
            if position not in heirs and old_id not in taken:
                heirs[position] = old_id
                taken.add(old_id)
        return heirs


def _unused(node: str, taken: AbstractSet[str]) -> str:
    """The derived id, numbered when a current or continuing cluster already carries it."""
    candidate, number = node, 1
    while candidate in taken:
        number += 1
        candidate = f"{node}#{number}"
    return candidate
