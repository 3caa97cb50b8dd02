"""Queries over the current service graph: JSON-able answers with checked, bounded parameters.

Every worker (and ``meeseeks analyze``) keeps one view, so any of them can answer a question
about the whole graph. Queries are pure: they read the state, check every parameter (names,
hop counts, directions, limits) and cut every list at ``limit``, saying when they did.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import networkx as nx

from models.anomaly_record import AnomalyKind
from models.graph_clustered import merged_row
from models.graph_layout import Layout, build_layout
from models.graph_neighbours import Neighbourhood, dependency_graph, neighbourhood
from models.graph_rows import (
    anomaly_rows,
    cluster_rows,
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

    def __init__(self) -> None:
        super().__init__()
        self._layouts: dict[bool, Layout] = {}
        self._graphs: dict[bool, nx.DiGraph[str]] = {}
        self._layouts_shape = -1

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
        layout = self._layout(clustered)
        filtered = service is not None or zone is not None or wanted_kind is not None
        decided: dict[str, bool] = {}

        def matches(name: str) -> bool:
            found = decided.get(name)
            if found is None:
                found = decided[name] = (
                    (service is None or name == service)
                    and (zone is None or self._zone(name) == zone)
                    and (wanted_kind is None or node_kind(name) is wanted_kind)
                )
            return found

        keys: Sequence[EdgeKey] = layout.order
        if service is not None:  # only edges at the service can match: the index has them
            keys = layout.touching.get(service, ())
        if filtered:
            keys = [key for key in keys if matches(key.client) or matches(key.server)]
        if wanted_status is not None:
            keys = [key for key in keys if self._status(layout, key) == wanted_status]
        listed: Sequence[str] = layout.listed
        if filtered or wanted_status is not None:
            names = {name for key in keys for name in (key.client, key.server)}
            if service is not None:
                if service in layout.nodes and matches(service):
                    names.add(service)
            elif filtered:
                names.update(name for name in layout.nodes if matches(name))
            listed = sorted(names)
        return {
            "clustered": clustered,
            "nodes": [self._node_row(name) for name in listed[:cap]],
            "edges": [dict(self._row(layout, key)) for key in keys[:cap]],
            "total_nodes": len(listed),
            "total_edges": len(keys),
            "internal_edges": layout.internal,
            "limit": cap,
            "truncated": len(listed) > cap or len(keys) > cap,
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
        layout = self._layout(clustered)
        if node not in layout.nodes:
            raise NotFoundError(f"node {node!r} is not in the graph; list nodes with /topology/")
        graph = self._graphs.get(clustered)
        if graph is None:
            graph = self._graphs[clustered] = dependency_graph(layout.pairs)
        if node in graph:
            found = neighbourhood(graph, node, way, depth)
        else:  # a node without edges
            found = Neighbourhood({}, {}, frozenset())
        walked = sorted(key for pair in found.links for key in layout.pairs.get(pair, ()))
        rows = [self._row(layout, key) for key in walked]
        down, down_cut = truncated(self._reached(found.downstream), cap)
        up, up_cut = truncated(self._reached(found.upstream), cap)
        edge_list, edges_cut = truncated(rows, cap)
        return {
            "node": self._node_row(node),
            "direction": way.value,
            "hops": depth,
            "clustered": clustered,
            "downstream": down,
            "upstream": up,
            "edges": [dict(row) for row in edge_list],
            "total_edges": len(rows),
            "limit": cap,
            "truncated": down_cut or up_cut or edges_cut,
        }

    def clusters(self, limit: int | str | None = DEFAULT_LIMIT) -> dict[str, Any]:
        """Recognised clusters with their members, ports and the clients that call them."""
        cap = check_limit(limit)
        layout = self._layout(clustered=True)
        into = [
            self._row(layout, key)
            for (_, server), keys in layout.pairs.items()
            if server in self._clusters
            for key in keys
        ]
        rows, cut = truncated(cluster_rows(self._clusters, into), cap)
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

    # -- helpers -----------------------------------------------------------------------------
    def _layout(self, clustered: bool) -> Layout:
        if self._layouts_shape != self.shape:
            self._layouts.clear()
            self._graphs.clear()
            self._layouts_shape = self.shape
        layout = self._layouts.get(clustered)
        if layout is None:
            nodes = self._nodes.keys() | self._clusters.keys()
            layout = build_layout(self._edge_keys, nodes, self._clusters, clustered=clustered)
            self._layouts[clustered] = layout
        return layout

    def _row(self, layout: Layout, key: EdgeKey) -> Mapping[str, Any]:
        """The current payload of one edge of the layout (merged for a cluster edge)."""
        encoded = layout.groups[key]
        if len(encoded) == 1 and not layout.clustered:
            return self._edges[encoded[0]]
        return merged_row(key, [self._edges[one] for one in encoded])

    def _status(self, layout: Layout, key: EdgeKey) -> str:
        """Active when any stored edge behind ``key`` is."""
        statuses = {self._edges[encoded]["status"] for encoded in layout.groups[key]}
        return "active" if "active" in statuses else "stale"

    def _zone(self, name: str) -> Any:
        node = self._nodes.get(name)
        return None if node is None else node.payload.get("zone")

    def _node_row(self, name: str) -> dict[str, Any]:
        node = self._nodes.get(name)
        payload: dict[str, Any] = dict(node.payload) if node is not None else {}
        first = node.first_at if node is not None else self.last_at
        record = self._clusters.get(name)
        if record is not None:
            payload.update((field, record[field]) for field in ("engine", "members", "status"))
            first = record["first_at"]
        return node_row(name, payload, first if first is not None else 0.0)

    def _reached(self, distances: Mapping[str, int]) -> list[dict[str, Any]]:
        ordered = sorted(distances.items(), key=lambda item: (item[1], item[0]))
        return [{**self._node_row(name), "distance": hops} for name, hops in ordered]


__all__ = ["EDGE_STATUSES", "BadQueryError", "GraphView", "NotFoundError"]
