"""Well-known data-store ports: which engine listens where, and which ports carry peer traffic.

Clustering needs two facts about a port: the engine behind it, and whether traffic to it is a
client talking to the store or one member of the store talking to another (replication, gossip,
a cluster bus). Some ports are claimed by several engines (9000: HDFS, ClickHouse, MinIO) or
are popular with unrelated software (3000: Aerospike, but also every dashboard); those are
``weak`` and need corroboration from the engine's other ports before anyone trusts them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

UNKNOWN_ENGINE_PREFIX = "unknown:"
"""Engine label of a port no catalogue entry claims (or none could be settled): ``unknown:7777``."""

REDIS_BUS_OFFSET = 10000
"""A Redis Cluster node gossips on its client port plus this offset, whatever the client port."""


class PortRole(StrEnum):
    """What traffic to a port means for the engine that listens there."""

    CLIENT = "client"
    """Clients (and, for some engines, replicas) connect here."""
    PEER = "peer"
    """Only members of the same store connect here: replication, gossip, election, cluster bus."""


@dataclass(frozen=True, slots=True)
class Engine:
    """One data-store engine and the ports it is known to listen on."""

    name: str
    """Engine label used in cluster nodes (``cluster:<name>:...``); lower case, no colon."""
    client_ports: frozenset[int]
    """Ports clients use; a port may also be in ``peer_ports`` (MySQL replicas pull on 3306)."""
    peer_ports: frozenset[int]
    """Ports members use to talk to each other."""
    weak_ports: frozenset[int] = frozenset()
    """Ports other software often uses too; alone they do not prove the engine."""
    embedded: bool = False
    """Often runs inside application processes (a data grid library), so a member's node may
    be an application whose own outgoing edges are not the store's."""

    @property
    def ports(self) -> frozenset[int]:
        """Every port the engine listens on."""
        return self.client_ports | self.peer_ports

    def role(self, port: int) -> PortRole | None:
        """PEER only for ports no client uses; a shared port is a CLIENT port."""
        if port in self.client_ports:
            return PortRole.CLIENT
        if port in self.peer_ports:
            return PortRole.PEER
        return None


def _engine(
    name: str,
    client: Iterable[int],
    peer: Iterable[int],
    weak: Iterable[int] = (),
    *,
    embedded: bool = False,
) -> Engine:
    return Engine(name, frozenset(client), frozenset(peer), frozenset(weak), embedded)


ENGINES: tuple[Engine, ...] = (
    _engine("mysql", [3306, 33060], [3306, 33061, 4567, 4568, 4444], weak=[4444]),
    _engine("postgresql", [5432], [5432]),
    _engine("redis", [6379], [6379, 6379 + REDIS_BUS_OFFSET]),
    _engine("redis-sentinel", [26379], [26379]),
    _engine("cassandra", [9042, 9160, 7199], [7000, 7001], weak=[7000, 7001, 7199]),
    _engine("elasticsearch", [9200], [9300]),
    _engine("kafka", [9092], [9092, 9093], weak=[9093]),
    _engine("zookeeper", [2181], [2888, 3888]),
    _engine("clickhouse-keeper", [9181], [9234]),
    _engine("mongodb", [27017, 27018, 27019], [27017, 27018, 27019]),
    _engine("aerospike", [3000, 3003], [3001, 3002], weak=[3000, 3001, 3002, 3003]),
    _engine(
        "hdfs",
        [8020, 9000, 50070, 9870, 50010, 9866],
        [50010, 9866, 50020, 9867, 8485],
        weak=[9000],
    ),
    _engine("etcd", [2379], [2380]),
    _engine("memcached", [11211], []),
    _engine("cockroachdb", [26257], [26257]),
    _engine("rabbitmq", [5672, 5671, 15672], [25672, 4369]),
    _engine("couchdb", [5984], [4369]),
    _engine("couchbase", [8091, 8092, 8093, 8094, 11210], [4369, 21100]),
    _engine("clickhouse", [9000, 8123, 9440], [9009], weak=[9000]),
    _engine("minio", [9000], [9000], weak=[9000]),
    # Every host's agent gossips on 8301 (serf LAN), so only the servers' ports are listed:
    # agents call servers on 8300, servers replicate among themselves on 8300 and 8302.
    _engine("consul", [8500, 8600, 8300], [8302]),
    _engine("nats", [4222], [6222]),
    _engine("neo4j", [7687, 7474], [5000, 6000, 7000], weak=[5000, 6000, 7000, 7474]),
    _engine("mssql", [1433], [5022]),
    _engine("oracle", [1521, 2484], [1521]),
    _engine("influxdb", [8086], [8088]),
    _engine("hazelcast", [5701], [5701], embedded=True),
    _engine("ignite", [10800], [47100, 47500], embedded=True),
    _engine("rethinkdb", [28015], [29015]),
    _engine("solr", [8983], [8983]),
    _engine("activemq", [61616], [61616]),
)
"""The catalogue. ScyllaDB is Cassandra, OpenSearch Elasticsearch, MariaDB Galera MySQL."""


def _index(engines: Iterable[Engine]) -> Mapping[int, tuple[Engine, ...]]:
    by_port: dict[int, list[Engine]] = {}
    for engine in engines:
        for port in sorted(engine.ports):
            by_port.setdefault(port, []).append(engine)
    return MappingProxyType({port: tuple(found) for port, found in by_port.items()})


_BY_PORT = _index(ENGINES)
_BY_NAME: Mapping[str, Engine] = MappingProxyType({engine.name: engine for engine in ENGINES})


def engines_for_port(port: int) -> tuple[Engine, ...]:
    """Every catalogue engine that listens on ``port``, in catalogue order."""
    return _BY_PORT.get(port, ())


def engine_named(name: str) -> Engine | None:
    """The catalogue entry for an engine label; None for ``unknown:<port>`` and typos."""
    return _BY_NAME.get(name)


def is_ambiguous(port: int) -> bool:
    """Whether the port alone cannot name its engine: claimed twice, or weak for its engine."""
    found = engines_for_port(port)
    return len(found) != 1 or port in found[0].weak_ports


def unknown_engine(port: int) -> str:
    """Engine label for a data store the catalogue cannot name, grouped by its port."""
    return f"{UNKNOWN_ENGINE_PREFIX}{port}"


def is_unknown_engine(engine: str) -> bool:
    return engine.startswith(UNKNOWN_ENGINE_PREFIX)
