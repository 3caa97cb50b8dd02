"""The cluster view of the service graph: edges to any member become one edge to the cluster.

Planners ask "what depends on the orders Redis", not "on 10.0.4.17:6379". Once clusters are
known, an edge's server (and its client, when a member connects elsewhere, as Kafka brokers do
to ZooKeeper) is replaced by the cluster node. Traffic between members of one cluster is
replication or gossip, not a dependency: it becomes a self-loop the wiring can recognise with
``is_internal_edge`` and keep out of client edges.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from models.clusters import Cluster
from models.topology import CLUSTER_PREFIX, EdgeKey

_K = TypeVar("_K", bound=Hashable)


@dataclass(frozen=True, slots=True)
class ClusterMembership:
    """Lookups from members to their cluster node; ambiguous keys are left out."""

    servers: Mapping[tuple[str, int], str]
    """Member node and one of the cluster's ports, to the cluster node."""
    nodes: Mapping[str, str]
    """Member node to the cluster node, when the node belongs to exactly one cluster."""
    addresses: Mapping[tuple[str, int], str]
    """Member address and one of the cluster's ports, to the cluster node (for address-level
    wiring)."""

    @classmethod
    def of(cls, clusters: Iterable[Cluster]) -> ClusterMembership:
        """Index clusters; a key two clusters claim (one service, two stores) maps to neither."""
        servers: defaultdict[tuple[str, int], set[str]] = defaultdict(set)
        nodes: defaultdict[str, set[str]] = defaultdict(set)
        addresses: defaultdict[tuple[str, int], set[str]] = defaultdict(set)
        for cluster in clusters:
            for port in cluster.ports:
                for node in cluster.member_nodes:
                    servers[(node, port)].add(cluster.node)
                for address in cluster.members:
                    addresses[(address, port)].add(cluster.node)
            for node in cluster.member_nodes:
                nodes[node].add(cluster.node)
        return cls(_unambiguous(servers), _unambiguous(nodes), _unambiguous(addresses))

    def cluster_of(self, node: str) -> str | None:
        """The cluster a member node belongs to; None for non-members and ambiguous nodes."""
        return self.nodes.get(node)


def _unambiguous(claims: Mapping[_K, set[str]]) -> dict[_K, str]:
    return {key: next(iter(found)) for key, found in claims.items() if len(found) == 1}


def rewrite_edge(edge_key: EdgeKey, membership: ClusterMembership) -> EdgeKey:
    """The edge as the cluster view sees it; unchanged when neither end is a member.

    The server side is rewritten only on the cluster's own ports (a member's metrics exporter
    stays the member's), the client side whenever the client node belongs to one cluster.
    """
    server = membership.servers.get((edge_key.server, edge_key.port), edge_key.server)
    client = membership.nodes.get(edge_key.client, edge_key.client)
    if server == edge_key.server and client == edge_key.client:
        return edge_key
    return EdgeKey(client, server, edge_key.port)


def is_internal_edge(edge_key: EdgeKey) -> bool:
    """Whether a rewritten edge is peer traffic inside one cluster, not a client dependency."""
    return edge_key.client == edge_key.server and edge_key.server.startswith(CLUSTER_PREFIX)
