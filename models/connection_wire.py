"""The Kafka value format of connection events: a versioned batch of fixed-size binary records.

A processor host sees hundreds of thousands of SYNs a second; JSON per event would cost more
than decoding them. One message carries many events, each a 68-byte record, so the broker and
the stream app handle few, compressible messages. The layout (all integers big-endian):

    header  (8 bytes)   magic b"MKC" | version u8 (= 1) | event count u32
    record (68 bytes)   ts f64 | src 16s | dst 16s | mirror 16s | sport u16 | dport u16
                        | vlan u16 | erspan_vlan u16 | session u16 | erspan_version u8 | flags u8

Addresses are 16-byte IPv6, IPv4 ones mapped (::ffff:a.b.c.d); a flag bit per address says it
was IPv4, so the text form round-trips exactly, in inet_ntop's spelling as the decoders
write it (socket's address conversions are pure functions: no I/O). Optional integers are 0
with their flag clear, and ``erspan_version`` 0 means plain GRE. A reader refuses versions it
does not know rather than guess: a new layout gets a new version number.
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Iterable
from functools import lru_cache

from models.connection import ConnectionEvent, Kind
from models.errors import WireFormatError

MAGIC = b"MKC"
VERSION = 1
HEADER = struct.Struct("!3sBI")
RECORD = struct.Struct("!d16s16s16sHHHHHBB")
HEADER_SIZE = HEADER.size
RECORD_SIZE = RECORD.size

SYN_ACK = 0x01
HAS_VLAN = 0x02
HAS_ERSPAN_VLAN = 0x04
HAS_SESSION = 0x08
SRC_IS_V4 = 0x10
DST_IS_V4 = 0x20
MIRROR_IS_V4 = 0x40
RESERVED = 0x80

_Record = tuple[float, bytes, bytes, bytes, int, int, int, int, int, int, int]
_V4_MAPPED_PREFIX = b"\x00" * 10 + b"\xff\xff"
_MAX_COUNT = 0xFFFFFFFF
_ADDRESS_CACHE_LIMIT = 65536


def encoded_size(count: int) -> int:
    """Bytes of a batch of ``count`` events; lets callers keep messages under the broker's limit."""
    return HEADER_SIZE + count * RECORD_SIZE


@lru_cache(maxsize=_ADDRESS_CACHE_LIMIT)
def packed_address(text: str) -> tuple[bytes, bool]:
    """The 16-byte form of an IPv4 or IPv6 address and whether it was IPv4."""
    try:
        if ":" in text:
            return socket.inet_pton(socket.AF_INET6, text), False
        return _V4_MAPPED_PREFIX + socket.inet_pton(socket.AF_INET, text), True
    except OSError as exc:
        raise WireFormatError(
            f"{text!r} is not an IP address; connection events carry only IPv4/IPv6 addresses"
        ) from exc


@lru_cache(maxsize=65536)
def _address_text(packed: bytes, is_v4: bool) -> str:
    # inet_ntop, like the decoders, so that a decoded event equals the one that was encoded.
    if is_v4:
        return socket.inet_ntop(socket.AF_INET, packed[12:])
    return socket.inet_ntop(socket.AF_INET6, packed)


def _optional(value: int | None, flag: int, name: str, limit: int) -> tuple[int, int]:
    if value is None:
        return 0, 0
    if not 0 <= value <= limit:
        raise WireFormatError(f"{name}={value} is outside 0..{limit}; the event is corrupt")
    return value, flag


def _pack(event: ConnectionEvent) -> bytes:
    src, src_v4 = packed_address(event.src)
    dst, dst_v4 = packed_address(event.dst)
    mirror, mirror_v4 = packed_address(event.mirror)
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
    flags |= (SRC_IS_V4 if src_v4 else 0) | (DST_IS_V4 if dst_v4 else 0)
    flags |= MIRROR_IS_V4 if mirror_v4 else 0
    try:
        return RECORD.pack(
            event.ts, src, dst, mirror, event.sport, event.dport,
            vlan, erspan_vlan, session, version, flags,
        )  # fmt: skip
    except struct.error as exc:
        raise WireFormatError(f"cannot encode {event}: {exc}; ports must be 0..65535") from exc


def encode_batch(events: Iterable[ConnectionEvent]) -> bytes:
    """One Kafka message value holding ``events`` in order."""
    batch = events if isinstance(events, list | tuple) else list(events)
    out = bytearray(encoded_size(len(batch)))
    write_header(out, len(batch))
    offset = HEADER_SIZE
    for event in batch:
        pack_record_into(out, offset, event)
        offset += RECORD_SIZE
    return bytes(out)


