"""Contract: stream changes upserted and read back, idempotent and order-tolerant."""

from __future__ import annotations

import itertools

from models.graph_change import ChangeType
from sinks.sqlite_store import MEMORY, SqliteGraphStore
from sinks.store import GraphStore

from .builders import cluster, edge, node, snapshot

ESTATE = [
    node("api", at=10.0, zone="eu-1", instances=3),
    node("db", at=11.0, zone="eu-2"),
    edge("api", "db", 5432, at=20.0, change=ChangeType.APPEARED, attempts=4),
    edge("api", "cache", 6379, at=21.0, change=ChangeType.APPEARED),
    edge("api", "unattributed:10.0.0.9", 80, at=22.0, change=ChangeType.APPEARED),
    cluster("cluster:redis:cache", ["10.1.0.1", "10.1.0.2"], at=23.0),
    edge("api", "db", 5432, at=30.0, attempts=40),
]


def test_upsert_and_read_back(store: GraphStore) -> None:
    store.apply_changes(ESTATE)
    api = store.node("api")
    assert api is not None
    assert (api["name"], api["kind"], api["zone"], api["instances"]) == (
        "api",
        "service",
        "eu-1",
        3,
    )
    assert (api["change"], api["at"], api["first_at"], api["stale"]) == (
        "appeared",
        10.0,
        10.0,
        False,
    )
    row = store.edge("api|db|5432")
    assert row is not None
    assert (row["client"], row["server"], row["port"], row["key"]) == (
        "api",
        "db",
        5432,
        "api|db|5432",
    )
    assert (row["attempts"], row["answered"], row["change"], row["at"]) == (40, 39, "updated", 30.0)
    assert row["first_at"] == 20.0
    assert row["stale"] is False
    assert row["status"] == "active"
    assert row["last_window"] == {
        "start": 60.0,
        "attempts": 3,
        "answered": 3,
        "client_instances": 2,
    }
    assert store.edge("db|api|5432") is None
    assert store.node("nobody") is None
    counts = store.counts()
    assert (counts.nodes, counts.edges, counts.stale_edges, counts.clusters) == (5, 3, 0, 1)


def test_edge_and_cluster_changes_record_their_nodes(store: GraphStore) -> None:
    store.apply_changes(ESTATE)
    names = [row["name"] for row in store.nodes()]
    assert names == ["api", "cache", "cluster:redis:cache", "db", "unattributed:10.0.0.9"]
    implied = store.node("cache")
    assert implied is not None
    assert (implied["service"], implied["change"], implied["at"], implied["first_at"]) == (
        "cache",
        None,
        None,
        21.0,
    )
    address = store.node("unattributed:10.0.0.9")
    assert address is not None
    assert address["kind"] == "unattributed"
    assert address["address"] == "10.0.0.9"


def test_node_and_edge_filters(store: GraphStore) -> None:
    store.apply_changes(ESTATE)
    assert [row["name"] for row in store.nodes(zone="eu-1")] == ["api"]
    assert [row["name"] for row in store.nodes(kind="cluster")] == ["cluster:redis:cache"]
    assert [row["name"] for row in store.nodes(kind="service", zone="eu-2")] == ["db"]
    assert [row["name"] for row in store.nodes(names=["db", "api", "nobody"])] == ["api", "db"]
    assert store.nodes(zone="mars") == []
    all_keys = ["api|cache|6379", "api|db|5432", "api|unattributed:10.0.0.9|80"]
    assert [row["key"] for row in store.edges()] == all_keys
    assert [row["key"] for row in store.edges(client="api")] == all_keys
    assert [row["key"] for row in store.edges(server="db")] == ["api|db|5432"]
    assert [row["key"] for row in store.edges(client="db")] == []
    assert [row["key"] for row in store.edges(keys=["api|db|5432", "x|y|1"])] == ["api|db|5432"]
    assert [row["key"] for row in store.edges(client="api", server="cache")] == ["api|cache|6379"]


def test_a_batch_equals_its_changes_one_by_one(store: GraphStore) -> None:
    store.apply_changes(ESTATE)
    with SqliteGraphStore(MEMORY) as singles:
        for change in ESTATE:
            singles.apply_change(change)
        assert snapshot(store) == snapshot(singles)


def test_replaying_a_batch_changes_nothing(store: GraphStore) -> None:
    store.apply_changes(ESTATE)
    before = snapshot(store)
    store.apply_changes(ESTATE)
    store.apply_changes(ESTATE[3:])
    for change in ESTATE:
        store.apply_change(change)
    assert snapshot(store) == before


