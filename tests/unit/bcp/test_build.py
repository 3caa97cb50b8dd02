"""The estate from graph rows and annotations: clusters folded, declared edges, zones."""

from __future__ import annotations

from typing import Any

import pytest

from models.bcp_build import BcpNotes, GraphRows, build_estate
from models.bcp_model import BcpError

T = 1_714_550_400.0


def edge(client: str, server: str, port: int, **extra: Any) -> dict[str, Any]:
    row = {"client": client, "server": server, "port": port, "rate": 1.0,
           "first_seen": T, "last_seen": T + 600, "status": "active"}  # fmt: skip
    return {**row, **extra}


ROWS = GraphRows(
    nodes=[
        {"name": "web", "zone": "a", "instances": 2},
        {"name": "api", "zone": "a", "instances": 3},
        {"name": "orders-redis", "zone": "a", "instances": 2},
        {"name": "unattributed:10.0.5.9"},
    ],
    edges=[
        edge("web", "api", 8080),
        edge("api", "orders-redis", 6379, rate=2.0),
        edge("api", "unattributed:10.0.5.9", 6379, rate=0.5, last_seen=T + 900),
        edge("orders-redis", "unattributed:10.0.5.9", 16379),  # peer traffic
        edge("orders-redis", "api", 8080),  # a member calling out: the cluster calls
    ],
    clusters=[
        {
            "id": "cluster:redis:orders",
            "engine": "redis",
            "members": ["10.0.5.1", "10.0.5.2", "10.0.5.9"],
            "member_nodes": ["orders-redis", "unattributed:10.0.5.9"],
            "ports": [6379, 16379],
            "stale": False,
        }
    ],
)
NOTES = BcpNotes(
    nodes={
        "web": {"criticality": "P0", "rto": 900, "startup_time": 60, "flows": ["shop"]},
        "api": {"criticality": "P1", "rto": 1800},
        "orders-redis": {"criticality": "P1", "rto": 600, "startup_time": 120, "flows": ["shop"]},
    },
    edges={
        "web|api|8080": {"dependency": "essential"},
        "api|orders-redis|6379": {"dependency": "essential"},
        "web|idp|443": {"dependency": "essential"},  # declared, never observed
    },
)


def test_a_data_store_cluster_is_one_node_with_its_members_annotations() -> None:
    estate = build_estate(ROWS, NOTES)

    assert sorted(estate.services) == ["api", "cluster:redis:orders", "idp", "web"]
    redis = estate.services["cluster:redis:orders"]
    assert redis.datastore
    assert (redis.criticality, redis.rto_seconds, redis.startup_seconds) == (1, 600.0, 120.0)
    assert redis.flows == {"shop"}
    assert dict(redis.zone_instances) == {"a": 2}  # its member service's, without an inventory
    edges = {(e.client, e.server, e.port): e for e in estate.edges}
    assert sorted(edges) == [
        ("api", "cluster:redis:orders", 6379),
        ("cluster:redis:orders", "api", 8080),
        ("web", "api", 8080),
        ("web", "idp", 443),
    ]
    merged = edges[("api", "cluster:redis:orders", 6379)]
    assert (merged.essential, merged.rate, merged.last_seen) == (True, 2.5, T + 900)
    assert edges[("cluster:redis:orders", "api", 8080)].essential is None
    declared = edges[("web", "idp", 443)]
    assert (declared.essential, declared.observed) == (True, False)
    assert (estate.at, estate.observed_since) == (T + 900, T)


def test_instances_per_zone_come_from_the_inventory_when_given() -> None:
    zones = {"10.0.5.1": "a", "10.0.5.2": "b"}
    estate = build_estate(ROWS, NOTES, zone_counts={"api": {"a": 2, "b": 1}}, zone_of=zones.get)

    assert dict(estate.services["api"].zone_instances) == {"a": 2, "b": 1}
    assert dict(estate.services["web"].zone_instances) == {"a": 2}  # not in the inventory
    assert dict(estate.services["cluster:redis:orders"].zone_instances) == {"a": 1, "b": 1}


def test_criticality_ranks_follow_the_overlay_order() -> None:
    notes = BcpNotes(nodes={"web": {"criticality": "gold"}, "api": {"criticality": "bronze"}},
                     levels=("gold", "silver", "bronze"))  # fmt: skip

    estate = build_estate(ROWS, notes)

    assert estate.services["web"].criticality == 0
    assert estate.services["api"].criticality == 2
    assert estate.services["api"].criticality_label == "bronze"


def test_a_stale_cluster_folds_nothing_and_bad_rows_are_refused() -> None:
    stale = GraphRows(ROWS.nodes, ROWS.edges, [{**ROWS.clusters[0], "stale": True}])

    estate = build_estate(stale, NOTES)

    assert "orders-redis" in estate.services
    assert "cluster:redis:orders" not in estate.services
    with pytest.raises(BcpError, match="needs client, server and port"):
        build_estate(GraphRows(edges=[{"client": "a", "server": "b"}]), NOTES)
    with pytest.raises(BcpError, match="is not an edge key"):
        build_estate(ROWS, BcpNotes(edges={"nonsense": {"dependency": "essential"}}))
