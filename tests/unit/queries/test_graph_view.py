"""The graph view: folding changes in, and every query over the result."""

from __future__ import annotations

import random

import pytest

from models.anomaly_record import AnomalyKind, Severity
from models.anomaly_tracker import TransitionKind
from models.errors import GraphChangeError
from models.graph_change import ChangeType, EntityKind, GraphChange
from models.graph_view import GraphView
from models.query_input import MAX_HOPS, BadQueryError, NotFoundError
from models.topology import EdgeKey
from tests.unit.queries.conftest import REDIS, T0, anomaly, cluster, edge, estate, node

U51, U52 = "unattributed:10.0.5.1", "unattributed:10.0.5.2"
U99, U98 = "unattributed:10.9.9.9", "unattributed:10.9.9.8"


def view_of(*changes: GraphChange) -> GraphView:
    view = GraphView()
    view.apply_all(changes)
    return view


def edge_keys(body: dict[str, object]) -> list[tuple[str, str, int]]:
    edges = body["edges"]
    assert isinstance(edges, list)
    return [(row["client"], row["server"], row["port"]) for row in edges]


def names(rows: object) -> list[str]:
    assert isinstance(rows, list)
    return [row["name"] for row in rows]


@pytest.fixture
def view() -> GraphView:
    return view_of(*estate())


def test_the_whole_topology_lists_every_node_and_edge_in_order(view: GraphView) -> None:
    body = view.topology()

    assert names(body["nodes"]) == sorted(["api", "db", "web", U51, U52, U99, U98])
    assert edge_keys(body) == sorted(
        [
            ("web", "api", 8080),
            ("api", "db", 5432),
            ("api", U51, 6379),
            ("api", U52, 6379),
            (U52, U51, 16379),
            ("web", U99, 9999),
            ("db", U98, 443),
        ]
    )
    assert (body["total_nodes"], body["total_edges"], body["truncated"]) == (7, 7, False)
    web = body["nodes"][names(body["nodes"]).index("web")]
    assert (web["kind"], web["zone"], web["instances"]) == ("service", "a", 2)
    assert web["service"] == "web"
    unknown = body["nodes"][names(body["nodes"]).index(U99)]
    assert (unknown["kind"], unknown["address"]) == ("unattributed", "10.9.9.9")


def test_a_service_filter_keeps_the_edges_touching_it(view: GraphView) -> None:
    body = view.topology(service="api")

    assert edge_keys(body) == [
        ("api", "db", 5432),
        ("api", U51, 6379),
        ("api", U52, 6379),
        ("web", "api", 8080),
    ]
    assert names(body["nodes"]) == ["api", "db", U51, U52, "web"]


@pytest.mark.parametrize("clustered", [False, True])
def test_a_service_filter_answers_what_a_pass_over_every_edge_finds(clustered: bool) -> None:
    rng = random.Random(3)
    services = [f"s{n}" for n in range(30)]
    zones = {name: rng.choice(["a", "b"]) for name in services[:25]}
    changes = [node(name, zone) for name, zone in zones.items()]
    for _ in range(150):
        client, server = rng.choice(services), rng.choice([*services, U51, U52])
        status = rng.choice(["active", "stale"])
        changes.append(edge(client, server, rng.choice([80, 443]), status=status))
    view = view_of(*changes, REDIS)
    every = view.topology(clustered=clustered, limit=10_000)["edges"]
    for name in [*services, U51, "cluster:redis:10.0.5.1", "nobody"]:
        for zone, status in ((None, None), ("a", None), (None, "stale")):
            if zone is not None and zones.get(name) != zone:
                expected = []
            else:
                expected = [
                    row
                    for row in every
                    if name in (row["client"], row["server"]) and status in (None, row["status"])
                ]
            body = view.topology(
                service=name, zone=zone, status=status, clustered=clustered, limit=10_000
            )
            assert body["edges"] == expected, (name, zone, status)
            ends = {end for row in expected for end in (row["client"], row["server"])}
            assert set(names(body["nodes"])) - ends <= {name}


