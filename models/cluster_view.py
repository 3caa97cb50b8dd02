"""The cluster view of the service graph: edges to any member become one edge to the cluster.

Planners ask "what depends on the orders Redis", not "on 10.0.4.17:6379". Once clusters are
known, an edge's server is replaced by the cluster node on the cluster's ports, and its client
too when the cluster speaks for the client node (Kafka brokers calling ZooKeeper become the
Kafka cluster calling the ZooKeeper cluster). Traffic between members of one cluster is
replication or gossip, not a dependency: it becomes a self-loop on the cluster node that the
wiring recognises with ``is_internal_edge`` and keeps out of client edges.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from models.clusters import Cluster
from models.datastore_ports import engine_named
from models.topology import CLUSTER_PREFIX, EdgeKey, is_unattributed

_K = TypeVar("_K", bound=Hashable)


@dataclass(frozen=True, slots=True)
class ClusterMembership:
    """Lookups from members to their cluster node; keys two clusters claim are left out."""

    servers: Mapping[tuple[str, int], str]
    """Member node and one of the cluster's ports, to the cluster node."""
    clients: Mapping[str, str]
    """Member node whose outgoing edges are the cluster's, to the cluster node: unattributed
    members always, named ones unless the engine may be embedded in an application."""
    member_of: Mapping[str, frozenset[str]]
    """Member node to every cluster it belongs to (for recognising internal traffic)."""
    addresses: Mapping[tuple[str, int], str]
    """Member address and one of the cluster's ports, to the cluster node (for address-level
    wiring)."""

    @classmethod
    def of(cls, clusters: Iterable[Cluster]) -> ClusterMembership:
        """Index clusters; a key two clusters claim (one service, two stores) maps to neither."""
        servers: defaultdict[tuple[str, int], set[str]] = defaultdict(set)
        clients: defaultdict[str, set[str]] = defaultdict(set)
        member_of: defaultdict[str, set[str]] = defaultdict(set)
        addresses: defaultdict[tuple[str, int], set[str]] = defaultdict(set)
        for cluster in clusters:
            engine = engine_named(cluster.engine)
            standalone = engine is not None and not engine.embedded
            for node in cluster.member_nodes:
                member_of[node].add(cluster.node)
                if standalone or is_unattributed(node):
                    clients[node].add(cluster.node)
                for port in cluster.ports:
                    servers[(node, port)].add(cluster.node)
            for address in cluster.members:
                for port in cluster.ports:
                    addresses[(address, port)].add(cluster.node)
        return cls(
            servers=_unambiguous(servers),
            clients=_unambiguous(clients),
            member_of={node: frozenset(found) for node, found in member_of.items()},
            addresses=_unambiguous(addresses),
        )

    def cluster_of(self, node: str) -> str | None:
        """The one cluster a node belongs to; None for non-members and members of several."""
        found = self.member_of.get(node, frozenset())
        return next(iter(found)) if len(found) == 1 else None


def _unambiguous(claims: Mapping[_K, set[str]]) -> dict[_K, str]:
    return {key: next(iter(found)) for key, found in claims.items() if len(found) == 1}


def rewrite_edge(edge_key: EdgeKey, membership: ClusterMembership) -> EdgeKey:
    """The edge as the cluster view sees it; the same key when neither end is rewritten.

    The server side is rewritten only on the cluster's own ports (a member's metrics exporter
    stays the member's). A member calling its own cluster is internal whatever its node.
    """
    server = membership.servers.get((edge_key.server, edge_key.port), edge_key.server)
    if server != edge_key.server and server in membership.member_of.get(edge_key.client, ()):
        return EdgeKey(server, server, edge_key.port)
    client = membership.clients.get(edge_key.client, edge_key.client)
    if server == edge_key.server and client == edge_key.client:
        return edge_key
    return EdgeKey(client, server, edge_key.port)


def is_internal_edge(edge_key: EdgeKey) -> bool:
    """Whether a rewritten edge is peer traffic inside one cluster, not a client dependency."""
    return edge_key.client == edge_key.server and edge_key.server.startswith(CLUSTER_PREFIX)
