"""The Kafka value format of connection events: a versioned batch of binary records.

A processor host sees hundreds of thousands of SYNs a second; JSON per event would cost more
than decoding them. One message carries many events, so the broker and the stream app handle
few, compressible messages. All integers are big-endian:

    header   (8 bytes)      magic b"MKC" | version u8 | event count u32

    version 2 record        flags u8 | erspan_version u8 | sport u16 | dport u16 | vlan u16
    (32 to 68 bytes)        | erspan_vlan u16 | session u16 | ts f64 | src | dst | mirror
                            each address 4 bytes (u32) when its IPv4 flag is set, else 16

    version 1 record        ts f64 | src 16s | dst 16s | mirror 16s | sport u16 | dport u16
    (68 bytes)              | vlan u16 | erspan_vlan u16 | session u16 | erspan_version u8
                            | flags u8; IPv4 addresses mapped into 16 bytes (::ffff:a.b.c.d)

Version 2 is what ``encode_batch`` writes: an all-IPv4 event takes 32 bytes instead of 68,
which halves what is compressed and sent, and the decoder's 32-bit IPv4 addresses go into
a record without being formatted as text. Its flags come first, so a reader knows the
record's size before it reads the rest. Readers take both versions and refuse others rather
than guess: a new layout gets a new version number. Upgrade the consumers (stream workers)
before the producers (processor hosts): a consumer that only knows version 1 skips version 2.

A flag bit per address says it was IPv4, so the text form round-trips exactly, in
inet_ntop's spelling as the decoders write it (socket's address conversions are pure
functions: no I/O). Optional integers are 0 with their flag clear, and ``erspan_version`` 0
means plain GRE.
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Iterable
from functools import lru_cache
from typing import Final

from models.connection import ConnectionEvent, Kind
from models.errors import WireFormatError

MAGIC: Final = b"MKC"
VERSION: Final = 2
"""The version ``encode_batch`` writes."""
READABLE_VERSIONS: Final = (1, 2)
HEADER: Final = struct.Struct("!3sBI")
HEADER_SIZE: Final = HEADER.size

SYN_ACK: Final = 0x01
HAS_VLAN: Final = 0x02
HAS_ERSPAN_VLAN: Final = 0x04
HAS_SESSION: Final = 0x08
SRC_IS_V4: Final = 0x10
DST_IS_V4: Final = 0x20
MIRROR_IS_V4: Final = 0x40
RESERVED: Final = 0x80
FAMILY_SHIFT: Final = 4
"""``flags >> FAMILY_SHIFT`` (reserved bit clear) is the record's layout: bit 0 set when the
source is IPv4, bit 1 the destination, bit 2 the mirror."""

RECORD_V1: Final = struct.Struct("!d16s16s16sHHHHHBB")
RECORDS_V2: Final = tuple(
    struct.Struct("!BBHHHHHd" + "".join("I" if family >> bit & 1 else "16s" for bit in range(3)))
    for family in range(8)
)
"""Version 2 record layouts, indexed by ``flags >> FAMILY_SHIFT``."""
MAX_RECORD_SIZE: Final = max(RECORD_V1.size, *(layout.size for layout in RECORDS_V2))
MIN_RECORD_SIZE: Final = min(layout.size for layout in RECORDS_V2)

_V4_MAPPED_PREFIX = b"\x00" * 10 + b"\xff\xff"
_MAX_COUNT = 0xFFFFFFFF
_CACHE_LIMIT = 65536

AddressKey = int | bytes
"""An address as the decoders hold it: IPv4 as a 32-bit int, IPv6 as its 16 bytes."""


def encoded_size(count: int) -> int:
    """The most bytes a batch of ``count`` events takes: all-IPv6 records.

    Lets callers keep messages under the broker's limit whatever the address families.
    """
    return HEADER_SIZE + count * MAX_RECORD_SIZE


@lru_cache(maxsize=_CACHE_LIMIT)
def packed_address(text: str) -> tuple[bytes, bool]:
    """The 16-byte form of an IPv4 or IPv6 address (IPv4 mapped) and whether it was IPv4."""
    try:
        if ":" in text:
            return socket.inet_pton(socket.AF_INET6, text), False
        return _V4_MAPPED_PREFIX + socket.inet_pton(socket.AF_INET, text), True
    except OSError as exc:
        raise WireFormatError(
            f"{text!r} is not an IP address; connection events carry only IPv4/IPv6 addresses"
        ) from exc


@lru_cache(maxsize=_CACHE_LIMIT)
def address_key(text: str) -> AddressKey:
    """The key form of an address's text: an int for IPv4, 16 bytes for IPv6."""
    packed, is_v4 = packed_address(text)
    return int.from_bytes(packed[12:], "big") if is_v4 else packed


