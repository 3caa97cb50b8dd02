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

import struct
import zlib
from collections.abc import Iterable
from typing import Final

from capture.fast_event import MirrorRef, SynFactory
from capture.fast_fields import ACK_BIT
from models.connection import ConnectionEvent, Kind
from models.connection_wire import (
    FAMILY_SHIFT,
    HAS_ERSPAN_VLAN,
    HAS_SESSION,
    HAS_VLAN,
    HEADER_SIZE,
    MIRROR_IS_V4,
    RECORDS_V2,
    SYN_ACK,
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
if (SYN_ACK, MIRROR_IS_V4, FAMILY_SHIFT) != (1, 0x40, 4):
    raise ImportError("models.connection_wire changed its flags; update ShardBatcher.packer")
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


def _family(src: MirrorRef, dst: MirrorRef, mirror: MirrorRef) -> int:
    """The version 2 layout of a record: a bit per IPv4 address (an int, or dotted text)."""
    src_v4, dst_v4 = type(src) is int, type(dst) is int
    mirror_v4 = type(mirror) is int or (type(mirror) is str and ":" not in mirror)
    return src_v4 | dst_v4 << 1 | mirror_v4 << 2


class _Shard:
    """One shard's records so far, packed into a buffer sized for a full batch and reused."""

    __slots__ = ("buffer", "count", "end", "number", "since")

    def __init__(self, number: int, max_events: int) -> None:
        self.number = number
        self.buffer = bytearray(encoded_size(max_events))
        self.count = 0
        self.end = HEADER_SIZE
        self.since = 0.0

    def take(self) -> Batch:
        """The batch of the records so far; the shard starts empty again."""
        write_header(self.buffer, self.count)
        batch = Batch(self.number, value=bytes(memoryview(self.buffer)[: self.end]))
        self.count = 0
        self.end = HEADER_SIZE
        return batch


class ShardBatcher:
    """Accumulates events per shard and says which batches are ready to send."""

    def __init__(self, shards: int, max_events: int, max_delay: float) -> None:
        if shards < 1 or max_events < 1 or max_delay <= 0:
            raise ValueError("shards and max_events must be >= 1 and max_delay > 0")
        self.shards = shards
        self.max_events = max_events
        self.max_delay = max_delay
        self._shards: dict[int, _Shard] = {}
        """Every shard seen so far, empty or not: their buffers are reused."""
        self._pending: dict[int, _Shard] = {}
        """The shards holding records, in the order their oldest record came."""
        self._by_address: dict[str, _Shard] = {}
        self._by_key: dict[AddressKey, tuple[_Shard, int]] = {}
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
            shard = self._by_address.get(address)
            if shard is None:
                if len(self._by_address) >= SHARD_CACHE_LIMIT:
                    self._by_address.clear()
                shard = self._shard(shard_of(address, self.shards))
                self._by_address[address] = shard
            if not shard.count:
                shard.since = now
                self._pending[shard.number] = shard
            shard.end = pack_event_into(shard.buffer, shard.end, event)
            shard.count += 1
            if shard.count >= self.max_events:
                self._full.append(self._take(shard.number))
        return self.take_full()

    def packer(self, now: float) -> SynFactory[int]:
        """The fast decoder's event factory for one chunk read at ``now``: it packs each SYN's
        fields into its shard's batch and returns 1 for a SYN-ACK (TCP ACK set), 0 for a SYN.
        ``take_full()`` then hands out the batches that filled.

        One flat closure; each call here is per event, so it avoids every call, attribute and
        conversion it can. One dict subscript on the server's address key gives its shard and
        its family, which the client shares in every packet the decoder reads, so the record's
        layout needs only the mirror's type. Anything else (a client of the other family, a
        mirror given as text) fails to pack and takes the exact, slower way.
        """
        by_key, pending, full, max_events = self._by_key, self._pending, self._full, self.max_events
        shard_for_key, take, pack_by_family = self._shard_for_key, self._take, _PACK_V2
        ack_bit = ACK_BIT

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
        ) -> int:
            # Flag bits are added, not or-ed: they are distinct, and CPython 3.11 specialises
            # + and * on ints but not | or <<.
            flags = syn_ack = ack_bit[tcp_flags]  # SYN_ACK; a SYN-ACK's server is its source
            try:
                shard, family = by_key[src if syn_ack else dst]
            except KeyError:
                shard, family = shard_for_key(src if syn_ack else dst)
            count = shard.count
            if not count:
                shard.since = now
                pending[shard.number] = shard
            if vlan is None:
                vlan = 0
            else:
                flags += HAS_VLAN
            if erspan_vlan is None:
                erspan_vlan = 0
            else:
                flags += HAS_ERSPAN_VLAN
            if session is None:
                session = 0
            else:
                flags += HAS_SESSION
            if type(mirror) is int:
                family += 4  # MIRROR_IS_V4 >> FAMILY_SHIFT
            end = shard.end
            try:
                pack_by_family[family](
                    shard.buffer, end, flags + family * 16, erspan_version or 0,
                    sport, dport, vlan, erspan_vlan, session, ts, src, dst, mirror,
                )  # fmt: skip
            except struct.error:
                family = _family(src, dst, mirror)
                mirror = address_key(mirror) if type(mirror) is str else mirror
                pack_by_family[family](
                    shard.buffer, end, flags + family * 16, erspan_version or 0,
                    sport, dport, vlan, erspan_vlan, session, ts, src, dst, mirror,
                )  # fmt: skip
            shard.end = end + _SIZES_V2[family]
            shard.count = count = count + 1
            if count >= max_events:
                full.append(take(shard.number))
            return syn_ack

        return pack

    def take_full(self) -> list[Batch]:
        """The batches filled since the last call, in the order they filled."""
        full = self._full[:]
        self._full.clear()
        return full

    def _shard_for_key(self, key: AddressKey) -> tuple[_Shard, int]:
        """The shard of a decoder's address key, and the layout bits of an inner address pair
        of its family; remembered (the cache is emptied when it is full)."""
        if len(self._by_key) >= SHARD_CACHE_LIMIT:
            self._by_key.clear()
        inner = 3 if type(key) is int else 0  # both addresses IPv4, or neither
        found = self._by_key[key] = (self._shard(shard_of_key(key, self.shards)), inner)
        return found

    def _shard(self, number: int) -> _Shard:
        shard = self._shards.get(number)
        if shard is None:
            shard = self._shards[number] = _Shard(number, self.max_events)
        return shard

    def due(self, now: float) -> list[Batch]:
        """Batches whose oldest event has waited ``max_delay`` or more."""
        late = [n for n, shard in self._pending.items() if shard.since + self.max_delay <= now]
        return [self._take(number) for number in late]

    def next_deadline(self) -> float | None:
        """When the oldest pending batch falls due; None when nothing waits."""
        if not self._pending:
            return None
        return min(shard.since for shard in self._pending.values()) + self.max_delay

    def drain(self) -> list[Batch]:
        """Every batch not handed out yet, full or pending: used when capture stops."""
        return self.take_full() + [self._take(number) for number in list(self._pending)]

    def _take(self, number: int) -> Batch:
        return self._pending.pop(number).take()
