"""Data-store clusters recognised from address-level traffic.

Members of one store talk to each other: replicas pull from a primary, Cassandra nodes gossip,
Redis nodes share a cluster bus. Those peer connections, between servers of the same engine,
are the edges of a graph whose connected components are clusters. A server without peer traffic
(a Memcached pool, a sharded store) joins a cluster or another such server when their client
sets largely coincide; two groups that each have their own peer traffic never merge that way.
"""

from __future__ import annotations

import ipaddress
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from itertools import combinations

import networkx as nx
from networkx.utils import UnionFind

from models.cluster_engines import Resolution, resolve_engines
from models.cluster_observations import AddressObservation, Listener, TrafficIndex
from models.cluster_params import ClusterParams
from models.datastore_ports import PortRole
from models.topology import CLUSTER_PREFIX, is_unattributed

Member = tuple[str, str]
"""An engine and a server address: an address running two engines is two members."""


@dataclass(frozen=True, slots=True)
class Cluster:
    """One recognised data-store cluster: a single node of the service graph."""

    node: str
    """Graph node, ``cluster:<engine>:<name>``; the tracker keeps it stable across changes."""
    engine: str
    """Catalogue engine name, or ``unknown:<port>``."""
    members: frozenset[str]
    """Server addresses of the members."""
    member_nodes: frozenset[str]
    """Graph nodes of the members (service names or unattributed nodes)."""
    ports: frozenset[int]
    """Ports the members listen on for this engine, client and peer."""
    clients: frozenset[str]
    """Client nodes outside the cluster that connect to its members."""


def find_clusters(
    observations: Iterable[AddressObservation], params: ClusterParams | None = None
) -> list[Cluster]:
    """The clusters in one window of observations, sorted by node."""
    params = params or ClusterParams()
    index = TrafficIndex.build(observations, params)
    resolved = resolve_engines(index, params)
    graph = _peer_graph(index, resolved)
    clients = _client_nodes(index, resolved, frozenset(graph.nodes))
    groups = _merge_similar(graph, clients, params, index.node)
    ports: defaultdict[Member, set[int]] = defaultdict(set)
    for (address, port), resolution in resolved.items():
        ports[(resolution.engine, address)].add(port)
    clusters = [
        _cluster(group, index, ports, clients)
        for group in groups
        if len(group) >= params.min_members
    ]
    return _disambiguate(clusters)


def _peer_graph(index: TrafficIndex, resolved: Mapping[Listener, Resolution]) -> nx.Graph[Member]:
    """Servers as nodes; an edge wherever one member connects to another of the same engine."""
    engines: defaultdict[str, set[str]] = defaultdict(set)
    for (address, _), resolution in resolved.items():
        engines[address].add(resolution.engine)
    graph: nx.Graph[Member] = nx.Graph()
    for (address, port), resolution in resolved.items():
        graph.add_node((resolution.engine, address))
        for client in index.clients.get((address, port), ()):
            if client == address:
                continue
            if resolution.role is PortRole.PEER or resolution.engine in engines.get(client, ()):
                graph.add_edge((resolution.engine, client), (resolution.engine, address))
    return graph


def _client_nodes(
    index: TrafficIndex, resolved: Mapping[Listener, Resolution], members: frozenset[Member]
) -> dict[Member, frozenset[str]]:
    """Each member's client nodes, leaving out its peers."""
    found: defaultdict[Member, set[str]] = defaultdict(set)
    for (address, port), resolution in resolved.items():
        if resolution.role is PortRole.PEER:
            continue
        for client in index.clients.get((address, port), ()):
            if client != address and (resolution.engine, client) not in members:
                found[(resolution.engine, address)].add(index.node(client))
    return {member: frozenset(nodes) for member, nodes in found.items()}


