"""The record of the graph-changes topic: what changed about a node, edge or cluster.

Sinks upsert the payload under (kind, key) and react to ``change``. Every field comes from the
input events and the event-time watermark, never from a clock, so replaying the same input
yields byte-for-byte the same changes and the sinks' writes stay idempotent.
"""

from __future__ import annotations

import math
from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from models.errors import GraphChangeError
from models.topology import CLUSTER_PREFIX, UNATTRIBUTED_PREFIX, EdgeKey

CHANGE_VERSION = 1
_FIELDS = ("kind", "change", "key", "at", "payload")


class EntityKind(StrEnum):
    """What the change is about."""

    NODE = "node"
    """A service, cluster or unattributed-address node; key is the node name."""
    EDGE = "edge"
    """A service-to-service edge; key is ``EdgeKey.encode()``."""
    CLUSTER = "cluster"
    """A recognised data-store cluster; key is the cluster id."""


class ChangeType(StrEnum):
    """Why the change was emitted."""

    APPEARED = "appeared"
    """First seen."""
    UPDATED = "updated"
    """Its stream-owned fields changed (a window closed, late data, new facts)."""
    STALE = "stale"
    """No traffic for the staleness period."""
    REACTIVATED = "reactivated"
    """Traffic again after being stale."""
    MEMBERSHIP = "membership"
    """A cluster's members changed."""


@dataclass(frozen=True, slots=True)
class GraphChange:
    """One change for the graph-changes topic (JSON via ``to_dict``, versioned)."""

    kind: EntityKind
    """Node, edge or cluster."""
    change: ChangeType
    """What happened."""
    key: str
    """Node name, encoded edge key or cluster id."""
    at: float
    """Event time of the change, epoch seconds: the watermark (or event ts) that caused it."""
    payload: dict[str, Any]
    """JSON-able fields owned by the stream, to upsert; shape depends on ``kind``."""

    def to_dict(self) -> dict[str, Any]:
        """The JSON-able message value."""
        return {
            "v": CHANGE_VERSION,
            "kind": self.kind.value,
            "change": self.change.value,
            "key": self.key,
            "at": self.at,
            "payload": self.payload,
        }

    @classmethod
    def from_dict(cls, data: Any) -> GraphChange:
        """Read ``to_dict`` output; unknown top-level fields are ignored (additive evolution)."""
        if not isinstance(data, dict):
            raise GraphChangeError(f"a graph change must be a JSON object, not {data!r:.200}")
        if "v" not in data:
            raise GraphChangeError(f"graph change without a version field 'v': {data!r:.200}")
        if data["v"] != CHANGE_VERSION:
            raise GraphChangeError(
                f"graph change version {data['v']!r} is not {CHANGE_VERSION}; "
                "upgrade this consumer to read it"
            )
        missing = [name for name in _FIELDS if name not in data]
        if missing:
            raise GraphChangeError(f"graph change lacks {', '.join(missing)}: {data!r:.200}")
        try:
            kind, change = EntityKind(data["kind"]), ChangeType(data["change"])
        except ValueError as exc:
            raise GraphChangeError(f"graph change of unknown kind or change: {exc}") from exc
        key, at, payload = data["key"], data["at"], data["payload"]
        if not isinstance(key, str) or not key:
            raise GraphChangeError(f"graph change key must be a non-empty string, not {key!r}")
        if isinstance(at, bool) or not isinstance(at, int | float) or not math.isfinite(at):
            raise GraphChangeError(f"graph change 'at' must be a finite number, not {at!r}")
        if not isinstance(payload, dict):
            raise GraphChangeError(f"graph change payload must be an object, not {payload!r}")
        return cls(kind, change, key, float(at), payload)


def node_payload(
    name: str, zone: str | None = None, instances: int | None = None
) -> dict[str, Any]:
    """What a node change says about a node; unknown facts are left out so sinks keep theirs."""
    payload: dict[str, Any]
    if name.startswith(UNATTRIBUTED_PREFIX):
        payload = {"address": name[len(UNATTRIBUTED_PREFIX) :]}
    elif name.startswith(CLUSTER_PREFIX):
        payload = {"cluster": name[len(CLUSTER_PREFIX) :]}
    else:
        payload = {"service": name}
    if zone is not None:
        payload["zone"] = zone
    if instances is not None:
        payload["instances"] = instances
    return payload


def node_changes_for(edge: EdgeKey, at: float) -> list[GraphChange]:
    """'appeared' changes for the endpoints of a new edge, client first (one for a self-edge)."""
    names = (edge.client,) if edge.client == edge.server else (edge.client, edge.server)
    return [
        GraphChange(EntityKind.NODE, ChangeType.APPEARED, name, at, node_payload(name))
        for name in names
    ]


def cluster_change(
    cluster_id: str, change: ChangeType, at: float, engine: str, members: Sequence[str]
) -> GraphChange:
    """A cluster change; members are sorted so equal memberships give equal messages."""
    payload = {"engine": engine, "members": sorted(members)}
    return GraphChange(EntityKind.CLUSTER, change, cluster_id, at, payload)


def unseen_node_changes(changes: Iterable[GraphChange], seen: Container[str]) -> list[GraphChange]:
    """The changes without node 'appeared' ones for nodes already ``seen`` or repeated.

    Pure: the caller records the surviving node keys in its seen-nodes table afterwards.
    """
    out: list[GraphChange] = []
    emitted: set[str] = set()
    for change in changes:
        if change.kind is EntityKind.NODE and change.change is ChangeType.APPEARED:
            if change.key in seen or change.key in emitted:
                continue
            emitted.add(change.key)
        out.append(change)
    return out
