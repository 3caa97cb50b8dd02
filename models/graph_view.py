"""Queries over the current service graph: JSON-able answers with checked, bounded parameters.

Every worker (and ``meeseeks analyze``) keeps one view, so any of them can answer a question
about the whole graph. Queries are pure: they read the state, check every parameter (names,
hop counts, directions, limits) and cut every list at ``limit``, saying when they did.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from models.anomaly_record import AnomalyKind
from models.graph_clustered import clustered_edges, membership_of
from models.graph_neighbours import dependency_graph, neighbourhood
from models.graph_rows import (
    anomaly_rows,
    cluster_rows,
    edge_sort_key,
    node_row,
    truncated,
    unattributed_rows,
)
from models.graph_state import EDGE_STATUSES, GraphState
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


class GraphView(GraphState):
    """The graph state with the queries the API and the CLI ask of it."""

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
