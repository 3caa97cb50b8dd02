"""The benchmark's synthetic estate and its traffic: pure, seeded and deterministic.

An estate is ``services`` services, each owning one /28 of 10.0.0.0/8 (one instance, a zone
of three), and ``edges`` distinct (client, server, port) edges between them; a server listens
on one port. Traffic is connections over ``seconds`` of event time: every edge at least once,
the rest drawn with Zipf-like weights (s = 1), so a few edges carry most of it, as in real
estates. A connection is a SYN and, for 95% of them, the SYN-ACK half a millisecond later.

``messages`` groups the events the way ``meeseeks capture`` does (``ShardBatcher``: 64 shards
of the server address, 512 events per message, the shard number as the Kafka key) and ends
with one tick per shard 300 s later, so every partition's watermark moves past the traffic
and every window closes: each edge then reaches the graph-changes topic.
"""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass

from capture.shard_batcher import ShardBatcher, server_address, shard_of
from models.connection import ConnectionEvent, Kind

T0 = 1_714_550_400.0
"""2024-05-01T08:00:00Z: event time of the first connection."""
PORTS = (443, 8080, 5432, 6379, 9092, 3306, 8443, 27017)
ZONES = ("a", "b", "c")
ANSWERED = 0.95
TICK_AFTER_SECONDS = 300.0
SHARDS = 64
BATCH_EVENTS = 512
MIRROR = "192.0.2.1"


@dataclass(frozen=True, slots=True)
class Edge:
    client: int
    server: int
    port: int


@dataclass(frozen=True)
class Estate:
    services: int
    edges: tuple[Edge, ...]

    def name(self, service: int) -> str:
        return f"svc-{service:06d}"

    def block(self, service: int) -> str:
        """The service's /28 in 10.0.0.0/8."""
        return f"{_dotted(service * 16)}/28"

    def host(self, service: int, index: int) -> str:
        """Address ``index`` (1..14) of the service's block."""
        return _dotted(service * 16 + 1 + index % 14)

    def port_of(self, service: int) -> int:
        return PORTS[service % len(PORTS)]

    def edge_key(self, edge: Edge) -> tuple[str, str, int]:
        """(client, server, port) as the stream names the edge."""
        return self.name(edge.client), self.name(edge.server), edge.port


def _dotted(offset: int) -> str:
    if not 0 <= offset < 1 << 24:
        raise ValueError("the estate does not fit 10.0.0.0/8 (at most 1,048,576 services)")
    return f"10.{offset >> 16}.{(offset >> 8) & 255}.{offset & 255}"


def build_estate(services: int, edges: int, seed: int = 1) -> Estate:
    """``edges`` distinct client/server pairs among ``services`` services (no self-edges)."""
    if services < 2:
        raise ValueError("an estate needs at least two services")
    if edges > services * (services - 1):
        raise ValueError(f"{services} services cannot have {edges} distinct edges")
    rng = random.Random(seed)
    pairs: set[tuple[int, int]] = set()
    chosen: list[Edge] = []
    while len(chosen) < edges:
        client, server = rng.randrange(services), rng.randrange(services)
        if client == server or (client, server) in pairs:
            continue
        pairs.add((client, server))
        chosen.append(Edge(client, server, PORTS[server % len(PORTS)]))
    return Estate(services, tuple(chosen))


def inventory_csv(estate: Estate) -> str:
    """The estate's inventory in the CSV form of docs/inventory.md."""
    lines = ["kind,address,port,service,instance,zone,valid_from,valid_until"]
    for service in range(estate.services):
        name = estate.name(service)
        zone = ZONES[service % len(ZONES)]
        lines.append(f"owner,{estate.block(service)},,{name},{name}-pods,{zone},,")
    return "\n".join(lines) + "\n"


def connection_edges(estate: Estate, connections: int, seed: int = 1) -> list[int]:
    """Edge index of each connection: every edge once, then Zipf-weighted draws."""
    count = len(estate.edges)
    if connections < count:
        raise ValueError(f"{connections} connections cannot cover {count} edges")
    rng = random.Random(seed)
    ranks = list(range(count))
    rng.shuffle(ranks)  # which edges are the popular ones
    cumulative = list(itertools.accumulate(1.0 / (rank + 1) for rank in ranks))
    total = cumulative[-1]
    extra = [
        min(bisect.bisect_left(cumulative, rng.random() * total), count - 1)
        for _ in range(connections - count)
    ]
    chosen = list(range(count)) + extra
    rng.shuffle(chosen)
    return chosen


def events(estate: Estate, count: int, seconds: float, seed: int = 1) -> list[ConnectionEvent]:
    """About ``count`` events (SYN plus answering SYN-ACK), in event-time order."""
    connections = max(len(estate.edges), round(count / (1 + ANSWERED)))
    rng = random.Random(seed + 1)
    step = seconds / connections
    out: list[ConnectionEvent] = []
    for n, index in enumerate(connection_edges(estate, connections, seed)):
        edge = estate.edges[index]
        ts = T0 + n * step
        client = estate.host(edge.client, rng.randrange(14))
        server = estate.host(edge.server, rng.randrange(14))
        sport = rng.randrange(20_000, 60_000)
        out.append(_event(ts, client, sport, server, edge.port, Kind.SYN))
        if rng.random() < ANSWERED:
            out.append(_event(ts + 0.0005, server, edge.port, client, sport, Kind.SYN_ACK))
    return out


def _event(ts: float, src: str, sport: int, dst: str, dport: int, kind: Kind) -> ConnectionEvent:
    return ConnectionEvent(
        ts=ts,
        src=src,
        sport=sport,
        dst=dst,
        dport=dport,
        kind=kind,
        vlan=None,
        erspan_version=2,
        erspan_vlan=0,
        session=1,
        mirror=MIRROR,
    )


def tick_events(estate: Estate, at: float) -> list[ConnectionEvent]:
    """One SYN per capture shard at ``at`` along existing edges, to move every watermark on."""
    ticks: dict[int, ConnectionEvent] = {}
    for edge, index in itertools.product(estate.edges, range(14)):
        server = estate.host(edge.server, index)
        shard = shard_of(server, SHARDS)
        if shard not in ticks:
            client = estate.host(edge.client, 0)
            ticks[shard] = _event(at, client, 40_000, server, edge.port, Kind.SYN)
            if len(ticks) == SHARDS:
                break
    return [ticks[shard] for shard in sorted(ticks)]


@dataclass(frozen=True, slots=True)
class Message:
    key: bytes
    events: tuple[ConnectionEvent, ...]


def messages(traffic: list[ConnectionEvent], ticks: list[ConnectionEvent]) -> Iterator[Message]:
    """Capture's batching of ``traffic``, then each tick alone as the last message of its key."""
    batcher = ShardBatcher(SHARDS, BATCH_EVENTS, max_delay=1e12)
    for event in traffic:
        batch = batcher.add(event, 0.0)
        if batch is not None:
            yield Message(batch.key, batch.events)
    for batch in batcher.drain():
        yield Message(batch.key, batch.events)
    for tick in ticks:
        yield Message(str(shard_of(server_address(tick), SHARDS)).encode(), (tick,))
