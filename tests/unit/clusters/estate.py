"""A synthetic estate of data stores and their clients, for measuring clustering at scale."""

from __future__ import annotations

import random
from dataclasses import dataclass

from models.cluster_observations import AddressObservation
from tests.unit.clusters.conftest import mesh, seen

LAYOUT = (
    # port, stores, members per store, client services per store
    (6379, 600, 3, (1, 3)),
    (9042, 200, 5, (1, 3)),
    (3306, 400, 2, (1, 3)),
    (11211, 200, 3, (2, 3)),
    (5432, 800, 1, (1, 3)),
)


@dataclass(frozen=True, slots=True)
class Estate:
    """Observations plus the stores they come from."""

    observations: list[AddressObservation]
    """Address-level traffic of one window."""
    stores: list[frozenset[str]]
    """Server addresses of each store, lone servers included."""


def _address(number: int) -> str:
    return f"10.{number >> 16 & 255}.{number >> 8 & 255}.{number & 255}"


def build_estate(seed: int = 7, services: int = 2000, instances: int = 9) -> Estate:
    """Redis clusters, Cassandra rings, MySQL pairs, Memcached pools and lone Postgres servers.

    Each store is used by a few client services (every instance of which connects to every
    member), and one monitoring service reaches every server.
    """
    rng = random.Random(seed)
    counter = iter(range(1 << 16, 1 << 24))
    clients = [
        [(_address(next(counter)), f"svc-{s}") for _ in range(instances)] for s in range(services)
    ]
    monitoring = [(_address(next(counter)), "monitoring") for _ in range(2)]
    observations: list[AddressObservation] = []
    stores: list[frozenset[str]] = []
    for port, count, size, (least, most) in LAYOUT:
        for _ in range(count):
            members = [_address(next(counter)) for _ in range(size)]
            stores.append(frozenset(members))
            picked = rng.sample(range(services), rng.randint(least, most))
            users = [client for s in picked for client in clients[s]] + monitoring
            for member in members:
                observations += [seen(a, member, port, client_node=node) for a, node in users]
            if port == 6379:
                observations += mesh(members, 16379)
            elif port == 9042:
                ring = zip(members, members[1:] + members[:1], strict=True)
                observations += [seen(a, b, 7000) for a, b in ring]
            elif port == 3306:
                observations.append(seen(members[1], members[0], 3306))
    rng.shuffle(observations)
    return Estate(observations, stores)