def write_header(out: bytearray, count: int) -> None:
    """The batch header for ``count`` records at the start of ``out``."""
    if count > _MAX_COUNT:
        raise WireFormatError(f"{count} events do not fit one batch; split it")
    HEADER.pack_into(out, 0, MAGIC, VERSION, count)


def pack_record_into(out: bytearray, offset: int, event: ConnectionEvent) -> None:
    """Write ``event``'s record at ``offset``: the bytes ``_pack`` makes, without its calls.

    Addresses come from a cache of their 16-byte forms. An event this quick path cannot pack
    goes through ``_pack``, which says what is wrong with it (or packs it, the same bytes).
    """
    try:
        src, src_v4 = _packed_forms[event.src]
        dst, dst_v4 = _packed_forms[event.dst]
        mirror, mirror_v4 = _packed_forms[event.mirror]
    except KeyError:
        src, src_v4 = _packed_form(event.src)
        dst, dst_v4 = _packed_form(event.dst)
        mirror, mirror_v4 = _packed_form(event.mirror)
    flags = (src_v4 & SRC_IS_V4) | (dst_v4 & DST_IS_V4) | (mirror_v4 & MIRROR_IS_V4)
    if event.kind is _SYN_ACK_KIND:
        flags |= SYN_ACK
    vlan, erspan_vlan, session = event.vlan, event.erspan_vlan, event.session
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
    version = event.erspan_version or 0
    try:
        if not 0 <= version <= 3:
            raise ValueError(version)
        _pack_into(
            out, offset, event.ts, src, dst, mirror, event.sport, event.dport,
            vlan, erspan_vlan, session, version, flags,
        )  # fmt: skip
    except (struct.error, ValueError, TypeError):
        out[offset : offset + RECORD_SIZE] = _pack(event)  # raises, saying why


_packed_forms: dict[str, tuple[bytes, int]] = {}
"""Address text -> (16-byte form, all three IPv4 flag bits if IPv4 else 0)."""
_ALL_V4 = SRC_IS_V4 | DST_IS_V4 | MIRROR_IS_V4
_SYN_ACK_KIND = Kind.SYN_ACK
_pack_into = RECORD.pack_into


def _packed_form(text: str) -> tuple[bytes, int]:
    form = _packed_forms.get(text)
    if form is None:
        if len(_packed_forms) >= _ADDRESS_CACHE_LIMIT:
            _packed_forms.clear()
        packed, is_v4 = packed_address(text)
        form = _packed_forms[text] = (packed, _ALL_V4 if is_v4 else 0)
    return form


def _check_header(data: bytes) -> int:
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
    if version != VERSION:
        raise WireFormatError(
            f"unknown connection batch version {version}; this build reads version {VERSION}: "
            "upgrade the consumer to the producer's Meeseeks version"
        )
    expected = encoded_size(count)
    if len(data) != expected:
        state = "truncated" if len(data) < expected else "oversized"
        raise WireFormatError(
            f"{state} batch: header says {count} events ({expected} bytes), got {len(data)} bytes"
        )
    return int(count)


def _unpack(fields: _Record) -> ConnectionEvent:
    ts, src, dst, mirror, sport, dport, vlan, erspan_vlan, session, version, flags = fields
    if flags & RESERVED or version > 3:
        raise WireFormatError(f"corrupt record: flags {flags:#04x}, erspan version {version}")
    return ConnectionEvent(
        ts=ts,
        src=_address_text(src, bool(flags & SRC_IS_V4)),
        sport=sport,
        dst=_address_text(dst, bool(flags & DST_IS_V4)),
        dport=dport,
        kind=Kind.SYN_ACK if flags & SYN_ACK else Kind.SYN,
        vlan=vlan if flags & HAS_VLAN else None,
        erspan_version=version or None,
        erspan_vlan=erspan_vlan if flags & HAS_ERSPAN_VLAN else None,
        session=session if flags & HAS_SESSION else None,
        mirror=_address_text(mirror, bool(flags & MIRROR_IS_V4)),
    )


def decode_batch(data: bytes) -> list[ConnectionEvent]:
    """The events of one message value; :class:`WireFormatError` when it is not a valid batch."""
    _check_header(data)
    return [_unpack(fields) for fields in RECORD.iter_unpack(memoryview(data)[HEADER_SIZE:])]
