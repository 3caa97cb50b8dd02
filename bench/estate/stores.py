"""Data stores: members, the inventory items naming them, client traffic and peer traffic.

Engines take turns (Redis Cluster, Cassandra, MySQL with replicas, Kafka with its ZooKeeper
ensemble, Elasticsearch); on top come standalone Postgres servers (the first one's owner also
has an archive database with the same clients) and stores of an engine no catalogue knows, on
port 7777, whose servers the inventory does not name and whose clients all talk to every
server. The first Cassandra ring has a node the inventory has not caught up with. Peer links
are long-lived, so each is seen opening at least once and rarely after.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Final

from bench.estate import addressing
from bench.estate.dependencies import log_uniform
from bench.estate.model import ZONES, Endpoint, EstateParams, Flow, OwnerEntry, Store, unattributed
from bench.estate.services import Service

ENGINE_TURNS: Final = ("redis", "cassandra", "mysql", "kafka", "elasticsearch")
CLIENT_PORT: Final = {
    "redis": 6379, "cassandra": 9042, "mysql": 3306, "kafka": 9092, "zookeeper": 2181,
    "elasticsearch": 9200, "postgresql": 5432,
}  # fmt: skip
UNKNOWN_PORT: Final = 7777
PEER_RATE: Final = 0.05
"""Reconnections per minute of one peer link, on top of the one it is guaranteed."""
STORE_RATE: Final = (0.5, 10.0)
"""Connections per minute of one client service to one store, log-uniform."""


@dataclass
class StoreSet:
    """What the data stores add to the estate."""

    stores: list[Store] = field(default_factory=list)
    owners: list[OwnerEntry] = field(default_factory=list)
    flows: list[Flow] = field(default_factory=list)
    monitored: list[tuple[tuple[Endpoint, ...], int]] = field(default_factory=list)
    """Members and the client port the health checks use."""


class StoreBuilder:
    """Builds every store of one estate from its generator's random stream."""

    def __init__(
        self, rng: random.Random, params: EstateParams, services: list[Service], units: list[int]
    ) -> None:
        self.rng, self.params, self.services, self.units = rng, params, services, units
        self.out = StoreSet()
        self._names: set[str] = set()
        self._unknown_clients = iter(rng.sample(services, len(services)))

    def build(self) -> StoreSet:
        for n in range(self.params.cluster_count):
            engine = ENGINE_TURNS[n % len(ENGINE_TURNS)]
            getattr(self, f"_{engine}")(n)
        for n in range(max(1, self.params.services // 40)):
            owner = self.rng.choice(self.services)
            users = [owner, *self.rng.sample(self.services, self.rng.randint(0, 1))]
            self._finish("postgresql", self._members("postgresql", owner.name, 1), users)
            if n == 0:  # its archive: same clients, no peer traffic, yet another store
                archive = self._members("postgresql", f"{owner.name}-archive", 1)
                self._finish("postgresql", archive, users)
        for group in range(max(1, self.params.services // 100)):
            self._unknown(group)
        return self.out

    # -- engines ---------------------------------------------------------------------------
    def _redis(self, _: int) -> None:
        members = self._members("redis", self._owner(), self.rng.choice((3, 6)))
        self._mesh(members, CLIENT_PORT["redis"] + 10000)
        self._finish("redis", members, self._users(1, 3))

    def _cassandra(self, n: int) -> None:
        members = self._members("cassandra", self._owner(), self.rng.randint(3, 6), n == 1)
        self._mesh(members, 7000)
        self._finish("cassandra", members, self._users(1, 3))

    def _mysql(self, _: int) -> None:
        primary, *replicas = self._members("mysql", self._owner(), self.rng.randint(2, 3))
        self._links(((replica, primary) for replica in replicas), 3306)
        self._finish("mysql", [primary, *replicas], self._users(1, 3))

    def _kafka(self, _: int) -> None:
        owner = self._owner()
        brokers = self._members("kafka", owner, 3)
        ensemble = self._members("zookeeper", f"{owner}-kafka", 3)
        self._mesh(brokers, 9092)
        self._links(((b, z) for b in brokers for z in ensemble), 2181)
        leader, *followers = ensemble
        self._links(((f, leader) for f in followers), 2888)
        self._links(((a, b) for i, a in enumerate(ensemble) for b in ensemble[:i]), 3888)
        self._finish("kafka", brokers, self._users(2, 4))
        self._finish("zookeeper", ensemble, [])

    def _elasticsearch(self, _: int) -> None:
        members = self._members("elasticsearch", self._owner(), self.rng.randint(3, 5))
        self._mesh(members, 9300)
        self._finish("elasticsearch", members, self._users(1, 3))

    def _unknown(self, group: int) -> None:
        """Sharded servers nobody declared: every client instance reaches every shard."""
        net = addressing.UNKNOWN_STORE_NET
        members = [
            Endpoint(f"{net}.{group}.{k}", unattributed(f"{net}.{group}.{k}"), None, *self._span)
            for k in range(1, 4)
        ]
        users = [next(self._unknown_clients) for _ in range(3)]
        for user in users:
            rate = log_uniform(self.rng, 0.2, 3.0) / len(user.instances)
            for member in members:
                self.out.flows.append(
                    Flow("store", user.clients(), (member,), UNKNOWN_PORT, rate, at_least_once=True)
                )
        self._record(f"unknown:{UNKNOWN_PORT}", f"shards-{group}", members, UNKNOWN_PORT)

    # -- helpers ---------------------------------------------------------------------------
    @property
    def _span(self) -> tuple[float, float]:
        return self.params.start, self.params.end

    def _owner(self) -> str:
        return self.rng.choice(self.services).name

    def _users(self, least: int, most: int) -> list[Service]:
        return self.rng.sample(
            self.services, min(len(self.services), self.rng.randint(least, most))
        )

    def _members(
        self, engine: str, owner: str, count: int, last_undeclared: bool = False
    ) -> list[Endpoint]:
        name = f"{owner}-{engine}"
        while name in self._names:
            name += "-2"
        self._names.add(name)
        unit = self.units.pop(0)
        first = self.rng.randrange(2)
        members = []
        for k in range(count):
            zone = ZONES[(first + k) % 2]
            address = addressing.host_v4(unit, zone, k // 2 + 1)
            if last_undeclared and k == count - 1:
                members.append(Endpoint(address, unattributed(address), zone, *self._span))
                continue
            members.append(Endpoint(address, name, zone, *self._span))
            self.out.owners.append(OwnerEntry((address,), name, f"{name}-{k + 1}", zone))
        return members

    def _mesh(self, members: list[Endpoint], port: int) -> None:
        self._links(((a, b) for a in members for b in members if a is not b), port)

    def _links(self, pairs: Iterator[tuple[Endpoint, Endpoint]], port: int) -> None:
        for client, server in pairs:
            self.out.flows.append(
                Flow("peer", (client,), (server,), port, PEER_RATE, at_least_once=True)
            )

    def _finish(self, engine: str, members: list[Endpoint], users: list[Service]) -> None:
        port = CLIENT_PORT[engine]
        for user in users:
            rate = log_uniform(self.rng, *STORE_RATE) / len(user.instances)
            self.out.flows.append(Flow("store", user.clients(), tuple(members), port, rate))
        self._record(engine, members[0].node, members, port)

    def _record(self, engine: str, name: str, members: list[Endpoint], port: int) -> None:
        addresses, nodes = tuple(m.address for m in members), tuple(m.node for m in members)
        self.out.stores.append(Store(engine, name, addresses, nodes))
        self.out.monitored.append((tuple(members), port))
