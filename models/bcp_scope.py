"""The BCP scope: the flows' services and everything they reach through essential edges.

A client depends on a server when an edge between them is essential. An observed edge that no
overlay mentions is not followed unless the scenario asks for a cautious plan; the plan lists
such edges leaving the scope so that nobody mistakes a silent overlay for an optional edge.
Optional edges never constrain the order: a service starts without its optional dependencies.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import networkx as nx

from models.bcp_model import BcpEstate, DependencyEdge


@dataclass(frozen=True, slots=True)
class Scope:
    """The nodes to restore and the hard dependencies between them."""

    flow_members: frozenset[str]
    """Services that belong to a BCP flow."""
    nodes: frozenset[str]
    """Flow members and everything they reach through essential edges."""
    graph: nx.DiGraph[str]
    """client -> server for every hard dependency inside the scope, without self-loops."""
    undeclared: tuple[DependencyEdge, ...]
    """Observed edges leaving scope nodes that no overlay mentions (not followed)."""


def hard_dependencies(estate: BcpEstate, follow_undeclared: bool) -> nx.DiGraph[str]:
    """client -> server for each pair with an essential edge (or only undeclared ones, when
    following them); every node of the estate is in the graph, self-loops are left out."""
    marks: defaultdict[tuple[str, str], set[bool | None]] = defaultdict(set)
    for edge in estate.edges:
        if edge.client != edge.server:
            marks[(edge.client, edge.server)].add(edge.essential)
    graph: nx.DiGraph[str] = nx.DiGraph()
    graph.add_nodes_from(estate.services)
    graph.add_edges_from(
        pair
        for pair, seen in marks.items()
        if True in seen or (follow_undeclared and seen == {None})
    )
    return graph


def bcp_scope(estate: BcpEstate, follow_undeclared: bool = False) -> Scope:
    members = frozenset(name for name, service in estate.services.items() if service.flows)
    graph = hard_dependencies(estate, follow_undeclared)
    nodes = frozenset(node for layer in nx.bfs_layers(graph, sorted(members)) for node in layer)
    undeclared = tuple(
        sorted(
            (
                edge
                for edge in estate.edges
                if edge.essential is None
                and edge.observed
                and edge.client in nodes
                and edge.client != edge.server
                and not follow_undeclared
            ),
            key=lambda e: (e.client, e.server, e.port or 0),
        )
    )
    return Scope(members, nodes, graph.subgraph(nodes).copy(), undeclared)
