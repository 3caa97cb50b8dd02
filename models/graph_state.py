"""The graph as the changes so far describe it: nodes, edges, clusters and raised anomalies.

Applying is idempotent and tolerant of order, because the topics are read at least once and
a worker may replay them from the beginning: an edge or cluster keeps the change with the
latest event time (a replayed older change is ignored, the same change twice is a no-op),
node payloads merge newer facts over older ones, and an anomaly event older than the last
one of its condition is ignored. A change whose payload the queries could not use is refused
with ``GraphChangeError`` and leaves the state as it was.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from models.anomaly_event import AnomalyEvent
from models.anomaly_tracker import TransitionKind
from models.errors import GraphChangeError
from models.graph_change import ChangeType, EntityKind, GraphChange, node_payload
from models.graph_clustered import cluster_record
from models.topology import EdgeKey

EDGE_STATUSES = ("active", "stale")
_COUNTS = ("attempts", "answered")
_TIMES = ("first_seen", "last_seen")
_WINDOW_FIELDS = ("start", "attempts", "answered", "client_instances")
_NUMBER_TYPES = (int, float)


@dataclass
class _Node:
    payload: dict[str, Any]
    at: float
    first_at: float


class GraphState:
    """Nodes, edges, clusters and raised anomalies as the changes so far describe them."""

    def __init__(self) -> None:
        self._nodes: dict[str, _Node] = {}
        self._edges: dict[str, dict[str, Any]] = {}
        self._edge_keys: dict[str, EdgeKey] = {}
        self._clusters: dict[str, dict[str, Any]] = {}
        self._anomalies: dict[str, dict[str, Any]] = {}
        self._anomaly_at: dict[str, float] = {}
        self.last_at: float | None = None
        """Event time of the newest change or anomaly event applied."""
        self.shape = 0
        """Bumped whenever an edge appears or a cluster changes: what cached layouts follow."""

    # -- applying ----------------------------------------------------------------------------
    def apply(self, change: GraphChange) -> None:
        """Fold one graph change in; a malformed payload raises ``GraphChangeError``."""
        if change.kind is EntityKind.EDGE:
            self._apply_edge(change)
        elif change.kind is EntityKind.CLUSTER:
            self._apply_cluster(change)
        else:
            self._merge_node(change.key, change.payload, change.at)
        self.last_at = change.at if self.last_at is None else max(self.last_at, change.at)

    def apply_all(self, changes: Iterable[GraphChange]) -> None:
        for change in changes:
            self.apply(change)

    def apply_anomaly(self, event: AnomalyEvent) -> None:
        """Raise, update or resolve one anomaly; an event older than the last one is ignored."""
        key = event.anomaly.dedup_key
        if event.at < self._anomaly_at.get(key, float("-inf")):
            return
        self._anomaly_at[key] = event.at
        if event.transition is TransitionKind.RESOLVED:
            self._anomalies.pop(key, None)
        else:
            previous = self._anomalies.get(key)
            raised_at = previous["raised_at"] if previous is not None else event.at
            self._anomalies[key] = {
                **event.anomaly.to_dict(),
                "dedup_key": key,
                "raised_at": raised_at,
                "at": event.at,
            }
        self.last_at = event.at if self.last_at is None else max(self.last_at, event.at)

    def _merge_node(self, name: str, payload: Mapping[str, Any], at: float) -> None:
        node = self._nodes.get(name)
        if node is None:
            self._nodes[name] = _Node(dict(payload), at, at)
            return
        if at >= node.at:
            node.payload.update(payload)
            node.at = at
        else:
            for field, value in payload.items():
                node.payload.setdefault(field, value)
        node.first_at = min(node.first_at, at)

    def _apply_edge(self, change: GraphChange) -> None:
        edge = self._edge_keys.get(change.key)
        if edge is None:
            try:
                edge = EdgeKey.decode(change.key)
            except ValueError as exc:
                raise GraphChangeError(f"edge change key {change.key!r:.200} is no edge") from exc
        current = self._edges.get(change.key)
        if current is not None and change.at < current["at"]:
            return
        row = {
            **change.payload,
            "client": edge.client,
            "server": edge.server,
            "port": edge.port,
            "change": change.change.value,
            "at": change.at,
        }
        problem = edge_row_problem(row)
        if problem is not None:
            raise GraphChangeError(f"edge change of {change.key!r:.200}: {problem}")
        self._edges[change.key] = row
        if current is None:
            self.shape += 1
            self._edge_keys[change.key] = edge
            for name in {edge.client, edge.server}:  # nodes are never removed: once is enough
                if name not in self._nodes:
                    self._merge_node(name, node_payload(name), change.at)

    def _apply_cluster(self, change: GraphChange) -> None:
        current = self._clusters.get(change.key)
        if current is not None and change.at < current["at"]:
            return
        record = cluster_record(change.payload)
        stale = change.change is ChangeType.STALE
        record.update(
            status="stale" if stale else "active",
            change=change.change.value,
            at=change.at,
            first_at=change.at if current is None else min(current["first_at"], change.at),
        )
        self._clusters[change.key] = record
        self.shape += 1
        self._merge_node(change.key, node_payload(change.key), change.at)

    def summary(self) -> dict[str, Any]:
        """Counts, for health pages and the head of every answer."""
        return {
            "nodes": len(self._nodes),
            "edges": len(self._edges),
            "clusters": len(self._clusters),
            "anomalies": len(self._anomalies),
            "last_at": self.last_at,
        }


def edge_row_problem(row: Mapping[str, Any]) -> str | None:
    """What makes an edge payload unusable for the queries, or None when it is fine."""
    if row.get("status") not in EDGE_STATUSES:
        return f"status {row.get('status')!r:.40} is not active or stale"
    for field in (*_COUNTS, *_TIMES):
        if not _number(row.get(field)):
            return f"{field} {row.get(field)!r:.40} is not a number"
    if row.get("rate") is not None and not _number(row["rate"]):
        return f"rate {row['rate']!r:.40} is not a number"
    window = row.get("last_window")
    if window is not None and not (
        isinstance(window, dict) and all(_number(window.get(f)) for f in _WINDOW_FIELDS)
    ):
        return f"last_window {window!r:.80} is not a window"
    return None


def _number(value: object) -> bool:
    # type(), not isinstance: bool is an int, and JSON gives exactly int or float.
    return type(value) in _NUMBER_TYPES and math.isfinite(value)  # type: ignore[arg-type]
