"""The shape of the graph, raw or clustered: which edges exist, between which nodes.

Edge payloads change every window; the shape changes only when an edge appears or a cluster
changes. Queries need the shape (edges in listing order, the cluster view's grouping of member
edges, the client-server pairs a neighbourhood search walks) and building it costs a pass over
every edge, so the view builds it once per shape and reuses it until the shape changes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any

from models.graph_clustered import clustered_groups, membership_of
from models.topology import EdgeKey


@dataclass(frozen=True, slots=True)
class Layout:
    """The edges of one view of the graph and the nodes they join."""

    clustered: bool
    """Whether edges to cluster members were folded into edges to the cluster node."""
    groups: Mapping[EdgeKey, tuple[str, ...]]
    """Each edge of this view to the encoded keys of the stored edges it stands for."""
    order: tuple[EdgeKey, ...]
    """The edges of this view by (client, server, port): the order every answer lists them in."""
    pairs: Mapping[tuple[str, str], tuple[EdgeKey, ...]]
    """(client, server) to the edges between them, one per port."""
    nodes: frozenset[str]
    """Nodes of this view: members whose every edge went to their cluster are left out."""
    internal: int
    """Stored edges left out as peer traffic inside a cluster."""
    touching: Mapping[str, tuple[EdgeKey, ...]]
    """Node to the edges with it at either end, in ``order``: a service's edges without a pass
    over all of them."""
    listed: tuple[str, ...]
    """``nodes`` sorted: the order answers list nodes in."""


def build_layout(
    edges: Mapping[str, EdgeKey],
    nodes: Iterable[str],
    clusters: Mapping[str, Mapping[str, Any]],
    *,
    clustered: bool,
) -> Layout:
    """The layout of the stored edges (encoded key to key) among ``nodes`` (clusters included)."""
    absorbed: AbstractSet[str] = frozenset()
    internal = 0
    if clustered:
        membership = membership_of(clusters)
        found, internal = clustered_groups(edges, membership)
        groups = {key: tuple(encoded) for key, encoded in found.items()}
        absorbed = membership.member_of.keys()
    else:
        groups = {key: (encoded,) for encoded, key in edges.items()}
    order = tuple(sorted(groups, key=lambda key: (key.client, key.server, key.port)))
    pairs: defaultdict[tuple[str, str], list[EdgeKey]] = defaultdict(list)
    for key in order:
        pairs[(key.client, key.server)].append(key)
    ends = {name for pair in pairs for name in pair}
    touching: defaultdict[str, list[EdgeKey]] = defaultdict(list)
    for key in order:
        touching[key.client].append(key)
        if key.server != key.client:
            touching[key.server].append(key)
    shown = (
        frozenset(name for name in nodes if name in ends or name not in absorbed)
        | ends
        | frozenset(clusters)
    )
    return Layout(
        clustered=clustered,
        groups=groups,
        order=order,
        pairs={pair: tuple(keys) for pair, keys in pairs.items()},
        nodes=shown,
        internal=internal,
        touching={name: tuple(keys) for name, keys in touching.items()},
        listed=tuple(sorted(shown)),
    )
