"""Groups events into per-shard batches, the unit of one Kafka message.

The shard comes from the server address of the connection (the SYN's destination, the
SYN-ACK's source), so every event about one server carries the same Kafka key and lands on one
partition. A batch leaves when it is full or when its oldest event has waited long enough, so
a quiet shard still reaches Kafka within the delay. Pure: the caller supplies the clock.

Events arrive two ways: as ``ConnectionEvent`` objects (``add``, ``add_all``), or straight from
the fast decoder as a SYN's raw header fields (``packer``), which the capture loop uses: a
record is then packed from the decoder's integers with no event object and no address text
in between. Both write the same bytes (``models.connection_wire`` version 2).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from typing import Final

from capture.fast_event import MirrorRef, SynFactory
from models.connection import ConnectionEvent, Kind
from models.connection_wire import (
    FAMILY_SHIFT,
    HAS_ERSPAN_VLAN,
    HAS_SESSION,
    HAS_VLAN,
    HEADER_SIZE,
    RECORDS_V2,
    AddressKey,
    address_key,
    batch_count,
    decode_batch,
    encode_batch,
    encoded_size,
    pack_event_into,
    packed_address,
    write_header,
)

SHARD_CACHE_LIMIT: Final = 65_536
"""Distinct server addresses whose shard is kept; the cache is emptied when it grows past this."""
_SYN: Final = Kind.SYN
_V4_MAPPED_PREFIX: Final = b"\x00" * 10 + b"\xff\xff"
_PACK_V2: Final = tuple(layout.pack_into for layout in RECORDS_V2)
_SIZES_V2: Final = tuple(layout.size for layout in RECORDS_V2)


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
        self.count = batch_count(self.value)

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


def shard_of_key(key: AddressKey, shards: int) -> int:
    """``shard_of`` for a decoder's address key (an IPv4 int or IPv6 bytes)."""
    if type(key) is int:
        return zlib.crc32(_V4_MAPPED_PREFIX + key.to_bytes(4, "big")) % shards
    return zlib.crc32(key) % shards  # type: ignore[arg-type]  # not an int: bytes


class _Pending:
    """One shard's records so far, packed into a buffer sized for a full batch."""

    __slots__ = ("buffer", "count", "end", "since")

    def __init__(self, since: float, max_events: int) -> None:
        self.buffer = bytearray(encoded_size(max_events))
        self.count = 0
        self.end = HEADER_SIZE
        self.since = since

    def value(self) -> bytes:
        write_header(self.buffer, self.count)
        return bytes(memoryview(self.buffer)[: self.end])


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
        self._shard_by_key: dict[AddressKey, int] = {}
        self._full: list[Batch] = []

    @property
    def pending_events(self) -> int:
        """Events added but not yet in a batch handed out."""
        return sum(p.count for p in self._pending.values()) + sum(b.count for b in self._full)

    def add(self, event: ConnectionEvent, now: float) -> Batch | None:
        """Queue ``event``; returns its shard's batch when this event filled it."""
        full = self.add_all((event,), now)
        return full[0] if full else None

    def add_all(self, events: Iterable[ConnectionEvent], now: float) -> list[Batch]:
        """Queue ``events`` in order; returns the batches they filled, in the order they filled."""
        for event in events:
            address = event.dst if event.kind is _SYN else event.src
            shard = self._shard_by_address.get(address)
            if shard is None:
                shard = self._shard_for_address(address)
            pending = self._pending.get(shard)
            if pending is None:
                pending = self._pending[shard] = _Pending(now, self.max_events)
            pending.end = pack_event_into(pending.buffer, pending.end, event)
            pending.count += 1
            if pending.count >= self.max_events:
                self._full.append(self._take(shard))
        return self.take_full()

    def packer(self, now: float) -> SynFactory[bool]:
        """The fast decoder's event factory for one chunk read at ``now``: it packs each SYN's
        fields into its shard's batch and says whether it was a SYN-ACK. ``take_full()`` then
        hands out the batches that filled.

        One flat closure, the shard looked up by the decoder's address key: each call here is
        per event, so it avoids every call, attribute and conversion it can.
        """
        shard_by_key, pending_by_shard = self._shard_by_key, self._pending
        full, max_events = self._full, self.max_events
        shard_for_key, take = self._shard_for_key, self._take
        pack_by_family, size_by_family = _PACK_V2, _SIZES_V2

        def pack(  # noqa: PLR0917  # the decoder's calling convention
            ts: float,
            src: int | bytes,
            sport: int,
            dst: int | bytes,
            dport: int,
            tcp_flags: int,
            vlan: int | None,
            erspan_version: int | None,
            erspan_vlan: int | None,
            session: int | None,
            mirror: MirrorRef,
        ) -> bool:
            flags = tcp_flags >> 4 & 1  # ACK: a SYN-ACK, whose server is its source
            server = src if flags else dst
            shard = shard_by_key.get(server)
            if shard is None:
                shard = shard_for_key(server)
            pending = pending_by_shard.get(shard)
            if pending is None:
                pending = pending_by_shard[shard] = _Pending(now, max_events)
            if vlan is None:
                vlan = 0
            else:
                flags |= HAS_VLAN
            if erspan_vlan is None:
                erspan_vlan = 0
            else:
                flags |= HAS_ERSPAN_VLAN
            if session is None:
                session = 0
            else:
                flags |= HAS_SESSION
            if type(mirror) is str:
                mirror = address_key(mirror)
            family = (type(src) is int) | (type(dst) is int) << 1 | (type(mirror) is int) << 2
            end = pending.end
            pack_by_family[family](
                pending.buffer, end, flags | family << FAMILY_SHIFT, erspan_version or 0,
                sport, dport, vlan, erspan_vlan, session, ts, src, dst, mirror,
            )  # fmt: skip
            pending.end = end + size_by_family[family]
            count = pending.count = pending.count + 1
            if count >= max_events:
                full.append(take(shard))
            return tcp_flags & 0x10 != 0

        return pack

    def take_full(self) -> list[Batch]:
        """The batches filled since the last call, in the order they filled."""
        full = self._full[:]
        self._full.clear()
        return full

    def _shard_for_address(self, address: str) -> int:
        if len(self._shard_by_address) >= SHARD_CACHE_LIMIT:
            self._shard_by_address.clear()
        shard = self._shard_by_address[address] = shard_of(address, self.shards)
        return shard

    def _shard_for_key(self, key: AddressKey) -> int:
        if len(self._shard_by_key) >= SHARD_CACHE_LIMIT:
            self._shard_by_key.clear()
        shard = self._shard_by_key[key] = shard_of_key(key, self.shards)
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
        """Every batch not handed out yet, full or pending: used when capture stops."""
        return self.take_full() + [self._take(shard) for shard in list(self._pending)]

    def _take(self, shard: int) -> Batch:
        return Batch(shard, value=self._pending.pop(shard).value())