def _similar_pairs(
    clients: Mapping[Member, frozenset[str]], params: ClusterParams
) -> list[tuple[float, Member, Member]]:
    """Member pairs of one engine whose client sets pass the Jaccard test, most similar first.

    Clients that reach more servers of the engine than ``max_client_fanout`` (monitoring,
    backups) are left out of the sets: they say nothing about which servers belong together.
    """
    reached: defaultdict[tuple[str, str], list[Member]] = defaultdict(list)
    for member, nodes in clients.items():
        for node in nodes:
            reached[(member[0], node)].append(member)
    kept: defaultdict[Member, set[str]] = defaultdict(set)
    proposed: set[tuple[Member, Member]] = set()
    for (_, node), servers in reached.items():
        if len(servers) <= params.max_client_fanout:
            for server in servers:
                kept[server].add(node)
            proposed.update(combinations(sorted(servers), 2))
    pairs: list[tuple[float, Member, Member]] = []
    for first, second in proposed:
        count = len(kept[first] & kept[second])
        if count < params.min_shared_clients:
            continue
        jaccard = count / (len(kept[first]) + len(kept[second]) - count)
        if jaccard >= params.jaccard_threshold:
            pairs.append((-jaccard, first, second))
    pairs.sort()
    return pairs


def _merge_similar(
    graph: nx.Graph[Member],
    clients: Mapping[Member, frozenset[str]],
    params: ClusterParams,
    node_of: Callable[[str], str],
) -> list[set[Member]]:
    """Peer components, then similar servers merged in, never joining two peer components.

    Nor two servers the inventory names as different services: shared clients are a guess,
    the inventory is a statement (a service's database and its archive share their clients).
    """
    groups: UnionFind[Member] = UnionFind(graph.nodes)
    peered: dict[Member, bool] = {}
    services: dict[Member, frozenset[str]] = {}
    for component in nx.connected_components(graph):
        groups.union(*component)
        root = groups[next(iter(component))]
        peered[root] = len(component) > 1
        named = (node_of(address) for _, address in component)
        services[root] = frozenset(n for n in named if not is_unattributed(n))
    for _, first, second in _similar_pairs(clients, params):
        first_root, second_root = groups[first], groups[second]
        if first_root == second_root or (peered[first_root] and peered[second_root]):
            continue
        joined = services[first_root] | services[second_root]
        if len(joined) > 1:
            continue
        groups.union(first, second)
        root = groups[first]
        peered[root] = peered[first_root] or peered[second_root]
        services[root] = joined
    return list(groups.to_sets())


def _cluster(
    group: set[Member],
    index: TrafficIndex,
    ports: Mapping[Member, set[int]],
    clients: Mapping[Member, frozenset[str]],
) -> Cluster:
    engine = next(iter(group))[0]
    addresses = frozenset(address for _, address in group)
    nodes = frozenset(index.node(address) for address in addresses)
    named = Counter(index.node(a) for a in addresses if not is_unattributed(index.node(a)))
    if named:
        name = min(named.items(), key=lambda item: (-item[1], item[0]))[0]
    else:
        name = lowest_address(addresses)
    return Cluster(
        node=f"{CLUSTER_PREFIX}{engine}:{name}",
        engine=engine,
        members=addresses,
        member_nodes=nodes,
        ports=frozenset(port for member in group for port in ports.get(member, ())),
        clients=frozenset(node for member in group for node in clients.get(member, ())),
    )


def _disambiguate(clusters: list[Cluster]) -> list[Cluster]:
    """Clusters sharing a name (two Redis clusters of one service) get their lowest address."""
    counts = Counter(cluster.node for cluster in clusters)
    unique = [
        c if counts[c.node] == 1 else replace(c, node=f"{c.node}@{lowest_address(c.members)}")
        for c in clusters
    ]
    return sorted(unique, key=lambda cluster: cluster.node)


def address_order(address: str) -> tuple[int, int, str]:
    """Numeric order, IPv4 before IPv6; anything unparsable last, by text."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return (99, 0, address)
    return (parsed.version, int(parsed), address)


def lowest_address(addresses: Iterable[str]) -> str:
    return min(addresses, key=address_order)