def test_zone_kind_and_status_filters(view: GraphView) -> None:
    assert edge_keys(view.topology(zone="b")) == [("api", "db", 5432), ("db", U98, 443)]
    unattributed = view.topology(kind="unattributed")
    assert len(edge_keys(unattributed)) == 5
    assert ("web", "api", 8080) not in edge_keys(unattributed)
    stale = view.topology(status="stale")
    assert edge_keys(stale) == [("db", U98, 443)]
    assert names(stale["nodes"]) == ["db", U98]
    assert edge_keys(view.topology(service="db", status="active")) == [("api", "db", 5432)]
    nowhere = view.topology(zone="nowhere")
    assert (nowhere["nodes"], nowhere["edges"], nowhere["total_nodes"]) == ([], [], 0)


def test_limit_cuts_and_says_so(view: GraphView) -> None:
    body = view.topology(limit="2")

    assert (len(body["edges"]), len(body["nodes"])) == (2, 2)
    assert (body["truncated"], body["total_edges"]) == (True, 7)
    assert view.unattributed(limit=1)["truncated"] is True


@pytest.mark.parametrize(
    ("hops", "expected"),
    [
        (1, {"api": 1, U99: 1}),
        (2, {"api": 1, U99: 1, "db": 2, U51: 2, U52: 2}),
        (3, {"api": 1, U99: 1, "db": 2, U51: 2, U52: 2, U98: 3}),
    ],
)
def test_downstream_grows_one_hop_at_a_time(
    view: GraphView, hops: int, expected: dict[str, int]
) -> None:
    body = view.neighbours("web", "down", hops)

    assert {row["name"]: row["distance"] for row in body["downstream"]} == expected
    assert body["upstream"] == []
    assert body["node"]["name"] == "web"


def test_downstream_edges_are_the_walked_ones(view: GraphView) -> None:
    body = view.neighbours("web", "down", 2)

    # U52 -> U51 joins two nodes of the last hop: not walked.
    assert edge_keys(body) == sorted(
        [
            ("web", "api", 8080),
            ("web", U99, 9999),
            ("api", "db", 5432),
            ("api", U51, 6379),
            ("api", U52, 6379),
        ]
    )
    assert (U52, U51, 16379) in edge_keys(view.neighbours("web", "down", 3))


def test_upstream_and_both(view: GraphView) -> None:
    up = view.neighbours(U51, "up", 2)
    assert {row["name"]: row["distance"] for row in up["upstream"]} == {
        "api": 1,
        U52: 1,
        "web": 2,
    }
    both = view.neighbours("api", "both", 1)
    assert [row["name"] for row in both["upstream"]] == ["web"]
    assert [row["name"] for row in both["downstream"]] == ["db", U51, U52]
    assert ("web", "api", 8080) in edge_keys(both)


def test_clustered_view_merges_member_edges_and_hides_peer_traffic(view: GraphView) -> None:
    view.apply(REDIS)
    body = view.topology(clustered=True)

    node = REDIS.key
    assert (("api", node, 6379)) in edge_keys(body)
    assert not any(U51 in key or U52 in key for key in edge_keys(body))
    merged = body["edges"][edge_keys(body).index(("api", node, 6379))]
    assert (merged["attempts"], merged["answered"], merged["answer_ratio"]) == (50, 50, 1.0)
    assert merged["last_window"]["attempts"] == 50
    assert merged["merged_edges"] == [f"api|{U51}|6379", f"api|{U52}|6379"]
    assert merged["rate"] == pytest.approx(50 / 60)
    assert body["internal_edges"] == 1
    assert U51 not in names(body["nodes"])
    assert node in names(body["nodes"])
    cluster_node = body["nodes"][names(body["nodes"]).index(node)]
    assert (cluster_node["kind"], cluster_node["engine"]) == ("cluster", "redis")
    assert view.topology(kind="cluster", clustered=True)["total_edges"] == 1
    down = view.neighbours("web", "down", 2, clustered=True)
    assert node in [row["name"] for row in down["downstream"]]
    # The raw view is untouched.
    assert ("api", U51, 6379) in edge_keys(view.topology())


