"""A synthetic estate for the BCP planner: graph rows and BCP annotations, seeded, deterministic.

``services`` nodes in three zones, of which one in 50 is a data store recognised as a
cluster (three member addresses); the rest sit in six tiers and call 1 to 4 services of
lower tiers or stores, about ``edges_per_service`` edges each. One call in 100 gets a callback
(a two-service cycle) and one service in 1,000 closes a longer loop of 3 to 6 services back
to itself, so the graph has the cycles a real estate has; the generator records them all.

Annotations: one flow per 60 services with 2 to 6 members from the two upper tiers;
criticality, RTO and startup time on every service; edges essential (75 %), optional (15 %)
or undeclared (10 %), callbacks and loops essential so their cycles land in the BCP scope.
Instances: most services run in all three zones, one in ten in two, one in twenty in one.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from models.bcp_build import BcpNotes, GraphRows

ZONES = ("a", "b", "c")
T0 = 1_714_550_400.0
TIERS = (0.05, 0.15, 0.25, 0.25, 0.2, 0.1)
"""Share of application services per tier, top (edge) first."""
LEVELS = ("P0", "P1", "P2", "P3")


@dataclass
class SyntheticEstate:
    rows: GraphRows
    notes: BcpNotes
    zone_counts: dict[str, dict[str, int]]
    address_zones: dict[str, str]
    cycles: list[frozenset[str]] = field(default_factory=list)
    """Every injected cycle, as the names the planner sees (stores as their cluster node)."""


def _zones(rng: random.Random) -> dict[str, int]:
    draw = rng.random()
    spread = 3 if draw < 0.85 else 2 if draw < 0.95 else 1
    return {zone: rng.randint(1, 5) for zone in sorted(rng.sample(ZONES, spread))}


def build(services: int, edges_per_service: float = 2.5, seed: int = 1) -> SyntheticEstate:
    rng = random.Random(seed)
    stores = max(1, services // 50)
    apps = services - stores
    names = [f"svc-{i:06d}" for i in range(apps)]
    store_names = [f"db-{i:05d}" for i in range(stores)]
    bounds, start = [], 0
    for share in TIERS:
        size = max(1, round(share * apps))
        bounds.append((start, min(apps, start + size)))
        start += size
    bounds[-1] = (bounds[-1][0], apps)
    tier_of = [t for t, (lo, hi) in enumerate(bounds) for _ in range(lo, hi)]

    pairs: dict[tuple[str, str], bool | None] = {}
    most = max(1, round(2 * edges_per_service - 1))  # calls per service: 1..most, mean ~eps
    for index, client in enumerate(names):
        tier = tier_of[index]
        for _ in range(rng.randint(1, most)):
            if tier + 1 >= len(bounds) or rng.random() < 0.2:
                server = rng.choice(store_names)
            else:
                lower = rng.randint(tier + 1, len(bounds) - 1)
                server = names[rng.randrange(*bounds[lower])]
            pairs.setdefault((client, server), _dependency(rng))

    cycles: list[frozenset[str]] = []
    app_pairs = [(c, s) for c, s in pairs if not s.startswith("db-")]
    for client, server in rng.sample(app_pairs, len(app_pairs) // 100):
        pairs[(client, server)] = True
        pairs[(server, client)] = True
        cycles.append(frozenset({client, server}))
    for _ in range(max(1, apps // 1000)):
        loop = [names[rng.randrange(apps)] for _ in range(rng.randint(3, 6))]
        if len(set(loop)) == len(loop):
            for client, server in zip(loop, loop[1:] + loop[:1], strict=True):
                pairs[(client, server)] = True
            cycles.append(frozenset(loop))

    zone_counts = {name: _zones(rng) for name in names}
    address_zones: dict[str, str] = {}
    clusters = []
    for n, store in enumerate(store_names):
        members = [f"10.{n >> 8 & 255}.{n & 255}.{k}" for k in range(1, 4)]
        for k, member in enumerate(members):
            address_zones[member] = ZONES[(k + n) % 3] if rng.random() < 0.9 else ZONES[n % 3]
        zone_counts[store] = {}
        clusters.append({"id": f"cluster:postgresql:{store}", "engine": "postgresql",
                         "members": members, "member_nodes": [store], "ports": [5432],
                         "stale": False})  # fmt: skip
    nodes = [{"name": name, "zone": "a", "instances": 1} for name in (*names, *store_names)]
    edge_rows: list[dict[str, Any]] = []
    edge_notes: dict[str, dict[str, Any]] = {}
    for (client, server), essential in sorted(pairs.items()):
        port = 5432 if server.startswith("db-") else 8080
        seen = {"first_seen": T0, "last_seen": T0 + 3600, "status": "active"}
        edge_rows.append({"client": client, "server": server, "port": port, "rate": 1.0, **seen})
        if essential is not None:
            key = f"{client}|{server}|{port}"
            edge_notes[key] = {"dependency": "essential" if essential else "optional"}
    node_notes = {
        name: {
            "criticality": LEVELS[min(3, tier_of[i] // 2 + rng.randint(0, 1))],
            "rto": rng.choice((900, 1800, 3600, 14400, 86400)),
            "startup_time": rng.randint(10, 600),
        }
        for i, name in enumerate(names)
    }
    for store in store_names:
        node_notes[store] = {"criticality": "P1", "rto": 3600, "startup_time": rng.randint(60, 900)}
    upper = bounds[1][1]
    for flow in range(max(1, services // 60)):
        for name in rng.sample(names[:upper], rng.randint(2, 6)):
            node_notes[name].setdefault("flows", []).append(f"flow-{flow:05d}")
    return SyntheticEstate(
        GraphRows(nodes, edge_rows, clusters),
        BcpNotes(node_notes, edge_notes, LEVELS),
        zone_counts,
        address_zones,
        cycles,
    )


def _dependency(rng: random.Random) -> bool | None:
    draw = rng.random()
    return True if draw < 0.75 else False if draw < 0.9 else None
