"""Who calls whom: a tiered, mostly acyclic call graph with a few callbacks that close cycles.

Calls go from a tier to the tiers below it, most often the next one. A few callees call their
caller back (webhooks, sagas), and one longer loop closes through three services, so the graph
has the cycles a real estate has. Each call is either short-lived connections at a steady rate
or a connection pool whose connections are only seen when they are recycled.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Final

from bench.estate.services import Service

CALL_RATE: Final = (0.3, 30.0)
"""Connections per minute of one calling service, log-uniform: short-lived connections."""
POOL_RATE: Final = (0.1, 1.5)
"""Connections per minute of one calling service, log-uniform: pool connections recycled."""
POOL_SHARE: Final = 0.3
MAX_CALLS: Final = 4


@dataclass(frozen=True, slots=True)
class Dependency:
    """One service calling another on the callee's port."""

    client: Service
    server: Service
    label: str
    """``call`` (short-lived connections) or ``pool``."""
    per_minute: float
    """Connections per minute of the whole calling service."""


def log_uniform(rng: random.Random, low: float, high: float) -> float:
    return math.exp(rng.uniform(math.log(low), math.log(high)))


def build_dependencies(rng: random.Random, services: list[Service]) -> list[Dependency]:
    """Calls down the tiers, then callbacks and one three-service loop."""
    pairs: list[tuple[Service, Service]] = []
    for service in services:
        below = [s for s in services if s.tier > service.tier]
        if not below:
            continue
        weights = [3.0 if s.tier == service.tier + 1 else 1.0 for s in below]
        wanted = min(len(below), rng.randint(1, MAX_CALLS))
        chosen: list[Service] = []
        while len(chosen) < wanted:
            pick = rng.choices(below, weights)[0]
            if pick not in chosen:
                chosen.append(pick)
        pairs += [(service, callee) for callee in chosen]
    pairs += _cycles(rng, pairs, len(services))
    return [_dependency(rng, client, server) for client, server in pairs]


def _cycles(
    rng: random.Random, pairs: list[tuple[Service, Service]], count: int
) -> list[tuple[Service, Service]]:
    known = {(a.name, b.name) for a, b in pairs}
    added: list[tuple[Service, Service]] = []
    for client, server in rng.sample(pairs, min(len(pairs), max(1, count // 25))):
        if (server.name, client.name) not in known:
            known.add((server.name, client.name))
            added.append((server, client))
    by_client: dict[str, list[Service]] = {}
    for a, b in pairs:
        by_client.setdefault(a.name, []).append(b)
    for a, b in pairs:
        onward = [c for c in by_client.get(b.name, []) if c.name != a.name]
        if onward and (onward[0].name, a.name) not in known:
            added.append((onward[0], a))
            break
    return added


def _dependency(rng: random.Random, client: Service, server: Service) -> Dependency:
    if rng.random() < POOL_SHARE:
        return Dependency(client, server, "pool", log_uniform(rng, *POOL_RATE))
    return Dependency(client, server, "call", log_uniform(rng, *CALL_RATE))
