"""The BCP scope: the flows' services and everything they reach through essential edges.

A client depends on a server when an edge between them is essential. An observed edge that no
overlay mentions is not followed unless the scenario asks for a cautious plan; the plan lists
such edges leaving the scope so that nobody mistakes a silent overlay for an optional edge.
Optional edges never constrain the order: a service starts without its optional dependencies.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
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


def hard_dependencies(estate: BcpEstate, follow_undeclared: bool) -> dict[str, set[str]]:
    """client -> its servers over an essential edge (or only undeclared ones, when following
    them), self-loops left out: a plain adjacency, since most of a large estate is out of
    scope and building a networkx graph of all of it would cost more than the whole plan."""
    marks: defaultdict[tuple[str, str], set[bool | None]] = defaultdict(set)
    for edge in estate.edges:
        if edge.client != edge.server:
            marks[(edge.client, edge.server)].add(edge.essential)
    servers: defaultdict[str, set[str]] = defaultdict(set)
    for (client, server), seen in marks.items():
        if True in seen or (follow_undeclared and seen == {None}):
            servers[client].add(server)
    return dict(servers)


def reach(servers: Mapping[str, Iterable[str]], start: Iterable[str]) -> set[str]:
    """``start`` and every node reachable from it."""
    seen = set(start)
    frontier = list(seen)
    while frontier:
        frontier = [n for node in frontier for n in servers.get(node, ()) if n not in seen]
        seen.update(frontier)
    return seen


def bcp_scope(estate: BcpEstate, follow_undeclared: bool = False) -> Scope:
    members = frozenset(name for name, service in estate.services.items() if service.flows)
    servers = hard_dependencies(estate, follow_undeclared)
    nodes = frozenset(reach(servers, members))
    graph: nx.DiGraph[str] = nx.DiGraph()
    graph.add_nodes_from(sorted(nodes))
    graph.add_edges_from(
        (client, server) for client in sorted(nodes) for server in sorted(servers.get(client, ()))
    )
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
    return Scope(members, nodes, graph, undeclared)
