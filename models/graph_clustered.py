"""The clustered form of the graph view: cluster records to memberships, edges merged per cluster.

A cluster change says which engine and which member addresses; rewriting edges also needs the
members' graph nodes and the cluster's ports. Changes may carry both (``member_nodes``,
``ports``); when they do not, members are taken as unattributed addresses and the ports as the
engine's catalogue ports, which is what the stream can know without the inventory.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any, TypeGuard

from models.cluster_view import ClusterMembership, is_internal_edge, rewrite_edge
from models.clusters import Cluster
from models.datastore_ports import UNKNOWN_ENGINE_PREFIX, engine_named
from models.errors import GraphChangeError
from models.topology import EdgeKey, unattributed_node


def cluster_record(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The checked, normalised fields of a cluster change's payload (GraphChangeError if bad)."""
    engine, members = payload.get("engine"), payload.get("members")
    if not isinstance(engine, str) or not engine:
        raise GraphChangeError(f"cluster change without an engine name: {payload!r:.200}")
    if not _strings(members):
        raise GraphChangeError(f"cluster members must be a list of addresses: {members!r:.200}")
    record: dict[str, Any] = {"engine": engine, "members": sorted(set(members))}
    nodes, ports = payload.get("member_nodes"), payload.get("ports")
    if nodes is not None:
        if not _strings(nodes):
            raise GraphChangeError(f"cluster member_nodes must be names: {nodes!r:.200}")
        record["member_nodes"] = sorted(set(nodes))
    if ports is not None:
        if not isinstance(ports, list) or not all(_is_port(port) for port in ports):
            raise GraphChangeError(f"cluster ports must be TCP ports: {ports!r:.200}")
        record["ports"] = sorted(set(ports))
    return record


def _strings(value: object) -> TypeGuard[list[str]]:
    return isinstance(value, list) and all(isinstance(item, str) and item for item in value)


def _is_port(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 65535


def engine_ports(engine: str) -> frozenset[int]:
    """The ports an engine listens on: the catalogue's, or the one an unknown engine names."""
    known = engine_named(engine)
    if known is not None:
        return known.ports
    suffix = engine[len(UNKNOWN_ENGINE_PREFIX) :]
    if engine.startswith(UNKNOWN_ENGINE_PREFIX) and suffix.isdigit():
        return frozenset({int(suffix)})
    return frozenset()


def as_cluster(node: str, record: Mapping[str, Any]) -> Cluster:
    """A ``Cluster`` for ``ClusterMembership`` from a stored record."""
    members = frozenset(record["members"])
    nodes = record.get("member_nodes")
    ports = record.get("ports")
    return Cluster(
        node=node,
        engine=record["engine"],
        members=members,
        member_nodes=frozenset(nodes if nodes is not None else map(unattributed_node, members)),
        ports=frozenset(ports) if ports is not None else engine_ports(record["engine"]),
        clients=frozenset(),
    )


def membership_of(records: Mapping[str, Mapping[str, Any]]) -> ClusterMembership:
    """Membership lookups of the clusters that are not stale."""
    return ClusterMembership.of(
        as_cluster(node, record)
        for node, record in records.items()
        if record.get("status") != "stale"
    )


def clustered_groups(
    edges: Mapping[str, EdgeKey], membership: ClusterMembership
) -> tuple[dict[EdgeKey, list[str]], int]:
    """Encoded edge keys grouped by the edge the cluster view makes of them, and how many
    were peer traffic inside a cluster (left out)."""
    groups: defaultdict[EdgeKey, list[str]] = defaultdict(list)
    internal = 0
    for encoded, edge in edges.items():
        key = rewrite_edge(edge, membership)
        if is_internal_edge(key):
            internal += 1
        else:
            groups[key].append(encoded)
    return dict(groups), internal


def merged_row(key: EdgeKey, rows: Sequence[Mapping[str, Any]]) -> Mapping[str, Any]:
    """One edge standing for ``rows``: totals summed, the newest window of each combined.

    An edge the cluster view leaves alone is returned as it is (callers copy what they keep).
    """
    if len(rows) == 1 and rows[0]["client"] == key.client and rows[0]["server"] == key.server:
        return rows[0]
    windows = [row["last_window"] for row in rows if row.get("last_window")]
    newest = max((window["start"] for window in windows), default=None)
    last = [window for window in windows if window["start"] == newest]
    attempts = sum(window["attempts"] for window in last)
    answered = sum(window["answered"] for window in last)
    rates = [row["rate"] for row in rows if row.get("rate") is not None]
    return {
        "client": key.client,
        "server": key.server,
        "port": key.port,
        "status": "active" if any(row["status"] == "active" for row in rows) else "stale",
        "first_seen": min(row["first_seen"] for row in rows),
        "last_seen": max(row["last_seen"] for row in rows),
        "attempts": sum(row["attempts"] for row in rows),
        "answered": sum(row["answered"] for row in rows),
        "late_events": sum(row.get("late_events", 0) for row in rows),
        "last_window": None
        if newest is None
        else {
            "start": newest,
            "attempts": attempts,
            "answered": answered,
            "client_instances": sum(window["client_instances"] for window in last),
        },
        "answer_ratio": min(1.0, answered / attempts) if attempts else None,
        "rate": sum(rates) if rates else None,
        "client_instances": sum(row.get("client_instances", 0) for row in rows),
        "client_instances_truncated": any(row.get("client_instances_truncated") for row in rows),
        "change": max(rows, key=lambda row: row["at"])["change"],
        "at": max(row["at"] for row in rows),
        "merged_edges": sorted(_encoded(row) for row in rows),
    }


def _encoded(row: Mapping[str, Any]) -> str:
    return EdgeKey(row["client"], row["server"], row["port"]).encode()
