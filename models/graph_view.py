"""The current service graph, folded from graph changes and anomaly events, and its queries.

Every worker (and ``meeseeks analyze``) keeps one, so any of them can answer a query about the
whole graph. Applying is idempotent and tolerant of order: an edge or cluster keeps the change
with the latest event time (a replayed older change is ignored, the same change twice is a
no-op), and node payloads merge, newer facts over older ones. Queries are pure and return
JSON-able dicts, with every parameter checked and every list bounded by ``limit``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from models.anomaly_event import AnomalyEvent
from models.anomaly_record import AnomalyKind
from models.anomaly_tracker import TransitionKind
from models.errors import GraphChangeError
from models.graph_change import ChangeType, EntityKind, GraphChange, node_payload
from models.graph_clustered import cluster_record, clustered_edges, membership_of
from models.graph_neighbours import dependency_graph, neighbourhood
from models.graph_rows import (
    anomaly_rows,
    cluster_rows,
    edge_sort_key,
    node_row,
    truncated,
    unattributed_rows,
)
from models.query_input import (
    DEFAULT_LIMIT,
    BadQueryError,
    Direction,
    NodeKind,
    NotFoundError,
    check_choice,
    check_direction,
    check_hops,
    check_kind,
    check_limit,
    check_name,
    check_port,
    node_kind,
    optional_name,
)
from models.topology import EdgeKey

EDGE_STATUSES = ("active", "stale")


@dataclass
class _Node:
    payload: dict[str, Any]
    at: float
    first_at: float


class GraphView:
    """Nodes, edges, clusters and raised anomalies as the changes so far describe them."""

    def __init__(self) -> None:
        self._nodes: dict[str, _Node] = {}
        self._edges: dict[str, dict[str, Any]] = {}
        self._clusters: dict[str, dict[str, Any]] = {}
        self._anomalies: dict[str, dict[str, Any]] = {}
        self._anomaly_at: dict[str, float] = {}
        self.last_at: float | None = None
        """Event time of the newest change or anomaly event applied."""

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
        try:
            edge = EdgeKey.decode(change.key)
        except ValueError as exc:
            raise GraphChangeError(f"edge change key {change.key!r:.200} is no edge") from exc
        current = self._edges.get(change.key)
        if current is not None and change.at < current["at"]:
            return
        row = dict(change.payload)
        row.update(client=edge.client, server=edge.server, port=edge.port)
        row.update(change=change.change.value, at=change.at)
        for field in ("status", "first_seen", "last_seen", "attempts", "answered"):
            if field not in row:
                raise GraphChangeError(f"edge change of {change.key!r:.200} lacks {field!r}")
        self._edges[change.key] = row
        for name in {edge.client, edge.server}:
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
        self._merge_node(change.key, node_payload(change.key), change.at)

    # -- queries -----------------------------------------------------------------------------
    def summary(self) -> dict[str, Any]:
        """Counts, for health pages and the head of every answer."""
        return {
            "nodes": len(self._nodes),
            "edges": len(self._edges),
            "clusters": len(self._clusters),
            "anomalies": len(self._anomalies),
            "last_at": self.last_at,
        }

    def topology(
        self,
        service: str | None = None,
        zone: str | None = None,
        kind: str | NodeKind | None = None,
        status: str | None = None,
        *,
        clustered: bool = False,
        limit: int | str | None = DEFAULT_LIMIT,
    ) -> dict[str, Any]:
        """Nodes and edges; with node filters, the matching nodes and every edge touching one."""
        service, zone = optional_name("service", service), optional_name("zone", zone)
        wanted_kind = check_kind(kind)
        wanted_status = check_choice("status", status, EDGE_STATUSES)
        cap = check_limit(limit)
        nodes, edges, internal = self._graph(clustered)

        def matches(name: str) -> bool:
            zone_of = nodes[name].get("zone") if name in nodes else None
            return (
                (service is None or name == service)
                and (zone is None or zone_of == zone)
                and (wanted_kind is None or node_kind(name) is wanted_kind)
            )

        filtered = service is not None or zone is not None or wanted_kind is not None
        chosen = [
            row
            for row in edges
            if (wanted_status is None or row["status"] == wanted_status)
            and (not filtered or matches(row["client"]) or matches(row["server"]))
        ]
        if filtered or wanted_status is not None:
            names = {n for row in chosen for n in (row["client"], row["server"])}
            if filtered:
                names.update(name for name in nodes if matches(name))
        else:
            names = set(nodes)
        listed = [nodes[name] for name in sorted(names) if name in nodes]
        node_list, nodes_cut = truncated(listed, cap)
        edge_list, edges_cut = truncated(sorted(chosen, key=edge_sort_key), cap)
        return {
            "clustered": clustered,
            "nodes": node_list,
            "edges": edge_list,
            "total_nodes": len(listed),
            "total_edges": len(chosen),
            "internal_edges": internal,
            "limit": cap,
            "truncated": nodes_cut or edges_cut,
        }

    def neighbours(
        self,
        node: str,
        direction: str | Direction = Direction.DOWN,
        hops: int | str = 1,
        *,
        clustered: bool = False,
        limit: int | str | None = DEFAULT_LIMIT,
    ) -> dict[str, Any]:
        """Nodes within ``hops`` of ``node`` downstream (dependencies), upstream, or both."""
        node = check_name("node", node)
        way, depth, cap = check_direction(direction), check_hops(hops), check_limit(limit)
        nodes, edges, _ = self._graph(clustered)
        if node not in nodes:
            raise NotFoundError(f"node {node!r} is not in the graph; list nodes with /topology/")
        graph = dependency_graph((row["client"], row["server"]) for row in edges)
        graph.add_node(node)
        found = neighbourhood(graph, node, way, depth)
        walked = sorted(
            (row for row in edges if (row["client"], row["server"]) in found.links),
            key=edge_sort_key,
        )
        down, down_cut = truncated(_reached(found.downstream, nodes), cap)
        up, up_cut = truncated(_reached(found.upstream, nodes), cap)
        edge_list, edges_cut = truncated(walked, cap)
        return {
            "node": nodes[node],
            "direction": way.value,
            "hops": depth,
            "clustered": clustered,
            "downstream": down,
            "upstream": up,
            "edges": edge_list,
            "limit": cap,
            "truncated": down_cut or up_cut or edges_cut,
        }

    def clusters(self, limit: int | str | None = DEFAULT_LIMIT) -> dict[str, Any]:
        """Recognised clusters with their members, ports and the clients that call them."""
        cap = check_limit(limit)
        membership = membership_of(self._clusters)
        rewritten, _ = clustered_edges(self._edges.values(), membership)
        rows, cut = truncated(cluster_rows(self._clusters, rewritten), cap)
        return {"clusters": rows, "total": len(self._clusters), "limit": cap, "truncated": cut}

    def anomalies(
        self, kind: str | None = None, limit: int | str | None = DEFAULT_LIMIT
    ) -> dict[str, Any]:
        """Raised anomalies, critical first, newest first."""
        wanted = check_choice("kind", kind, tuple(k.value for k in AnomalyKind))
        cap = check_limit(limit)
        chosen = [a for a in self._anomalies.values() if wanted is None or a["kind"] == wanted]
        rows, cut = truncated(anomaly_rows(chosen), cap)
        return {"anomalies": rows, "total": len(chosen), "limit": cap, "truncated": cut}

    def unattributed(self, limit: int | str | None = DEFAULT_LIMIT) -> dict[str, Any]:
        """Addresses the inventory does not know, busiest first, with their top clients."""
        cap = check_limit(limit)
        names = [name for name in self._nodes if node_kind(name) is NodeKind.UNATTRIBUTED]
        rows, cut = truncated(unattributed_rows(names, self._edges.values()), cap)
        return {"unattributed": rows, "total": len(names), "limit": cap, "truncated": cut}

    def edge(self, client: str, server: str, port: int | str) -> dict[str, Any]:
        """The stream-owned payload of one edge."""
        key = EdgeKey(check_name("client", client), check_name("server", server), check_port(port))
        row = self._edges.get(key.encode())
        if row is None:
            raise NotFoundError(f"no edge from {key.client!r} to {key.server!r} on port {key.port}")
        return dict(row)

    def _graph(
        self, clustered: bool
    ) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]], int]:
        """(node rows by name, edge rows, internal edges left out), raw or clustered.

        The clustered graph drops members whose every edge went to their cluster node.
        """
        nodes = {name: node_row(name, n.payload, n.first_at) for name, n in self._nodes.items()}
        for name, record in self._clusters.items():
            payload = self._nodes[name].payload if name in self._nodes else {}
            facts = {field: record[field] for field in ("engine", "members", "status")}
            nodes[name] = node_row(name, {**payload, **facts}, record["first_at"])
        if not clustered:
            return nodes, [dict(row) for row in self._edges.values()], 0
        membership = membership_of(self._clusters)
        edges, internal = clustered_edges(self._edges.values(), membership)
        ends = {name for row in edges for name in (row["client"], row["server"])}
        kept = {
            name: row
            for name, row in nodes.items()
            if name in ends or name not in membership.member_of
        }
        return kept, edges, internal


def _reached(distances: Mapping[str, int], nodes: Mapping[str, dict[str, Any]]) -> list[Any]:
    ordered = sorted(distances.items(), key=lambda item: (item[1], item[0]))
    return [{**nodes.get(name, {"name": name}), "distance": hops} for name, hops in ordered]


__all__ = ["EDGE_STATUSES", "BadQueryError", "GraphView", "NotFoundError"]
