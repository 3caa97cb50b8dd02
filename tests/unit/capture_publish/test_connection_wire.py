"""The Kafka value format: exact round trips, and clear refusals of anything else."""

from __future__ import annotations

import ipaddress
import socket
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.connection import ConnectionEvent, Kind
from models.connection_wire import (
    HEADER_SIZE,
    MAX_RECORD_SIZE,
    MIN_RECORD_SIZE,
    VERSION,
    decode_batch,
    encode_batch,
    encoded_size,
)
from models.errors import MeeseeksError, WireFormatError


def canonical_v6(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    """inet_ntop's spelling, which the decoders produce and the codec returns."""
    return socket.inet_ntop(socket.AF_INET6, address.packed)


addresses = st.one_of(st.ip_addresses(v=4).map(str), st.ip_addresses(v=6).map(canonical_v6))
optional_u16 = st.none() | st.integers(0, 0xFFFF)
events = st.builds(
    ConnectionEvent,
    ts=st.floats(allow_nan=False, allow_infinity=False),
    src=addresses,
    sport=st.integers(0, 65535),
    dst=addresses,
    dport=st.integers(0, 65535),
    kind=st.sampled_from(Kind),
    vlan=st.none() | st.integers(0, 4095),
    erspan_version=st.sampled_from([None, 1, 2, 3]),
    erspan_vlan=optional_u16,
    session=st.none() | st.integers(0, 1023),
    mirror=addresses,
)


def event(**changes: object) -> ConnectionEvent:
    fields: dict[str, object] = {
        "ts": 1_700_000_000.123456,
        "src": "10.0.0.1",
        "sport": 40000,
        "dst": "10.0.0.2",
        "dport": 443,
        "kind": Kind.SYN,
        "vlan": 100,
        "erspan_version": 2,
        "erspan_vlan": 100,
        "session": 7,
        "mirror": "192.0.2.1",
    }
    fields.update(changes)
    return ConnectionEvent(**fields)  # type: ignore[arg-type]


@given(st.lists(events, max_size=50), st.sampled_from([1, 2]))
def test_round_trip_is_exact(batch: list[ConnectionEvent], version: int) -> None:
    data = encode_batch(batch, version=version)
    assert HEADER_SIZE + len(batch) * MIN_RECORD_SIZE <= len(data) <= encoded_size(len(batch))
    assert decode_batch(data) == batch


def test_version_2_layout_ipv4_in_4_bytes_ipv6_in_16() -> None:
    v4 = event()
    v6_inside = event(kind=Kind.SYN_ACK, src="2001:db8::2", dst="2001:db8::1", vlan=None)
    data = encode_batch([v4, v6_inside])
    assert data[:8] == b"MKC\x02" + struct.pack("!I", 2)
    assert VERSION == 2
    assert (HEADER_SIZE, MIN_RECORD_SIZE, MAX_RECORD_SIZE) == (8, 32, 68)
    flags = 0x02 | 0x04 | 0x08 | 0x10 | 0x20 | 0x40  # vlan, erspan vlan, session, all IPv4
    first = struct.pack(
        "!BBHHHHHdIII", flags, 2, 40000, 443, 100, 100, 7, 1_700_000_000.123456,
        0x0A000001, 0x0A000002, 0xC0000201,
    )  # fmt: skip
    second = struct.pack(
        "!BBHHHHHd16s16sI", 0x01 | 0x04 | 0x08 | 0x40, 2, 40000, 443, 0, 100, 7,
        1_700_000_000.123456, socket.inet_pton(socket.AF_INET6, "2001:db8::2"),
        socket.inet_pton(socket.AF_INET6, "2001:db8::1"), 0xC0000201,
    )  # fmt: skip
    assert data[8:] == first + second
    assert (len(first), len(second)) == (32, 56)


def test_version_1_batches_are_still_read() -> None:
    """A version 1 message written by hand, as processor hosts before version 2 sent them."""
    mapped = b"\x00" * 10 + b"\xff\xff"
    record = struct.pack(
        "!d16s16s16sHHHHHBB", 1_700_000_000.123456, mapped + bytes([10, 0, 0, 1]),
        mapped + bytes([10, 0, 0, 2]), socket.inet_pton(socket.AF_INET6, "2001:db8::9"),
        40000, 443, 100, 100, 7, 2, 0x02 | 0x04 | 0x08 | 0x10 | 0x20,
    )  # fmt: skip
    data = b"MKC\x01" + struct.pack("!I", 1) + record
    assert decode_batch(data) == [event(mirror="2001:db8::9")]
    assert encode_batch([event(mirror="2001:db8::9")], version=1) == data


def test_ipv4_mapped_ipv6_stays_ipv6() -> None:
    mapped = canonical_v6(ipaddress.IPv6Address("::ffff:10.0.0.2"))
    batch = [event(dst=mapped), event(dst="10.0.0.2")]
    assert [e.dst for e in decode_batch(encode_batch(batch))] == [mapped, "10.0.0.2"]


def test_plain_gre_event_keeps_its_nones() -> None:
    plain = event(vlan=None, erspan_version=None, erspan_vlan=None, session=None)
    assert decode_batch(encode_batch([plain])) == [plain]


def test_empty_batch() -> None:
    assert decode_batch(encode_batch([])) == []


ONE_V2 = encode_batch([event()])
TWO_V2_SECOND_SAYS_IPV6 = (
    b"MKC\x02\x00\x00\x00\x02" + ONE_V2[8:] + bytes([ONE_V2[8] & 0x0F]) + ONE_V2[9:]
)
"""The second record's flags say its addresses are IPv6 (68 bytes); only 32 bytes follow."""


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"MKC", "truncated batch: 3 bytes"),
        (b"XYZ\x01\x00\x00\x00\x00", "not a Meeseeks connection batch"),
        (b"MKC\x03\x00\x00\x00\x00", "unknown connection batch version 3"),
        (b"MKC\x01\x00\x00\x00\x02" + b"\x00" * 68, "truncated batch: header says 2 events"),
        (b"MKC\x01\x00\x00\x00\x00" + b"\x00", "oversized batch"),
        (ONE_V2[:-1], "truncated batch: header says 1 events"),
        (ONE_V2 + b"\x00", "oversized batch: 1 events end at byte 40"),
        (TWO_V2_SECOND_SAYS_IPV6, "the data ends in record 2"),
        (b"MKC\x02\x00\x00\x00\x02" + ONE_V2[8:] + b"\x00" * 80, "oversized batch"),
    ],
)
def test_invalid_data_is_refused_clearly(data: bytes, message: str) -> None:
    with pytest.raises(WireFormatError, match=message):
        decode_batch(data)


def test_wire_format_error_is_a_meeseeks_error() -> None:
    assert issubclass(WireFormatError, MeeseeksError)


@pytest.mark.parametrize(("version", "flags_at"), [(1, -1), (2, HEADER_SIZE)])
def test_corrupt_flags_are_refused(version: int, flags_at: int) -> None:
    data = bytearray(encode_batch([event()], version=version))
    data[flags_at] |= 0x80
    with pytest.raises(WireFormatError, match="corrupt record"):
        decode_batch(bytes(data))


def test_unknown_versions_are_not_written() -> None:
    with pytest.raises(WireFormatError, match="version 3"):
        encode_batch([event()], version=3)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"src": "not-an-address"}, "not an IP address"),
        ({"sport": 70000}, "ports must be 0..65535"),
        ({"erspan_version": 4}, "erspan_version=4"),
        ({"session": -1}, "session=-1"),
    ],
)
def test_unencodable_events_are_refused(changes: dict[str, object], message: str) -> None:
    with pytest.raises(WireFormatError, match=message):
        encode_batch([event(**changes)])