def address_text(key: AddressKey) -> str:
    """inet_ntop's text of an address key (like the decoders, so decoded events are equal)."""
    text = _texts.get(key)
    if text is None:
        if len(_texts) >= _CACHE_LIMIT:
            _texts.clear()
        if type(key) is int:
            text = socket.inet_ntop(socket.AF_INET, key.to_bytes(4, "big"))
        else:
            text = socket.inet_ntop(socket.AF_INET6, key)  # type: ignore[arg-type]  # bytes
        _texts[key] = text
    return text


_texts: dict[AddressKey, str] = {}


def _optional(value: int | None, flag: int, name: str, limit: int) -> tuple[int, int]:
    if value is None:
        return 0, 0
    if not 0 <= value <= limit:
        raise WireFormatError(f"{name}={value} is outside 0..{limit}; the event is corrupt")
    return value, flag


def _checked_fields(event: ConnectionEvent) -> tuple[int, int, int, int, int]:
    """(vlan, erspan_vlan, session, erspan_version, flags without address bits), validated."""
    vlan, vlan_flag = _optional(event.vlan, HAS_VLAN, "vlan", 0xFFFF)
    erspan_vlan, erspan_vlan_flag = _optional(
        event.erspan_vlan, HAS_ERSPAN_VLAN, "erspan_vlan", 0xFFFF
    )
    session, session_flag = _optional(event.session, HAS_SESSION, "session", 0xFFFF)
    version = event.erspan_version or 0
    if not 0 <= version <= 3:
        raise WireFormatError(f"erspan_version={version} is not 1, 2, 3 or None")
    flags = vlan_flag | erspan_vlan_flag | session_flag
    flags |= SYN_ACK if event.kind is Kind.SYN_ACK else 0
    return vlan, erspan_vlan, session, version, flags


def pack_event_into(out: bytearray, offset: int, event: ConnectionEvent) -> int:
    """Write ``event``'s version 2 record at ``offset``; returns the offset after it."""
    vlan, erspan_vlan, session, version, flags = _checked_fields(event)
    src, dst, mirror = address_key(event.src), address_key(event.dst), address_key(event.mirror)
    family = (type(src) is int) | (type(dst) is int) << 1 | (type(mirror) is int) << 2
    layout = RECORDS_V2[family]
    try:
        layout.pack_into(
            out, offset, flags | family << FAMILY_SHIFT, version, event.sport, event.dport,
            vlan, erspan_vlan, session, event.ts, src, dst, mirror,
        )  # fmt: skip
    except struct.error as exc:
        raise WireFormatError(f"cannot encode {event}: {exc}; ports must be 0..65535") from exc
    return offset + layout.size


def _pack_v1(event: ConnectionEvent) -> bytes:
    vlan, erspan_vlan, session, version, flags = _checked_fields(event)
    src, src_v4 = packed_address(event.src)
    dst, dst_v4 = packed_address(event.dst)
    mirror, mirror_v4 = packed_address(event.mirror)
    flags |= (SRC_IS_V4 if src_v4 else 0) | (DST_IS_V4 if dst_v4 else 0)
    flags |= MIRROR_IS_V4 if mirror_v4 else 0
    try:
        return RECORD_V1.pack(
            event.ts, src, dst, mirror, event.sport, event.dport,
            vlan, erspan_vlan, session, version, flags,
        )  # fmt: skip
    except struct.error as exc:
        raise WireFormatError(f"cannot encode {event}: {exc}; ports must be 0..65535") from exc


def encode_batch(events: Iterable[ConnectionEvent], *, version: int = VERSION) -> bytes:
    """One Kafka message value holding ``events`` in order.

    ``version=1`` writes the old layout, for consumers that do not read version 2 yet.
    """
    batch = events if isinstance(events, list | tuple) else list(events)
    out = bytearray(encoded_size(len(batch)))
    write_header(out, len(batch), version)
    offset = HEADER_SIZE
    if version == 1:
        for event in batch:
            out[offset : offset + RECORD_V1.size] = _pack_v1(event)
            offset += RECORD_V1.size
    elif version == 2:  # the version number
        for event in batch:
            offset = pack_event_into(out, offset, event)
    else:
        raise WireFormatError(f"cannot write connection batch version {version}; use 1 or 2")
    return bytes(memoryview(out)[:offset])


def write_header(out: bytearray, count: int, version: int = VERSION) -> None:
    """The batch header for ``count`` records at the start of ``out``."""
    if count > _MAX_COUNT:
        raise WireFormatError(f"{count} events do not fit one batch; split it")
    HEADER.pack_into(out, 0, MAGIC, version, count)


def batch_count(data: bytes) -> int:
    """The event count of a batch, from its header (checked)."""
    return _check_header(data)[1]


