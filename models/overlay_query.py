"""Queries that combine an overlay's annotations with the observed topology.

Two shapes answer the questions teams ask of an overlay:

- nodes: the nodes whose annotations match, optionally grown along the edges whose
  annotations match ``via`` to ``hops`` (every P0 service and its essential dependencies
  to 3 hops);
- edges: the edges whose annotations match, optionally filtered by the zones at their ends
  (every optional edge between zones).

Edges are the observed ones plus the annotated ones (a dependency declared but not seen is
still part of the plan); each answer row says which it is. Pure: the caller passes plain rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from models.overlay_conditions import Condition, matches_all, parse_conditions
from models.overlay_errors import OverlayQueryError
from models.overlay_schema import OverlayDefinition, Record, TargetKind
from models.overlay_selector import (
    Selector,
    parse_selector,
    parse_selector_text,
    select_edges,
    select_nodes,
)
from models.query_input import BadQueryError, Direction, check_direction, check_limit
from models.topology import EdgeKey

MAX_QUERY_HOPS = 10


@dataclass(frozen=True, slots=True)
class OverlayQuery:
    """One question about one overlay."""

    target: TargetKind
    where: tuple[Condition, ...] = ()
    """Conditions (all must hold) on the target's annotations."""
    filters: Selector | None = None
    """Graph filters on the target (zone, kind, client, cross_zone ...)."""
    hops: int = 0
    """Nodes only: grow the matched set this far along the edges that match ``via``."""
    direction: Direction = Direction.DOWN
    via: tuple[Condition, ...] = field(default=())
    limit: int | None = None


@dataclass(frozen=True, slots=True)
class GraphRows:
    """What the query needs of the graph and the overlay's annotations."""

    zones: Mapping[str, str | None]
    """Every node in the graph to its zone."""
    edges: Iterable[EdgeKey]
    """Every edge in the graph."""
    node_annotations: Mapping[str, Record]
    edge_annotations: Mapping[str, Record]


def parse_query(definition: OverlayDefinition, data: Any) -> OverlayQuery:
    """A query from its JSON form, checked against ``definition``."""
    if not isinstance(data, Mapping):
        raise OverlayQueryError("a query must be a JSON object")
    allowed = {"target", "where", "filters", "hops", "direction", "via", "limit"}
    unknown = sorted(set(map(str, data)) - allowed)
    if unknown:
        raise OverlayQueryError(
            f"unknown query key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}"
        )
    try:
        target = TargetKind(data.get("target", "node"))
    except ValueError as exc:
        raise OverlayQueryError("query target must be node or edge") from exc
    where = parse_conditions(definition, target, data.get("where"))
    filters = data.get("filters")
    if isinstance(filters, str):  # the command line's and the URL's form: zone=a,kind=service
        selector: Selector | None = parse_selector_text(target, filters)
    else:
        selector = parse_selector(target, filters) if filters else None
    if selector is not None and selector.filters is None:
        raise OverlayQueryError("query filters select by graph fields; keys are for annotate")
    hops = _hops(data.get("hops", 0))
    if target is TargetKind.EDGE and (hops or data.get("via")):
        raise OverlayQueryError("hops and via grow a node query; an edge query has neither")
    try:
        direction = check_direction(data.get("direction"))
        limit = check_limit(data.get("limit"))
    except BadQueryError as exc:
        raise OverlayQueryError(str(exc)) from exc
    via = parse_conditions(definition, TargetKind.EDGE, data.get("via"))
    return OverlayQuery(target, where, selector, hops, direction, via, limit)


def _hops(value: Any) -> int:
    if isinstance(value, str) and value.isdigit() and len(value) < 4:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_QUERY_HOPS:
        raise OverlayQueryError(f"hops must be a whole number from 0 to {MAX_QUERY_HOPS}")
    return value


def run_query(query: OverlayQuery, rows: GraphRows) -> dict[str, Any]:
    """The answer as a JSON-able mapping (``matched``, and for grown queries ``reached``)."""
    edges = _all_edges(rows)
    if query.target is TargetKind.EDGE:
        return _edge_answer(query, rows, edges)
    return _node_answer(query, rows, edges)


def _all_edges(rows: GraphRows) -> dict[str, tuple[EdgeKey, bool]]:
    """Encoded key to (edge, observed) for observed and annotated edges."""
    out = {edge.encode(): (edge, True) for edge in rows.edges}
    for key in rows.edge_annotations:
        if key not in out:
            out[key] = (EdgeKey.decode(key), False)
    return out