def test_clusters_list_members_ports_and_clients(view: GraphView) -> None:
    view.apply(REDIS)
    view.apply(
        cluster(
            "cluster:redis:cache",
            "redis",
            ["10.0.6.1", "10.0.6.2"],
            member_nodes=["cache"],
            ports=[6379],
        )
    )
    rows = view.clusters()["clusters"]

    assert [row["cluster"] for row in rows] == [REDIS.key, "cluster:redis:cache"]
    redis = rows[0]
    assert redis["members"] == ["10.0.5.1", "10.0.5.2"]
    assert redis["ports"] == [6379, 16379]
    assert (redis["clients"], redis["attempts"], redis["status"]) == (["api"], 50, "active")
    assert rows[1]["member_nodes"] == ["cache"]
    view.apply(cluster(REDIS.key, "redis", ["10.0.5.1", "10.0.5.2"], change=ChangeType.STALE))
    assert view.clusters()["clusters"][0]["status"] == "stale"
    # A stale cluster no longer rewrites edges.
    assert ("api", U51, 6379) in edge_keys(view.topology(clustered=True))


def test_anomalies_are_raised_updated_and_resolved() -> None:
    view = GraphView()
    view.apply_anomaly(anomaly(TransitionKind.RAISED, at=T0))
    view.apply_anomaly(
        anomaly(
            TransitionKind.RAISED,
            AnomalyKind.NEW_EDGE,
            EdgeKey("web", "db", 5432),
            at=T0 + 120,
        )
    )
    view.apply_anomaly(anomaly(TransitionKind.UPDATED, at=T0 + 60, severity=Severity.CRITICAL))

    rows = view.anomalies()["anomalies"]
    assert [(row["kind"], row["severity"]) for row in rows] == [
        ("failing_edge", "critical"),
        ("new_edge", "warning"),
    ]
    assert (rows[0]["raised_at"], rows[0]["at"]) == (T0, T0 + 60)
    assert [row["kind"] for row in view.anomalies(kind="new_edge")["anomalies"]] == ["new_edge"]

    view.apply_anomaly(anomaly(TransitionKind.RESOLVED, at=T0 + 180))
    view.apply_anomaly(anomaly(TransitionKind.RAISED, at=T0))  # an old message, replayed
    assert [row["kind"] for row in view.anomalies()["anomalies"]] == ["new_edge"]
    assert view.summary()["anomalies"] == 1


def test_unattributed_addresses_are_ordered_by_traffic_into_them(view: GraphView) -> None:
    rows = view.unattributed()["unattributed"]

    assert [row["address"] for row in rows] == ["10.9.9.8", "10.0.5.1", "10.0.5.2", "10.9.9.9"]
    assert [row["attempts"] for row in rows] == [50, 35, 20, 7]
    assert rows[1]["top_clients"] == [
        {"client": "api", "attempts": 30},
        {"client": U52, "attempts": 5},
    ]
    assert (rows[2]["outgoing_attempts"], rows[3]["answered"], rows[3]["ports"]) == (5, 0, [9999])


def test_one_edge_is_its_latest_payload(view: GraphView) -> None:
    payload = view.edge("web", U99, "9999")

    assert (payload["attempts"], payload["answered"], payload["status"]) == (7, 0, "active")
    with pytest.raises(NotFoundError, match="no edge from 'web' to 'db' on port 1"):
        view.edge("web", "db", 1)
    with pytest.raises(NotFoundError, match="not in the graph"):
        view.neighbours("nobody")


def test_replaying_changes_in_any_order_gives_the_same_view() -> None:
    changes = [
        *estate(),
        edge("web", "api", 8080, 130, at=T0 + 130),
        edge("db", U98, 443, 50, status="stale", at=T0 + 700, change=ChangeType.STALE),
        REDIS,
    ]
    once = view_of(*changes)
    twice = view_of(*changes, *changes)
    shuffled = list(changes)
    random.Random(3).shuffle(shuffled)
    replayed = view_of(*changes, *shuffled)

    for other in (twice, replayed):
        assert other.topology() == once.topology()
        assert other.topology(clustered=True) == once.topology(clustered=True)
        assert other.clusters() == once.clusters()
        assert other.unattributed() == once.unattributed()
    assert once.edge("web", "api", 8080)["attempts"] == 130


