"""Cluster recognition on hand-built estates."""

from __future__ import annotations

from models.cluster_params import ClusterParams
from models.clusters import Cluster, find_clusters
from tests.unit.clusters.conftest import app, ips, mesh, seen, served


def by_engine(clusters: list[Cluster], engine: str) -> list[Cluster]:
    return [cluster for cluster in clusters if cluster.engine == engine]


def test_redis_cluster_with_bus_and_a_standalone_redis() -> None:
    nodes = ips("10.0.1", 3)
    traffic = served(nodes, 6379, app("checkout", "10.9.0", 5))
    traffic += mesh(nodes, 16379)
    traffic += served(["10.0.2.1"], 6379, app("profile", "10.9.1", 4))

    clusters = find_clusters(traffic)

    assert len(clusters) == 1
    (redis,) = clusters
    assert redis.engine == "redis"
    assert redis.members == frozenset(nodes)
    assert redis.node == "cluster:redis:10.0.1.1"
    assert redis.clients == frozenset({"checkout"})
    assert redis.ports == frozenset({6379, 16379})


def test_cluster_named_after_the_service_the_inventory_gives_its_members() -> None:
    nodes = ips("10.0.1", 3)
    traffic = served(nodes, 6379, app("checkout", "10.9.0"), server_node="orders-cache")
    traffic += mesh(nodes, 16379, server_node="orders-cache")

    (redis,) = find_clusters(traffic)

    assert redis.node == "cluster:redis:orders-cache"
    assert redis.member_nodes == frozenset({"orders-cache"})


def test_redis_cluster_on_non_default_ports_is_found_by_its_bus_offset() -> None:
    nodes = ips("10.0.1", 3)
    traffic = served(nodes, 7000, app("checkout", "10.9.0"))
    traffic += mesh(nodes, 17000)

    (redis,) = find_clusters(traffic)

    assert redis.engine == "redis"
    assert redis.ports == frozenset({7000, 17000})


def test_cassandra_ring_with_gossip_and_a_node_that_only_gossips() -> None:
    ring = ips("10.0.3", 4)
    traffic = served(ring, 9042, app("orders", "10.9.2", 4))
    traffic += [seen(a, b, 7000) for a, b in zip(ring, ring[1:] + ring[:1], strict=True)]
    traffic += [seen("10.0.3.9", ring[0], 7000), seen(ring[1], "10.0.3.9", 7000)]

    (cassandra,) = find_clusters(traffic)

    assert cassandra.engine == "cassandra"
    assert cassandra.members == frozenset([*ring, "10.0.3.9"])
    assert cassandra.clients == frozenset({"orders"})


def test_kafka_brokers_and_their_zookeeper_ensemble_are_two_clusters() -> None:
    brokers = ips("10.0.4", 3)
    ensemble = ips("10.0.5", 3)
    clients = app("producer", "10.9.3") + app("consumer", "10.9.4")
    traffic = served(brokers, 9092, clients, server_node="kafka")
    traffic += mesh(brokers, 9092, server_node="kafka")
    traffic += [seen(b, z, 2181, client_node="kafka") for b in brokers for z in ensemble]
    traffic += [seen(follower, ensemble[0], 2888) for follower in ensemble[1:]]
    traffic += mesh(ensemble, 3888)

    clusters = find_clusters(traffic)

    (kafka,) = by_engine(clusters, "kafka")
    (zookeeper,) = by_engine(clusters, "zookeeper")
    assert kafka.node == "cluster:kafka:kafka"
    assert kafka.members == frozenset(brokers)
    assert kafka.clients == frozenset({"producer", "consumer"})
    assert zookeeper.members == frozenset(ensemble)
    assert zookeeper.clients == frozenset({"kafka"})
    assert zookeeper.ports == frozenset({2181, 2888, 3888})


def test_mysql_primary_and_replica() -> None:
    primary, replica = "10.0.6.1", "10.0.6.2"
    traffic = served([primary], 3306, app("billing", "10.9.5"))
    traffic += served([replica], 3306, app("billing-reports", "10.9.6", 1))
    traffic.append(seen(replica, primary, 3306))

    (mysql,) = find_clusters(traffic)

    assert mysql.engine == "mysql"
    assert mysql.members == frozenset({primary, replica})
    assert mysql.clients == frozenset({"billing", "billing-reports"})


def test_unknown_engine_with_shared_clients() -> None:
    servers = ips("10.0.7", 3)
    clients = app("search-api", "10.9.7", 2) + app("indexer", "10.9.8", 2)
    traffic = served(servers, 7777, clients + app("reports", "10.9.9", 1))

    (unknown,) = find_clusters(traffic)

    assert unknown.engine == "unknown:7777"
    assert unknown.node == "cluster:unknown:7777:10.0.7.1"
    assert unknown.members == frozenset(servers)


def test_unknown_engine_on_named_servers_is_left_to_its_service() -> None:
    servers = ips("10.0.7", 3)
    traffic = served(servers, 7777, app("a", "10.9.7") + app("b", "10.9.8"), server_node="search")

    assert find_clusters(traffic) == []
    lenient = ClusterParams(unknown_unattributed_only=False)
    (unknown,) = find_clusters(traffic, lenient)
    assert unknown.node == "cluster:unknown:7777:search"


def test_two_unrelated_postgres_servers_are_not_merged() -> None:
    traffic = served(["10.0.8.1"], 5432, app("ledger", "10.9.10") + app("audit", "10.9.11"))
    traffic += served(["10.0.8.2"], 5432, app("catalog", "10.9.12") + app("search", "10.9.13"))

    assert find_clusters(traffic) == []


