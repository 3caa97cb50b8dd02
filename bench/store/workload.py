"""Deterministic graph-change streams for an estate of a given size, as the stream writes them.

Services in two zones, edges between random pairs (some to unattributed addresses and some to
data-store cluster members), clusters of three members; then one update of every edge, as a
window closing would send it. Same seed, same stream.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from models.graph_change import (
    ChangeType,
    EntityKind,
    GraphChange,
    cluster_change,
    node_payload,
)
from models.topology import EdgeKey, unattributed_node

ZONES = ("zone-a", "zone-b")
PORTS = (443, 8080, 5432, 6379, 9092, 3306)
START = 1_700_000_000.0


@dataclass(frozen=True, slots=True)
class Estate:
    services: int
    edges: int
    seed: int = 1

    @property
    def clusters(self) -> int:
        return max(1, self.services // 100)


def stream(estate: Estate) -> list[GraphChange]:
    """Nodes, then edges appearing, clusters, then every edge updated once, in event-time order."""
    rng = random.Random(estate.seed)
    names = _names(estate)
    at = START
    changes: list[GraphChange] = []
    for index, name in enumerate(names):
        payload = node_payload(name, ZONES[index % 2], rng.randint(1, 12))
        changes.append(GraphChange(EntityKind.NODE, ChangeType.APPEARED, name, at, payload))
        at += 0.001
    keys = _edge_keys(estate, names)
    for key in keys:
        changes.append(_edge(key, ChangeType.APPEARED, at, rng.randint(1, 50)))
        at += 0.001
    for index in range(estate.clusters):
        members = [f"10.200.{index // 250}.{index % 250 * 3 + k}" for k in range(3)]
        changes.append(
            cluster_change(f"cluster:redis:c{index}", ChangeType.APPEARED, at, "redis", members)
        )
    for key in keys:
        changes.append(_edge(key, ChangeType.UPDATED, at, rng.randint(50, 500)))
        at += 0.001
    return changes


def _names(estate: Estate) -> list[str]:
    return [f"svc-{index:06d}" for index in range(estate.services)]


def _edge_keys(estate: Estate, names: list[str]) -> list[EdgeKey]:
    """The estate's distinct edges, from their own random sequence (same in every caller)."""
    rng = random.Random(estate.seed * 7919)
    keys: set[EdgeKey] = set()
    ordered: list[EdgeKey] = []
    while len(ordered) < estate.edges:
        client = rng.choice(names)
        roll = rng.random()
        if roll < 0.02:
            server = unattributed_node(f"10.9.{rng.randint(0, 255)}.{rng.randint(1, 254)}")
        else:
            server = rng.choice(names)
        key = EdgeKey(client, server, rng.choice(PORTS))
        if client != server and key not in keys:
            keys.add(key)
            ordered.append(key)
    return ordered


def _edge(key: EdgeKey, change: ChangeType, at: float, attempts: int) -> GraphChange:
    payload: dict[str, Any] = {
        "client": key.client,
        "server": key.server,
        "port": key.port,
        "status": "active",
        "first_seen": START,
        "last_seen": at,
        "attempts": attempts,
        "answered": attempts - attempts // 20,
        "late_events": 0,
        "last_window": {"start": at - at % 60, "attempts": 3, "answered": 3, "client_instances": 2},
        "answer_ratio": 1.0,
        "rate": 0.05,
        "client_instances": 2,
        "client_instances_truncated": False,
    }
    return GraphChange(EntityKind.EDGE, change, key.encode(), at, payload)