def test_node_facts_merge_newer_over_older() -> None:
    view = view_of(
        node("web", "a", 2, at=T0 + 10),
        node("web", at=T0 + 20),  # an edge's endpoint: no zone known
        node("web", "b", at=T0),  # older, replayed
    )
    row = view.topology()["nodes"][0]

    assert (row["zone"], row["instances"], row["first_seen"]) == ("a", 2, T0)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda v: v.neighbours("web", "down", 0), "hops must be a whole number from 1 to 10"),
        (lambda v: v.neighbours("web", "down", MAX_HOPS + 1), "hops"),
        (lambda v: v.neighbours("web", "down", "2; drop"), "hops"),
        (lambda v: v.neighbours("web", "down", True), "hops"),
        (lambda v: v.neighbours("web", "sideways", 1), "direction must be down, up or both"),
        (lambda v: v.neighbours("x" * 257, "down", 1), "at most 256"),
        (lambda v: v.neighbours("", "down", 1), "non-empty"),
        (lambda v: v.neighbours("a|b", "down", 1), "'|'"),
        (lambda v: v.neighbours("web\x00", "down", 1), "control"),
        (lambda v: v.neighbours(" web", "down", 1), "spaces"),
        (lambda v: v.topology(kind="router"), "kind must be service, cluster or unattributed"),
        (lambda v: v.topology(status="gone"), "status must be one of active, stale"),
        (lambda v: v.topology(zone="z" * 1000), "zone is 1000 characters"),
        (lambda v: v.topology(limit="0"), "limit must be a whole number from 1 to 100000"),
        (lambda v: v.topology(limit="1e9"), "limit"),
        (lambda v: v.topology(limit=10**9), "limit"),
        (lambda v: v.anomalies(kind="meteor"), "kind must be one of new_edge"),
        (lambda v: v.edge("web", "api", "80x"), "port must be a whole number from 0 to 65535"),
        (lambda v: v.edge("web", "api", -1), "port"),
        (lambda v: v.edge("web", "api", "٣"), "port"),
        (lambda v: v.edge("web", "api", 70000), "port"),
    ],
)
def test_hostile_parameters_are_refused_with_a_reason(
    view: GraphView, call: object, message: str
) -> None:
    assert callable(call)
    with pytest.raises(BadQueryError, match=message.replace("|", r"\|")):
        call(view)


@pytest.mark.parametrize(
    "change",
    [
        GraphChange(EntityKind.EDGE, ChangeType.UPDATED, "no-separators", T0, {"status": "x"}),
        GraphChange(EntityKind.EDGE, ChangeType.UPDATED, "a|b|80", T0, {"client": "a"}),
        GraphChange(
            EntityKind.EDGE,
            ChangeType.UPDATED,
            "a|b|80",
            T0,
            {**edge("a", "b", 80).payload, "attempts": "many"},
        ),
        GraphChange(
            EntityKind.EDGE,
            ChangeType.UPDATED,
            "a|b|80",
            T0,
            {**edge("a", "b", 80).payload, "last_window": {"start": 0}},
        ),
        GraphChange(
            EntityKind.EDGE,
            ChangeType.UPDATED,
            "a|b|80",
            T0,
            {**edge("a", "b", 80).payload, "rate": True},
        ),
        GraphChange(EntityKind.CLUSTER, ChangeType.APPEARED, "cluster:x", T0, {"members": []}),
        GraphChange(EntityKind.CLUSTER, ChangeType.APPEARED, "cluster:x", T0, {"engine": "redis"}),
        GraphChange(
            EntityKind.CLUSTER,
            ChangeType.APPEARED,
            "cluster:x",
            T0,
            {"engine": "redis", "members": ["10.0.0.1"], "ports": [70000]},
        ),
    ],
)
def test_malformed_changes_are_refused_and_leave_the_view_alone(change: GraphChange) -> None:
    view = view_of(*estate())
    before = view.topology()

    with pytest.raises(GraphChangeError):
        view.apply(change)
    assert view.topology() == before


def test_answers_follow_changes_applied_after_an_earlier_query(view: GraphView) -> None:
    before = view.topology(clustered=True)
    assert view.neighbours("db", "up", 1)["upstream"][0]["name"] == "api"

    view.apply(edge("web", "api", 8080, 500, at=T0 + 130))  # same shape, new numbers
    view.apply(edge("web", "db", 5432, 3, at=T0 + 130))  # a new edge
    view.apply(REDIS)  # a new cluster

    assert view.edge("web", "api", 8080)["attempts"] == 500
    after = view.topology(clustered=True)
    assert after["total_edges"] == before["total_edges"] - 1  # two member edges became one
    assert ("web", "db", 5432) in edge_keys(after)
    assert [row["name"] for row in view.neighbours("db", "up", 1)["upstream"]] == ["api", "web"]
    assert view.clusters()["clusters"][0]["attempts"] == 50
