"""Groups events into per-shard batches, the unit of one Kafka message.

The shard comes from the server address of the connection (the SYN's destination, the
SYN-ACK's source), so every event about one server carries the same Kafka key and lands on one
partition. A batch leaves when it is full or when its oldest event has waited long enough, so
a quiet shard still reaches Kafka within the delay. Pure: the caller supplies the clock.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

from models.connection import ConnectionEvent, Kind
from models.connection_wire import packed_address


@dataclass(frozen=True, slots=True)
class Batch:
    """Events bound for one Kafka message."""

    shard: int
    events: tuple[ConnectionEvent, ...]

    @property
    def key(self) -> bytes:
        """The Kafka key: the shard number in ASCII, readable in console consumers."""
        return shard_key(self.shard)


def shard_key(shard: int) -> bytes:
    return str(shard).encode("ascii")


def server_address(event: ConnectionEvent) -> str:
    """The listening side of the connection: where a SYN goes, where a SYN-ACK comes from."""
    return event.dst if event.kind is Kind.SYN else event.src


def shard_of(address: str, shards: int) -> int:
    """A stable shard for an address: CRC-32 of its 16-byte form, the same on every host."""
    packed, _ = packed_address(address)
    return zlib.crc32(packed) % shards


class _Pending:
    __slots__ = ("events", "since")

    def __init__(self, since: float) -> None:
        self.events: list[ConnectionEvent] = []
        self.since = since


class ShardBatcher:
    """Accumulates events per shard and says which batches are ready to send."""

    def __init__(self, shards: int, max_events: int, max_delay: float) -> None:
        if shards < 1 or max_events < 1 or max_delay <= 0:
            raise ValueError("shards and max_events must be >= 1 and max_delay > 0")
        self.shards = shards
        self.max_events = max_events
        self.max_delay = max_delay
        self._pending: dict[int, _Pending] = {}
        self.pending_events = 0

    def add(self, event: ConnectionEvent, now: float) -> Batch | None:
        """Queue ``event``; returns its shard's batch when this event filled it."""
        shard = shard_of(server_address(event), self.shards)
        pending = self._pending.get(shard)
        if pending is None:
            pending = self._pending[shard] = _Pending(now)
        pending.events.append(event)
        self.pending_events += 1
        if len(pending.events) >= self.max_events:
            return self._take(shard)
        return None

    def due(self, now: float) -> list[Batch]:
        """Batches whose oldest event has waited ``max_delay`` or more."""
        late = [s for s, p in self._pending.items() if p.since + self.max_delay <= now]
        return [self._take(shard) for shard in late]

    def next_deadline(self) -> float | None:
        """When the oldest pending batch falls due; None when nothing waits."""
        if not self._pending:
            return None
        return min(p.since for p in self._pending.values()) + self.max_delay

    def drain(self) -> list[Batch]:
        """Every pending batch, due or not: used when capture stops."""
        return [self._take(shard) for shard in list(self._pending)]

    def _take(self, shard: int) -> Batch:
        pending = self._pending.pop(shard)
        self.pending_events -= len(pending.events)
        return Batch(shard, tuple(pending.events))
