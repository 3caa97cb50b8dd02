"""SQLite states the edge, cluster and implied-node rules in SQL; they must give fold's rows."""

from __future__ import annotations

import random

import pytest

from models.graph_change import ChangeType, EntityKind, GraphChange
from sinks.sqlite_store import MEMORY, SqliteGraphStore
from sinks.store_fold import entity_row, fold

from .builders import cluster, edge, node

NAMES = ["a", "b", "c", "unattributed:10.0.0.1", "cluster:redis:r"]
CHANGES = list(ChangeType)


def _random_changes(rng: random.Random, count: int) -> list[GraphChange]:
    changes: list[GraphChange] = []
    for _ in range(count):
        at = float(rng.randint(1, 8))  # few distinct times: many ties
        change = rng.choice(CHANGES)
        roll = rng.random()
        if roll < 0.5:
            status = "stale" if rng.random() < 0.3 else "active"
            client, server = rng.choice(NAMES[:4]), rng.choice(NAMES)
            port = rng.choice([1, 2])
            changes.append(edge(client, server, port, at, change, rng.randint(1, 9), status))
        elif roll < 0.7:
            members = rng.sample(["10.1.0.1", "10.1.0.2", "10.1.0.3"], rng.randint(1, 3))
            changes.append(cluster("cluster:redis:r", members, at, change))
        else:
            zone = rng.choice([None, "z1", "z2"])
            instances = rng.choice([None, 1, 2])
            changes.append(node(rng.choice(NAMES), at, zone, instances, change))
    return changes


def _expected(changes: list[GraphChange]) -> dict[str, list[dict[str, object]]]:
    rows = fold({}, changes).values()

    def of(kind: EntityKind) -> list[dict[str, object]]:
        chosen = sorted((row for row in rows if row.kind is kind), key=lambda row: row.key)
        return [entity_row(row) for row in chosen]

    return {
        "nodes": of(EntityKind.NODE),
        "edges": of(EntityKind.EDGE),
        "clusters": of(EntityKind.CLUSTER),
    }


@pytest.mark.parametrize("seed", range(40))
def test_sqlite_gives_folds_rows_in_any_batching(seed: int) -> None:
    rng = random.Random(seed)
    changes = _random_changes(rng, rng.randint(1, 60))
    with SqliteGraphStore(MEMORY) as store:
        index = 0
        while index < len(changes):
            size = rng.randint(1, 12)
            store.apply_changes(changes[index : index + size])
            index += size
        got = {"nodes": store.nodes(), "edges": store.edges(), "clusters": store.clusters()}
    assert got == _expected(changes)