def _check_header(data: bytes) -> tuple[int, int]:
    """(version, count) of a batch whose header is valid and whose size can be right."""
    if len(data) < HEADER_SIZE:
        raise WireFormatError(
            f"truncated batch: {len(data)} bytes, shorter than the {HEADER_SIZE}-byte header"
        )
    magic, version, count = HEADER.unpack_from(data)
    if magic != MAGIC:
        raise WireFormatError(
            f"not a Meeseeks connection batch (magic {magic!r}, expected {MAGIC!r}); "
            "check that the topic holds only `meeseeks capture` output"
        )
    if version not in READABLE_VERSIONS:
        raise WireFormatError(
            f"unknown connection batch version {version}; this build reads versions "
            f"{', '.join(map(str, READABLE_VERSIONS))}: upgrade the consumer to the producer's "
            "Meeseeks version"
        )
    if version == 1:
        smallest = largest = HEADER_SIZE + count * RECORD_V1.size
    else:
        smallest = HEADER_SIZE + count * MIN_RECORD_SIZE
        largest = HEADER_SIZE + count * MAX_RECORD_SIZE
    if not smallest <= len(data) <= largest:
        state = "truncated" if len(data) < smallest else "oversized"
        expected = f"{smallest}" if smallest == largest else f"{smallest} to {largest}"
        raise WireFormatError(
            f"{state} batch: header says {count} events ({expected} bytes), got {len(data)} bytes"
        )
    return version, int(count)


_Head = tuple[int, int, int, int, int, int, int, float]
"""A record's fields but its addresses, in version 2 order: flags, erspan_version, sport,
dport, vlan, erspan_vlan, session, ts."""


def _event(head: _Head, src: str, dst: str, mirror: str) -> ConnectionEvent:
    flags, version, sport, dport, vlan, erspan_vlan, session, ts = head
    if flags & RESERVED or version > 3:  # ERSPAN Type III is the last
        raise WireFormatError(f"corrupt record: flags {flags:#04x}, erspan version {version}")
    return ConnectionEvent(
        ts=ts,
        src=src,
        sport=sport,
        dst=dst,
        dport=dport,
        kind=Kind.SYN_ACK if flags & SYN_ACK else Kind.SYN,
        vlan=vlan if flags & HAS_VLAN else None,
        erspan_version=version or None,
        erspan_vlan=erspan_vlan if flags & HAS_ERSPAN_VLAN else None,
        session=session if flags & HAS_SESSION else None,
        mirror=mirror,
    )


def _v1_text(packed: bytes, is_v4: int) -> str:
    return address_text(int.from_bytes(packed[12:], "big") if is_v4 else packed)


def _decode_v1(data: bytes) -> list[ConnectionEvent]:
    events = []
    for fields in RECORD_V1.iter_unpack(memoryview(data)[HEADER_SIZE:]):
        ts, src, dst, mirror, sport, dport, vlan, erspan_vlan, session, version, flags = fields
        head = (flags, version, sport, dport, vlan, erspan_vlan, session, ts)
        src_text = _v1_text(src, flags & SRC_IS_V4)
        dst_text = _v1_text(dst, flags & DST_IS_V4)
        events.append(_event(head, src_text, dst_text, _v1_text(mirror, flags & MIRROR_IS_V4)))
    return events


_UNPACK_V2 = tuple(layout.unpack_from for layout in RECORDS_V2)
_SIZES_V2 = tuple(layout.size for layout in RECORDS_V2)


def _decode_v2(data: bytes, count: int) -> list[ConnectionEvent]:
    events: list[ConnectionEvent] = []
    pos = HEADER_SIZE
    text, cached = address_text, _texts.get  # a hit skips a Python call per address
    try:
        for _ in range(count):
            family = data[pos] >> FAMILY_SHIFT & 7
            fields = _UNPACK_V2[family](data, pos)
            pos += _SIZES_V2[family]
            src, dst, mirror = fields[8], fields[9], fields[10]
            events.append(
                _event(
                    fields[:8],
                    cached(src) or text(src),
                    cached(dst) or text(dst),
                    cached(mirror) or text(mirror),
                )
            )
    except (IndexError, struct.error) as exc:
        raise WireFormatError(
            f"truncated batch: header says {count} events, the data ends in record "
            f"{len(events) + 1}"
        ) from exc
    if pos != len(data):
        raise WireFormatError(
            f"oversized batch: {count} events end at byte {pos}, got {len(data)} bytes"
        )
    return events


def decode_batch(data: bytes) -> list[ConnectionEvent]:
    """The events of one message value; :class:`WireFormatError` when it is not a valid batch."""
    version, count = _check_header(data)
    if version == 1:
        return _decode_v1(data)
    return _decode_v2(data, count)
