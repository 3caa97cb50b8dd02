"""Graph changes as the stream writes them, built from a few literals."""

from __future__ import annotations

from typing import Any

from models.graph_change import ChangeType, EntityKind, GraphChange, node_payload
from models.topology import EdgeKey


def edge(
    client: str,
    server: str,
    port: int = 443,
    at: float = 100.0,
    change: ChangeType = ChangeType.UPDATED,
    attempts: int = 10,
    status: str = "active",
) -> GraphChange:
    key = EdgeKey(client, server, port)
    payload: dict[str, Any] = {
        "client": client,
        "server": server,
        "port": port,
        "status": status,
        "first_seen": 50.0,
        "last_seen": at,
        "attempts": attempts,
        "answered": attempts - 1,
        "late_events": 0,
        "last_window": {"start": 60.0, "attempts": 3, "answered": 3, "client_instances": 2},
        "answer_ratio": 1.0,
        "rate": 0.05,
        "client_instances": 2,
        "client_instances_truncated": False,
    }
    return GraphChange(EntityKind.EDGE, change, key.encode(), at, payload)


def node(
    name: str,
    at: float = 100.0,
    zone: str | None = None,
    instances: int | None = None,
    change: ChangeType = ChangeType.APPEARED,
) -> GraphChange:
    return GraphChange(EntityKind.NODE, change, name, at, node_payload(name, zone, instances))


def cluster(
    cluster_id: str,
    members: list[str],
    at: float = 100.0,
    change: ChangeType = ChangeType.APPEARED,
    engine: str = "redis",
) -> GraphChange:
    payload = {"engine": engine, "members": sorted(members), "ports": [6379]}
    return GraphChange(EntityKind.CLUSTER, change, cluster_id, at, payload)


def snapshot(store: Any) -> dict[str, Any]:
    """Everything stream-owned a store holds, to compare two stores."""
    return {"nodes": store.nodes(), "edges": store.edges(), "clusters": store.clusters()}
