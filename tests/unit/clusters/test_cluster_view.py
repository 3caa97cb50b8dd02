"""Edges rewritten into the cluster view."""

from __future__ import annotations

from models.cluster_view import ClusterMembership, is_internal_edge, rewrite_edge
from models.clusters import Cluster
from models.topology import EdgeKey

REDIS = Cluster(
    node="cluster:redis:orders-cache",
    engine="redis",
    members=frozenset({"10.0.1.1", "10.0.1.2"}),
    member_nodes=frozenset({"orders-cache"}),
    ports=frozenset({6379, 16379}),
    clients=frozenset({"checkout"}),
)
KAFKA = Cluster(
    node="cluster:kafka:kafka",
    engine="kafka",
    members=frozenset({"10.0.4.1", "10.0.4.2"}),
    member_nodes=frozenset({"kafka"}),
    ports=frozenset({9092}),
    clients=frozenset({"producer"}),
)
ZOOKEEPER = Cluster(
    node="cluster:zookeeper:10.0.5.1",
    engine="zookeeper",
    members=frozenset({"10.0.5.1", "10.0.5.2"}),
    member_nodes=frozenset({"unattributed:10.0.5.1", "unattributed:10.0.5.2"}),
    ports=frozenset({2181, 2888, 3888}),
    clients=frozenset({"kafka"}),
)
MEMBERSHIP = ClusterMembership.of([REDIS, KAFKA, ZOOKEEPER])


def test_client_edge_to_a_member_becomes_an_edge_to_the_cluster() -> None:
    edge = EdgeKey("checkout", "orders-cache", 6379)

    assert rewrite_edge(edge, MEMBERSHIP) == EdgeKey("checkout", REDIS.node, 6379)


def test_every_member_maps_to_the_one_cluster_edge() -> None:
    edges = {
        rewrite_edge(EdgeKey("kafka", f"unattributed:10.0.5.{host}", 2181), MEMBERSHIP)
        for host in (1, 2)
    }

    assert edges == {EdgeKey(KAFKA.node, ZOOKEEPER.node, 2181)}


def test_peer_edges_inside_a_cluster_are_internal() -> None:
    edge = rewrite_edge(EdgeKey("unattributed:10.0.5.2", "unattributed:10.0.5.1", 2888), MEMBERSHIP)

    assert edge == EdgeKey(ZOOKEEPER.node, ZOOKEEPER.node, 2888)
    assert is_internal_edge(edge)
    assert not is_internal_edge(EdgeKey("checkout", REDIS.node, 6379))
    assert not is_internal_edge(EdgeKey("svc", "svc", 80))


def test_other_ports_of_a_member_and_unrelated_edges_are_unchanged() -> None:
    exporter = EdgeKey("prometheus", "orders-cache", 9121)
    unrelated = EdgeKey("checkout", "payments", 443)

    assert rewrite_edge(exporter, MEMBERSHIP) is exporter
    assert rewrite_edge(unrelated, MEMBERSHIP) is unrelated


def test_a_node_in_two_clusters_is_left_alone() -> None:
    other = Cluster(
        node="cluster:redis:orders-cache@10.0.2.1",
        engine="redis",
        members=frozenset({"10.0.2.1", "10.0.2.2"}),
        member_nodes=frozenset({"orders-cache"}),
        ports=frozenset({6379, 16379}),
        clients=frozenset({"checkout"}),
    )
    membership = ClusterMembership.of([REDIS, other])
    edge = EdgeKey("checkout", "orders-cache", 6379)

    assert rewrite_edge(edge, membership) is edge
    assert membership.cluster_of("orders-cache") is None
    assert membership.addresses[("10.0.2.1", 6379)] == other.node


def test_embedded_data_grid_leaves_the_application_its_own_client_edges() -> None:
    grid = Cluster(
        node="cluster:hazelcast:orders",
        engine="hazelcast",
        members=frozenset({"10.0.7.1", "10.0.7.2"}),
        member_nodes=frozenset({"orders"}),
        ports=frozenset({5701}),
        clients=frozenset({"checkout"}),
    )
    membership = ClusterMembership.of([grid])
    outgoing = EdgeKey("orders", "payments", 8443)

    assert rewrite_edge(outgoing, membership) is outgoing
    assert rewrite_edge(EdgeKey("orders", "orders", 5701), membership) == EdgeKey(
        grid.node, grid.node, 5701
    )
    assert rewrite_edge(EdgeKey("checkout", "orders", 5701), membership) == EdgeKey(
        "checkout", grid.node, 5701
    )
    assert membership.cluster_of("orders") == grid.node