def test_any_order_gives_the_same_state(store: GraphStore) -> None:
    changes = [
        edge("a", "b", at=10.0, change=ChangeType.APPEARED, attempts=1),
        edge("a", "b", at=20.0, attempts=2),
        edge("a", "b", at=30.0, change=ChangeType.STALE, attempts=3, status="stale"),
        node("a", at=5.0, zone="z1"),
        node("a", at=25.0, instances=4),
    ]
    store.apply_changes(changes)
    expected = snapshot(store)
    row = store.edge("a|b|443")
    assert row is not None
    assert (row["attempts"], row["first_at"], row["stale"]) == (3, 10.0, True)
    a = store.node("a")
    assert a is not None
    assert (a["zone"], a["instances"], a["at"], a["first_at"]) == (
        "z1",
        4,
        25.0,
        5.0,
    )
    for order in itertools.permutations(changes):
        with SqliteGraphStore(MEMORY) as other:
            for change in order:
                other.apply_change(change)
            assert snapshot(other) == expected, order


def test_an_older_change_after_a_newer_one_is_ignored(store: GraphStore) -> None:
    store.apply_changes([edge("a", "b", at=50.0, attempts=9)])
    store.apply_changes([edge("a", "b", at=40.0, attempts=1)])
    row = store.edge("a|b|443")
    assert row is not None
    assert (row["attempts"], row["at"], row["first_at"]) == (9, 50.0, 40.0)


def test_equal_times_the_later_change_wins(store: GraphStore) -> None:
    store.apply_changes([edge("a", "b", at=50.0, attempts=1), edge("a", "b", at=50.0, attempts=2)])
    row = store.edge("a|b|443")
    assert row is not None
    assert row["attempts"] == 2


def test_stale_keeps_the_payload_and_reactivated_clears_the_flag(store: GraphStore) -> None:
    store.apply_changes([edge("a", "b", at=10.0, attempts=5)])
    store.apply_changes(
        [edge("a", "b", at=20.0, change=ChangeType.STALE, attempts=5, status="stale")]
    )
    stale = store.edge("a|b|443")
    assert stale is not None
    assert (
        stale["stale"],
        stale["change"],
        stale["attempts"],
        stale["last_window"]["attempts"],
    ) == (True, "stale", 5, 3)
    assert store.counts().stale_edges == 1
    store.apply_changes([edge("a", "b", at=30.0, change=ChangeType.REACTIVATED, attempts=7)])
    back = store.edge("a|b|443")
    assert back is not None
    assert (back["stale"], back["change"], back["attempts"]) == (
        False,
        "reactivated",
        7,
    )
    assert store.counts().stale_edges == 0


def test_clusters_follow_membership(store: GraphStore) -> None:
    store.apply_changes([cluster("cluster:redis:c", ["10.0.0.1", "10.0.0.2"], at=10.0)])
    store.apply_changes(
        [
            cluster(
                "cluster:redis:c", ["10.0.0.1", "10.0.0.3"], at=20.0, change=ChangeType.MEMBERSHIP
            )
        ]
    )
    row = store.cluster("cluster:redis:c")
    assert row is not None
    assert (row["id"], row["engine"], row["members"], row["ports"]) == (
        "cluster:redis:c",
        "redis",
        ["10.0.0.1", "10.0.0.3"],
        [6379],
    )
    assert (row["change"], row["first_at"], row["stale"]) == ("membership", 10.0, False)
    store.apply_changes(
        [cluster("cluster:redis:c", ["10.0.0.1"], at=30.0, change=ChangeType.STALE)]
    )
    dissolved = store.cluster("cluster:redis:c")
    assert dissolved is not None
    assert dissolved["stale"] is True
    assert dissolved["members"] == ["10.0.0.1"]
    assert [row["id"] for row in store.clusters()] == ["cluster:redis:c"]
    node_row = store.node("cluster:redis:c")
    assert node_row is not None
    assert (node_row["kind"], node_row["cluster"]) == (
        "cluster",
        "redis:c",
    )
    assert store.cluster("cluster:redis:other") is None


def test_an_empty_batch_writes_nothing(store: GraphStore) -> None:
    store.apply_changes([])
    assert store.counts().nodes == 0
    assert store.nodes() == []
    assert store.edges() == []
