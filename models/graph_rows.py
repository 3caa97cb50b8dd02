"""The rows of graph-view answers: their fields, their order and their bounds.

Kept apart from the view's state so that every answer lists things the same way: edges by
(client, server, port), anomalies most urgent first, unattributed addresses busiest first.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeVar

from models.graph_clustered import engine_ports
from models.query_input import node_kind
from models.topology import UNATTRIBUTED_PREFIX

TOP_CLIENTS = 5
"""Clients listed per unattributed address: enough to find who to ask about it."""

_Row = TypeVar("_Row")
_SEVERITY_ORDER = {"critical": 0, "warning": 1}


def truncated(rows: Sequence[_Row], limit: int) -> tuple[list[_Row], bool]:
    """The first ``limit`` rows, and whether any were left out."""
    return list(rows[:limit]), len(rows) > limit


def node_row(name: str, payload: Mapping[str, Any], first_seen: float) -> dict[str, Any]:
    """A node as answers show it: name and kind first, then what the changes said about it."""
    return {**payload, "name": name, "kind": node_kind(name).value, "first_seen": first_seen}


def edge_sort_key(row: Mapping[str, Any]) -> tuple[str, str, int]:
    return (row["client"], row["server"], row["port"])


def cluster_rows(
    records: Mapping[str, Mapping[str, Any]], edges: Iterable[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Clusters by id, with the client nodes whose (clustered) edges lead to each."""
    clients: dict[str, Counter[str]] = {node: Counter() for node in records}
    answered: Counter[str] = Counter()
    for row in edges:
        server = row["server"]
        if server in clients:
            clients[server][row["client"]] += row["attempts"]
            answered[server] += row["answered"]
    return [
        {
            "cluster": node,
            "engine": record["engine"],
            "members": list(record["members"]),
            "member_nodes": record.get("member_nodes"),
            "ports": record.get("ports") or sorted(engine_ports(record["engine"])),
            "status": record["status"],
            "change": record["change"],
            "first_seen": record["first_at"],
            "at": record["at"],
            "clients": sorted(clients[node]),
            "attempts": sum(clients[node].values()),
            "answered": answered[node],
        }
        for node, record in sorted(records.items())
    ]


def anomaly_rows(anomalies: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Critical before warning, then the newest window first, then by key."""
    return sorted(
        (dict(anomaly) for anomaly in anomalies),
        key=lambda a: (_SEVERITY_ORDER.get(a["severity"], 2), -a["window_start"], a["dedup_key"]),
    )


def unattributed_rows(
    names: Iterable[str], edges: Iterable[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Unattributed nodes by attempts into them, descending, with their busiest clients."""
    wanted = set(names)
    inbound: dict[str, Counter[str]] = {name: Counter() for name in wanted}
    answered: Counter[str] = Counter()
    outbound: Counter[str] = Counter()
    ports: dict[str, set[int]] = {name: set() for name in wanted}
    for row in edges:
        server, client = row["server"], row["client"]
        if server in wanted:
            inbound[server][client] += row["attempts"]
            answered[server] += row["answered"]
            ports[server].add(row["port"])
        if client in wanted:
            outbound[client] += row["attempts"]
    rows: list[dict[str, Any]] = [
        {
            "name": name,
            "address": name[len(UNATTRIBUTED_PREFIX) :],
            "attempts": sum(inbound[name].values()),
            "answered": answered[name],
            "ports": sorted(ports[name]),
            "clients": len(inbound[name]),
            "top_clients": [
                {"client": client, "attempts": attempts}
                for client, attempts in sorted(
                    inbound[name].items(), key=lambda item: (-item[1], item[0])
                )[:TOP_CLIENTS]
            ],
            "outgoing_attempts": outbound[name],
        }
        for name in wanted
    ]
    rows.sort(key=lambda row: (-row["attempts"], row["name"]))
    return rows