def _node_row(name: str, rows: GraphRows) -> dict[str, Any]:
    return {
        "name": name,
        "zone": rows.zones.get(name),
        "in_graph": name in rows.zones,
        "annotations": rows.node_annotations.get(name, {}),
    }


def _edge_row(key: str, edge: EdgeKey, observed: bool, rows: GraphRows) -> dict[str, Any]:
    return {
        "key": key,
        "client": edge.client,
        "server": edge.server,
        "port": edge.port,
        "client_zone": rows.zones.get(edge.client),
        "server_zone": rows.zones.get(edge.server),
        "observed": observed,
        "annotations": rows.edge_annotations.get(key, {}),
    }


def _limited(rows: list[dict[str, Any]], limit: int | None) -> tuple[list[dict[str, Any]], bool]:
    if limit is None or len(rows) <= limit:
        return rows, False
    return rows[:limit], True


def _node_answer(
    query: OverlayQuery, rows: GraphRows, edges: Mapping[str, tuple[EdgeKey, bool]]
) -> dict[str, Any]:
    names = set(rows.zones) | set(rows.node_annotations)
    if query.filters is not None:
        zones = {name: rows.zones.get(name) for name in names}
        names = set(select_nodes(query.filters, zones))
    matched = sorted(n for n in names if matches_all(query.where, rows.node_annotations.get(n)))
    answer: dict[str, Any] = {"target": "node"}
    answer["matched"], truncated = _limited([_node_row(n, rows) for n in matched], query.limit)
    if query.hops:
        reached, walked = _grow(query, matched, edges, rows)
        reached_rows = [
            {**_node_row(name, rows), "distance": distance}
            for name, distance in sorted(reached.items(), key=lambda item: (item[1], item[0]))
        ]
        answer["reached"], cut = _limited(reached_rows, query.limit)
        answer["edges"] = [
            _edge_row(key, *edges[key], rows) for key in sorted(walked) if key in edges
        ]
        truncated = truncated or cut
    answer["truncated"] = truncated
    return answer


def _grow(
    query: OverlayQuery,
    roots: list[str],
    edges: Mapping[str, tuple[EdgeKey, bool]],
    rows: GraphRows,
) -> tuple[dict[str, int], set[str]]:
    """Nodes within ``hops`` of the roots (roots left out) and the edge keys walked."""
    graph: nx.DiGraph[str] = nx.DiGraph()
    keys_of: dict[tuple[str, str], list[str]] = {}
    for key, (edge, _) in edges.items():
        if matches_all(query.via, rows.edge_annotations.get(key)):
            pair = (edge.client, edge.server)
            graph.add_edge(*pair)
            keys_of.setdefault(pair, []).append(key)
    sources = {root for root in roots if root in graph}
    if not sources:
        return {}, set()
    down = query.direction in (Direction.DOWN, Direction.BOTH)
    up = query.direction in (Direction.UP, Direction.BOTH)
    distances: dict[str, int] = {}
    walked: set[str] = set()
    for walk, reverse in ((down, False), (up, True)):
        if not walk:
            continue
        view = graph.reverse(copy=False) if reverse else graph
        found = nx.multi_source_dijkstra_path_length(view, sources, cutoff=query.hops)
        for name, length in found.items():
            distance = int(length)
            distances[name] = min(distance, distances.get(name, distance))
            if distance >= query.hops:
                continue
            for other in view.successors(name):
                if other in found:
                    pair = (other, name) if reverse else (name, other)
                    walked.update(keys_of[pair])
    reached = {name: d for name, d in distances.items() if name not in sources}
    return reached, walked


def _edge_answer(
    query: OverlayQuery, rows: GraphRows, edges: Mapping[str, tuple[EdgeKey, bool]]
) -> dict[str, Any]:
    keys = set(edges)
    if query.filters is not None:
        picked = select_edges(query.filters, (edge for edge, _ in edges.values()), rows.zones)
        keys = set(picked)
    matched = [
        _edge_row(key, *edges[key], rows)
        for key in sorted(keys)
        if matches_all(query.where, rows.edge_annotations.get(key))
    ]
    answer: dict[str, Any] = {"target": "edge"}
    answer["matched"], answer["truncated"] = _limited(matched, query.limit)
    return answer
