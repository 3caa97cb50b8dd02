"""k-hop neighbourhoods of a node: what it depends on (down) and what depends on it (up).

Edges point from client to server, so downstream is a breadth-first search along them and
upstream one against them; ``cutoff`` stops the search at ``hops``, so the cost depends on the
neighbourhood asked for, not on the size of the graph.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import networkx as nx

from models.query_input import Direction


@dataclass(frozen=True, slots=True)
class Neighbourhood:
    """The nodes within reach of one node and the edges the search walked."""

    downstream: Mapping[str, int]
    """Nodes the node depends on, to their distance in hops (the node itself left out)."""
    upstream: Mapping[str, int]
    """Nodes that depend on the node, to their distance in hops (the node itself left out)."""
    links: frozenset[tuple[str, str]]
    """(client, server) pairs between reached nodes, walked in the asked direction."""


def dependency_graph(pairs: Iterable[tuple[str, str]]) -> nx.DiGraph[str]:
    """A directed graph with an arc from each client to each server it calls."""
    graph: nx.DiGraph[str] = nx.DiGraph()
    graph.add_edges_from(pairs)
    return graph


def neighbourhood(
    graph: nx.DiGraph[str], node: str, direction: Direction, hops: int
) -> Neighbourhood:
    """The nodes within ``hops`` of ``node`` in ``direction``; ``node`` must be in ``graph``."""
    down: dict[str, int] = {}
    up: dict[str, int] = {}
    links: set[tuple[str, str]] = set()
    if direction in (Direction.DOWN, Direction.BOTH):
        down = dict(nx.single_source_shortest_path_length(graph, node, cutoff=hops))
        links.update(
            (client, server)
            for client, distance in down.items()
            if distance < hops
            for server in graph.successors(client)
            if server in down
        )
    if direction in (Direction.UP, Direction.BOTH):
        reverse = graph.reverse(copy=False)
        up = dict(nx.single_source_shortest_path_length(reverse, node, cutoff=hops))
        links.update(
            (client, server)
            for server, distance in up.items()
            if distance < hops
            for client in graph.predecessors(server)
            if client in up
        )
    down.pop(node, None)
    up.pop(node, None)
    return Neighbourhood(down, up, frozenset(links))
