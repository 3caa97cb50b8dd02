"""Cluster recognition over event-time buckets of address traffic, as the stream runs it."""

from __future__ import annotations

from models.address_traffic import AddressTraffic, may_be_data_store
from models.attribution import Attributed
from models.cluster_observations import AddressObservation
from models.clusters import find_clusters
from models.connection import ConnectionEvent, Kind
from models.graph_change import ChangeType, EntityKind
from models.topology import EdgeKey
from streams.cluster_finder import ClusterFinder
from streams.cluster_stage import ClusterStage, observations_from_dict, observations_to_dict

T0 = 1_700_000_000.0
REDIS = ["10.5.0.1", "10.5.0.2", "10.5.0.3"]


def redis_traffic(members: list[str]) -> list[AddressObservation]:
    rows = []
    for a in members:
        for b in members:
            if a != b:
                rows.append(AddressObservation(a, "cache", b, "cache", 16379, 3, 3))
        for client in ("10.1.0.1", "10.1.0.2"):
            rows.append(AddressObservation(client, "web", a, "cache", 6379, 5, 5))
    return rows


def test_cluster_appears_then_follows_a_member_leaving() -> None:
    stage = ClusterStage(interval_seconds=60, retention_seconds=120)
    changes = stage.add(redis_traffic(REDIS), T0)  # a replayed capture may arrive all at once
    assert stage.add(redis_traffic(REDIS), T0 + 30) == []  # before the next interval
    assert [(c.kind, c.change) for c in changes] == [(EntityKind.CLUSTER, ChangeType.APPEARED)]
    cluster = changes[0]
    assert cluster.key.startswith("cluster:redis:")
    assert cluster.payload["members"] == REDIS
    assert cluster.payload["engine"] == "redis"
    # Later only two members still talk: older buckets have left the retention.
    assert stage.add(redis_traffic(REDIS[:2]), T0 + 100) == []
    later = stage.add(redis_traffic(REDIS[:2]), T0 + 260)
    assert [(c.key, c.change) for c in later] == [(cluster.key, ChangeType.MEMBERSHIP)]
    assert later[0].payload["members"] == REDIS[:2]


def test_observation_messages_round_trip() -> None:
    rows = redis_traffic(REDIS)
    assert observations_from_dict(observations_to_dict(rows, T0)) == (rows, T0)


def test_only_data_store_candidates_are_counted() -> None:
    traffic = AddressTraffic()
    syn = ConnectionEvent(T0, "10.1.0.1", 40000, "10.5.0.1", 6379, Kind.SYN, None, 2, 0, 1, "m")
    ack = ConnectionEvent(T0, "10.5.0.1", 6379, "10.1.0.1", 40000, Kind.SYN_ACK, None, 2, 0, 1, "m")
    edge = EdgeKey("web", "cache", 6379)
    traffic.add(syn, Attributed(edge, None, None, Kind.SYN, T0))
    traffic.add(ack, Attributed(edge, None, None, Kind.SYN_ACK, T0))
    http = EdgeKey("web", "api", 8080)
    traffic.add(syn, Attributed(http, None, None, Kind.SYN, T0))
    assert traffic.drain() == [
        AddressObservation("10.1.0.1", "web", "10.5.0.1", "cache", 6379, 1, 1)
    ]
    assert traffic.drain() == []
    assert may_be_data_store(16379, "cache")
    assert may_be_data_store(7777, "unattributed:10.9.9.9")
    assert not may_be_data_store(8080, "api")


async def test_the_helper_process_finds_what_the_worker_would() -> None:
    traffic = redis_traffic(REDIS) + redis_traffic(["10.6.0.1", "10.6.0.2"])
    params = ClusterStage().params
    finder = ClusterFinder()
    try:
        found = await finder.find(traffic, params)
        again = await finder.find(redis_traffic(REDIS), params)  # the same helper, reused
    finally:
        finder.close()
    assert found == find_clusters(traffic, params)
    assert [sorted(c.members) for c in found] == [REDIS, ["10.6.0.1", "10.6.0.2"]]
    assert again == find_clusters(redis_traffic(REDIS), params)
    assert await ClusterFinder(in_process=True).find(traffic, params) == found


def test_take_then_adopt_is_add() -> None:
    whole, split = ClusterStage(60, 120), ClusterStage(60, 120)
    steps = [(T0, redis_traffic(REDIS)), (T0 + 30, []), (T0 + 200, redis_traffic(REDIS[:2]))]
    for at, rows in steps:
        expected = whole.add(rows, at)
        recent = split.take(rows, at)
        got = [] if recent is None else split.adopt(find_clusters(recent, split.params), at)
        assert got == expected
    assert split.tracker.clusters == whole.tracker.clusters
