"""The exporter's frame helpers: the --syn-only filter and putting VLAN tags back."""

from __future__ import annotations

import struct

import pytest

from capture.export_frames import is_tcp_opening, with_vlan_tag
from capture.packet_builder import ethernet_frame, ip_packet, tcp_frame, udp_datagram
from capture.protocol_numbers import IP_PROTO_TCP, TCP_FLAG_ACK, TCP_FLAG_SYN

SYN_ACK = TCP_FLAG_SYN | TCP_FLAG_ACK


@pytest.mark.parametrize(
    ("frame", "opening"),
    [
        (tcp_frame("10.0.0.1", "10.0.0.2", 1000, 80), True),
        (tcp_frame("10.0.0.2", "10.0.0.1", 80, 1000, flags=SYN_ACK), True),
        (tcp_frame("10.0.0.1", "10.0.0.2", 1000, 80, flags=TCP_FLAG_ACK), False),
        (tcp_frame("10.0.0.1", "10.0.0.2", 1000, 80, vlans=(20,)), True),
        (tcp_frame("10.0.0.1", "10.0.0.2", 1000, 80, vlans=(100, 200)), True),
        (tcp_frame("2001:db8::1", "2001:db8::2", 1000, 80), True),
        (tcp_frame("2001:db8::1", "2001:db8::2", 1000, 80, flags=TCP_FLAG_ACK), False),
        (
            ethernet_frame(
                ip_packet(
                    "10.0.0.1", "10.0.0.2", 17, udp_datagram("10.0.0.1", "10.0.0.2", 53, 53, b"x")
                )
            ),
            False,
        ),
        (bytes.fromhex("ffffffffffff0200000000010806") + bytes(28), False),  # ARP
        (tcp_frame("10.0.0.1", "10.0.0.2", 1000, 80)[:40], False),  # cut before the flags
        (b"\x00" * 10, False),
    ],
)
def test_tcp_openings_are_recognised(frame: bytes, opening: bool) -> None:
    assert is_tcp_opening(frame) is opening


def test_three_vlan_tags_are_not_followed() -> None:
    assert not is_tcp_opening(tcp_frame("10.0.0.1", "10.0.0.2", 1, 2, vlans=(1, 2, 3)))


def test_later_ipv4_fragment_is_not_an_opening() -> None:
    segment = tcp_frame("10.0.0.1", "10.0.0.2", 1000, 80)[14 + 20 :]
    first = ip_packet("10.0.0.1", "10.0.0.2", IP_PROTO_TCP, segment, more_fragments=True)
    later = ip_packet("10.0.0.1", "10.0.0.2", IP_PROTO_TCP, segment, fragment_offset=3)
    assert is_tcp_opening(ethernet_frame(first))
    assert not is_tcp_opening(ethernet_frame(later))


def test_ipv6_extension_headers_are_walked() -> None:
    segment = tcp_frame("2001:db8::1", "2001:db8::2", 1000, 80)[14 + 40 :]
    hop_by_hop = struct.pack("!BB", IP_PROTO_TCP, 0) + bytes(6)
    packet = bytearray(ip_packet("2001:db8::1", "2001:db8::2", 0, hop_by_hop + segment))
    assert is_tcp_opening(ethernet_frame(bytes(packet)))
    later = ip_packet("2001:db8::1", "2001:db8::2", IP_PROTO_TCP, segment, fragment_offset=2)
    assert not is_tcp_opening(ethernet_frame(later))


def test_vlan_tag_goes_back_after_the_addresses() -> None:
    untagged = tcp_frame("10.0.0.1", "10.0.0.2", 1000, 80)
    assert with_vlan_tag(untagged, 20) == tcp_frame("10.0.0.1", "10.0.0.2", 1000, 80, vlans=(20,))
    qinq = with_vlan_tag(tcp_frame("10.0.0.1", "10.0.0.2", 1, 2, vlans=(200,)), 100, 0x88A8)
    assert qinq == tcp_frame("10.0.0.1", "10.0.0.2", 1, 2, vlans=(100, 200))
    assert with_vlan_tag(b"short", 5) == b"short"
