"""Groups events into per-shard batches, the unit of one Kafka message.

The shard comes from the server address of the connection (the SYN's destination, the
SYN-ACK's source), so every event about one server carries the same Kafka key and lands on one
partition. A batch leaves when it is full or when its oldest event has waited long enough, so
a quiet shard still reaches Kafka within the delay. Pure: the caller supplies the clock.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from typing import Final

from models.connection import ConnectionEvent, Kind
from models.connection_wire import (
    HEADER_SIZE,
    RECORD_SIZE,
    decode_batch,
    encode_batch,
    encoded_size,
    pack_record_into,
    packed_address,
    write_header,
)

SHARD_CACHE_LIMIT: Final = 65_536
"""Distinct server addresses whose shard is kept; the cache is emptied when it grows past this."""
_SYN: Final = Kind.SYN


class Batch:
    """Events bound for one Kafka message, held encoded: ``value`` is the message value.

    Holding bytes rather than event objects lets each event die as soon as it is packed, so
    a few tens of thousands of waiting events cost the garbage collector nothing.
    """

    __slots__ = ("count", "shard", "value")

    def __init__(
        self, shard: int, events: Iterable[ConnectionEvent] = (), *, value: bytes | None = None
    ) -> None:
        self.shard = shard
        self.value = encode_batch(events) if value is None else value
        self.count = (len(self.value) - HEADER_SIZE) // RECORD_SIZE

    @property
    def key(self) -> bytes:
        """The Kafka key: the shard number in ASCII, readable in console consumers."""
        return shard_key(self.shard)

    @property
    def events(self) -> tuple[ConnectionEvent, ...]:
        """The events, decoded back from ``value`` (equal to the ones added)."""
        return tuple(decode_batch(self.value))


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
    """One shard's records so far, packed into a buffer sized for a full batch."""

    __slots__ = ("buffer", "count", "since")

    def __init__(self, since: float, max_events: int) -> None:
        self.buffer = bytearray(encoded_size(max_events))
        self.count = 0
        self.since = since

    def value(self) -> bytes:
        write_header(self.buffer, self.count)
        return bytes(memoryview(self.buffer)[: encoded_size(self.count)])


class ShardBatcher:
    """Accumulates events per shard and says which batches are ready to send."""

    def __init__(self, shards: int, max_events: int, max_delay: float) -> None:
        if shards < 1 or max_events < 1 or max_delay <= 0:
            raise ValueError("shards and max_events must be >= 1 and max_delay > 0")
        self.shards = shards
        self.max_events = max_events
        self.max_delay = max_delay
        self._pending: dict[int, _Pending] = {}
        self._shard_by_address: dict[str, int] = {}
        self.pending_events = 0

    def add(self, event: ConnectionEvent, now: float) -> Batch | None:
        """Queue ``event``; returns its shard's batch when this event filled it."""
        full = self.add_all((event,), now)
        return full[0] if full else None

    def add_all(self, events: Iterable[ConnectionEvent], now: float) -> list[Batch]:
        """Queue ``events`` in order; returns the batches they filled, in the order they filled.

        One flat loop, shards looked up by address text in a dict: a call and a CRC-32 per
        event cost as much as decoding it.
        """
        full: list[Batch] = []
        shard_by_address, pending_by_shard = self._shard_by_address, self._pending
        max_events = self.max_events
        pack = pack_record_into
        for event in events:
            address = event.dst if event.kind is _SYN else event.src
            shard = shard_by_address.get(address)
            if shard is None:
                shard = self._shard_for(address)
            pending = pending_by_shard.get(shard)
            if pending is None:
                pending = pending_by_shard[shard] = _Pending(now, max_events)
            count = pending.count
            pack(pending.buffer, HEADER_SIZE + count * RECORD_SIZE, event)
            pending.count = count + 1
            self.pending_events += 1
            if count + 1 >= max_events:
                full.append(self._take(shard))
        return full

    def _shard_for(self, address: str) -> int:
        if len(self._shard_by_address) >= SHARD_CACHE_LIMIT:
            self._shard_by_address.clear()
        shard = self._shard_by_address[address] = shard_of(address, self.shards)
        return shard

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
        self.pending_events -= pending.count
        return Batch(shard, value=pending.value())