def test_one_shared_client_does_not_link_servers() -> None:
    traffic = served(["10.0.8.1"], 5432, app("monitoring", "10.9.14", 1))
    traffic += served(["10.0.8.2"], 5432, app("monitoring", "10.9.14", 1))

    assert find_clusters(traffic) == []


def test_memcached_pool_without_peer_traffic_joins_by_shared_clients() -> None:
    pool = ips("10.0.12", 4)
    traffic = served(pool, 11211, app("web", "10.9.15") + app("api", "10.9.16"))

    (memcached,) = find_clusters(traffic)

    assert memcached.members == frozenset(pool)


def test_server_with_the_clients_of_a_peer_cluster_joins_it() -> None:
    nodes = ips("10.0.1", 3)
    clients = app("checkout", "10.9.0") + app("cart", "10.9.17")
    traffic = served([*nodes, "10.0.1.4"], 6379, clients)
    traffic += mesh(nodes, 16379)

    (redis,) = find_clusters(traffic)

    assert redis.members == frozenset([*nodes, "10.0.1.4"])


def test_two_peer_clusters_with_the_same_clients_stay_apart() -> None:
    first, second = ips("10.0.1", 3), ips("10.0.2", 3)
    clients = app("checkout", "10.9.0") + app("cart", "10.9.17")
    traffic = served(first + second, 6379, clients)
    traffic += mesh(first, 16379) + mesh(second, 16379)

    clusters = find_clusters(traffic)

    assert sorted(cluster.members for cluster in clusters) == sorted(
        [frozenset(first), frozenset(second)]
    )


def test_same_service_name_twice_is_disambiguated_by_address() -> None:
    first, second = ips("10.0.1", 2), ips("10.0.2", 2)
    traffic = served(first, 6379, app("a", "10.9.0"), server_node="cache")
    traffic += mesh(first, 16379, server_node="cache")
    traffic += served(second, 6379, app("b", "10.9.1"), server_node="cache")
    traffic += mesh(second, 16379, server_node="cache")

    nodes = [cluster.node for cluster in find_clusters(traffic)]

    assert nodes == ["cluster:redis:cache@10.0.1.1", "cluster:redis:cache@10.0.2.1"]


def test_ambiguous_port_9000_is_settled_by_the_peer_port_seen() -> None:
    clickhouse = ips("10.0.9", 2)
    traffic = served(clickhouse, 9000, app("analytics", "10.9.18"))
    traffic += mesh(clickhouse, 9009)
    namenode, datanodes = "10.0.10.1", ips("10.0.10", 2, first=2)
    traffic += served([namenode], 9870, app("ops", "10.9.19", 1))
    traffic += served([namenode], 9000, app("etl", "10.9.20"))
    traffic += served(datanodes, 9866, app("etl", "10.9.20"))
    traffic += [seen(datanode, namenode, 9000) for datanode in datanodes]
    minio = ips("10.0.11", 2)
    traffic += served(minio, 9000, app("backup", "10.9.21"))
    traffic += mesh(minio, 9000)

    clusters = {cluster.engine: cluster.members for cluster in find_clusters(traffic)}

    assert clusters == {
        "clickhouse": frozenset(clickhouse),
        "hdfs": frozenset([namenode, *datanodes]),
        "unknown:9000": frozenset(minio),
    }


def test_unanswered_ports_and_excluded_ports_are_not_listeners() -> None:
    servers = ips("10.0.13", 2)
    traffic = [seen(a, b, 6379, answered=0) for a in servers for b in servers if a != b]
    traffic += mesh(servers, 443)

    assert find_clusters(traffic) == []
    (trusting,) = find_clusters(traffic, ClusterParams(min_answered=0))
    assert trusting.engine == "redis"


def test_an_address_running_two_engines_is_a_member_of_both() -> None:
    hosts = ips("10.0.14", 3)
    traffic = served(hosts, 9092, app("producer", "10.9.22"))
    traffic += mesh(hosts, 9092)
    traffic += mesh(hosts, 2181) + mesh(hosts, 2888)

    clusters = {cluster.engine: cluster.members for cluster in find_clusters(traffic)}

    assert clusters == {"kafka": frozenset(hosts), "zookeeper": frozenset(hosts)}


def test_result_does_not_depend_on_observation_order() -> None:
    nodes = ips("10.0.1", 3)
    traffic = served(nodes, 6379, app("checkout", "10.9.0")) + mesh(nodes, 16379)
    traffic += served(ips("10.0.12", 3), 11211, app("web", "10.9.15") + app("api", "10.9.16"))

    assert find_clusters(traffic) == find_clusters(list(reversed(traffic)))


def test_consul_servers_cluster_without_swallowing_every_agent() -> None:
    servers = ips("10.0.15", 3)
    agents = ips("10.0.16", 20)
    traffic = mesh(servers, 8300) + mesh(servers, 8302)
    traffic += [seen(agent, server, 8300) for agent in agents for server in servers]
    traffic += mesh([*servers, *agents[:5]], 8301)

    (consul,) = find_clusters(traffic)

    assert consul.engine == "consul"
    assert consul.members == frozenset(servers)


def test_servers_the_inventory_names_differently_are_not_merged_by_clients() -> None:
    """A database and its archive share their clients but are two services, not a cluster."""
    clients = app("catalog", "10.9.30") + app("monitoring", "10.9.31", 1)
    traffic = served(["10.0.30.1"], 5432, clients, server_node="catalog-db")
    traffic += served(["10.0.30.2"], 5432, clients, server_node="catalog-archive-db")

    assert find_clusters(traffic) == []
    # The same pair without names in the inventory is a pool recognised by its clients.
    pool = served(["10.0.30.1", "10.0.30.2"], 5432, clients)
    (cluster,) = find_clusters(pool)
    assert cluster.members == frozenset({"10.0.30.1", "10.0.30.2"})
