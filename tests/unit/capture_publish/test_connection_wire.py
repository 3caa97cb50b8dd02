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
    RECORD_SIZE,
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


@given(st.lists(events, max_size=50))
def test_round_trip_is_exact(batch: list[ConnectionEvent]) -> None:
    data = encode_batch(batch)
    assert len(data) == encoded_size(len(batch))
    assert decode_batch(data) == batch


def test_layout_is_header_then_fixed_records() -> None:
    data = encode_batch([event(), event(kind=Kind.SYN_ACK, src="10.0.0.2", dst="10.0.0.1")])
    assert data[:4] == b"MKC" + bytes([VERSION])
    assert struct.unpack("!I", data[4:8]) == (2,)
    assert (HEADER_SIZE, RECORD_SIZE) == (8, 68)
    assert len(data) == 8 + 2 * 68


def test_ipv4_mapped_ipv6_stays_ipv6() -> None:
    mapped = canonical_v6(ipaddress.IPv6Address("::ffff:10.0.0.2"))
    batch = [event(dst=mapped), event(dst="10.0.0.2")]
    assert [e.dst for e in decode_batch(encode_batch(batch))] == [mapped, "10.0.0.2"]


def test_plain_gre_event_keeps_its_nones() -> None:
    plain = event(vlan=None, erspan_version=None, erspan_vlan=None, session=None)
    assert decode_batch(encode_batch([plain])) == [plain]


def test_empty_batch() -> None:
    assert decode_batch(encode_batch([])) == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"MKC", "truncated batch: 3 bytes"),
        (b"XYZ\x01\x00\x00\x00\x00", "not a Meeseeks connection batch"),
        (b"MKC\x02\x00\x00\x00\x00", "unknown connection batch version 2"),
        (b"MKC\x01\x00\x00\x00\x02" + b"\x00" * 68, "truncated batch: header says 2 events"),
        (b"MKC\x01\x00\x00\x00\x00" + b"\x00", "oversized batch"),
    ],
)
def test_invalid_data_is_refused_clearly(data: bytes, message: str) -> None:
    with pytest.raises(WireFormatError, match=message):
        decode_batch(data)


def test_wire_format_error_is_a_meeseeks_error() -> None:
    assert issubclass(WireFormatError, MeeseeksError)


def test_corrupt_flags_are_refused() -> None:
    data = bytearray(encode_batch([event()]))
    data[-1] |= 0x80
    with pytest.raises(WireFormatError, match="corrupt record"):
        decode_batch(bytes(data))


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
