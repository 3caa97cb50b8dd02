"""Build the packets a switch would mirror: Ethernet (with VLAN tags), IPv4/IPv6, TCP, UDP, VXLAN.

The ERSPAN encoder wraps these; tests and the benchmark's capture generator use them to make
traffic that no public capture has (Type I/III SYNs, inner IPv6, QinQ). Checksums are real so
the frames also survive tools that verify them.
"""

from __future__ import annotations

import ipaddress
import struct
from collections.abc import Sequence
from typing import Final

from capture.protocol_numbers import (
    ETHERTYPE_8021AD,
    ETHERTYPE_8021Q,
    ETHERTYPE_IPV4,
    ETHERTYPE_IPV6,
    IP_PROTO_FRAGMENT,
    IP_PROTO_TCP,
    IP_PROTO_UDP,
    IPV4_FLAG_MORE_FRAGMENTS,
    TCP_FLAG_SYN,
    VXLAN_UDP_PORT,
)

DEFAULT_SRC_MAC: Final = bytes.fromhex("020000000001")
DEFAULT_DST_MAC: Final = bytes.fromhex("020000000002")
_IPV4_DONT_FRAGMENT: Final = 0x4000


def internet_checksum(data: bytes) -> int:
    """RFC 1071 ones-complement sum, as IPv4, TCP, UDP and GRE use it."""
    if len(data) % 2:
        data += b"\x00"
    words: tuple[int, ...] = struct.unpack(f"!{len(data) // 2}H", data)
    total = sum(words)
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def packed_addresses(src: str, dst: str) -> tuple[int, bytes, bytes]:
    """IP version and raw bytes of two addresses of the same family."""
    source, destination = ipaddress.ip_address(src), ipaddress.ip_address(dst)
    if source.version != destination.version:
        raise ValueError(f"{src} and {dst} are not of the same IP version")
    return source.version, source.packed, destination.packed


def _pseudo_header(version: int, src: bytes, dst: bytes, protocol: int, length: int) -> bytes:
    if version == 4:
        return src + dst + struct.pack("!BBH", 0, protocol, length)
    return src + dst + struct.pack("!IxxxB", length, protocol)


def ip_packet(
    src: str,
    dst: str,
    protocol: int,
    payload: bytes,
    *,
    ttl: int = 64,
    ident: int = 0,
    dont_fragment: bool = False,
    more_fragments: bool = False,
    fragment_offset: int = 0,
) -> bytes:
    """An IPv4 or IPv6 packet (the family follows the addresses) carrying ``payload``.

    ``fragment_offset`` counts 8-byte units. For IPv6 a fragment header is inserted when
    either fragment argument is set.
    """
    version, src_raw, dst_raw = packed_addresses(src, dst)
    if version == 4:
        flags_offset = fragment_offset & 0x1FFF
        flags_offset |= IPV4_FLAG_MORE_FRAGMENTS if more_fragments else 0
        flags_offset |= _IPV4_DONT_FRAGMENT if dont_fragment else 0
        header = struct.pack(
            "!BBHHHBBH4s4s",
            0x45,
            0,
            20 + len(payload),
            ident & 0xFFFF,
            flags_offset,
            ttl,
            protocol,
            0,
            src_raw,
            dst_raw,
        )
        checksum = internet_checksum(header)
        return header[:10] + struct.pack("!H", checksum) + header[12:] + payload
    next_header = protocol
    if more_fragments or fragment_offset:
        fragment_field = (fragment_offset & 0x1FFF) << 3 | (1 if more_fragments else 0)
        payload = struct.pack("!BBHI", protocol, 0, fragment_field, ident) + payload
        next_header = IP_PROTO_FRAGMENT
    header = struct.pack(
        "!IHBB16s16s", 0x6000_0000, len(payload), next_header, ttl, src_raw, dst_raw
    )
    return header + payload


def tcp_segment(
    src: str,
    dst: str,
    sport: int,
    dport: int,
    *,
    flags: int = TCP_FLAG_SYN,
    seq: int = 0,
    ack: int = 0,
    window: int = 64240,
    options: bytes = b"",
    payload: bytes = b"",
) -> bytes:
    """A TCP header (checksummed against the addresses' pseudo-header) plus ``payload``."""
    if len(options) % 4:
        raise ValueError("TCP options must be padded to a multiple of 4 bytes")
    version, src_raw, dst_raw = packed_addresses(src, dst)
    offset_words = (20 + len(options)) // 4
    header = struct.pack(
        "!HHIIBBHHH", sport, dport, seq, ack, offset_words << 4, flags, window, 0, 0
    )
    segment = header + options + payload
    pseudo = _pseudo_header(version, src_raw, dst_raw, IP_PROTO_TCP, len(segment))
    checksum = internet_checksum(pseudo + segment)
    return segment[:16] + struct.pack("!H", checksum) + segment[18:]


def tcp_packet(
    src: str,
    dst: str,
    sport: int,
    dport: int,
    *,
    flags: int = TCP_FLAG_SYN,
    seq: int = 0,
    ack: int = 0,
    ttl: int = 64,
    ident: int = 0,
    payload: bytes = b"",
) -> bytes:
    """An IP packet carrying one TCP segment: by default a client's SYN."""
    segment = tcp_segment(src, dst, sport, dport, flags=flags, seq=seq, ack=ack, payload=payload)
    return ip_packet(src, dst, IP_PROTO_TCP, segment, ttl=ttl, ident=ident)


def udp_datagram(src: str, dst: str, sport: int, dport: int, payload: bytes) -> bytes:
    """A UDP header plus payload, checksummed (mandatory over IPv6)."""
    version, src_raw, dst_raw = packed_addresses(src, dst)
    length = 8 + len(payload)
    datagram = struct.pack("!HHHH", sport, dport, length, 0) + payload
    pseudo = _pseudo_header(version, src_raw, dst_raw, IP_PROTO_UDP, length)
    checksum = internet_checksum(pseudo + datagram) or 0xFFFF
    return datagram[:6] + struct.pack("!H", checksum) + datagram[8:]


def ethertype_of(packet: bytes) -> int:
    """The EtherType announcing an IP packet, from its version nibble."""
    return ETHERTYPE_IPV6 if packet[:1] and packet[0] >> 4 == 6 else ETHERTYPE_IPV4


def ethernet_frame(
    payload: bytes,
    ethertype: int | None = None,
    *,
    vlans: Sequence[int] = (),
    service_tpid: int = ETHERTYPE_8021AD,
    priority: int = 0,
    src_mac: bytes = DEFAULT_SRC_MAC,
    dst_mac: bytes = DEFAULT_DST_MAC,
) -> bytes:
    """An Ethernet II frame, tagged with ``vlans`` outermost first.

    One VLAN gives an 802.1Q tag; two give QinQ (``service_tpid`` then 0x8100); more are
    allowed so tests can build stacks the decoders refuse. ``ethertype`` defaults to the
    payload's IP version.
    """
    if ethertype is None:
        ethertype = ethertype_of(payload)
    tags = b""
    for position, vlan in enumerate(vlans):
        if not 0 <= vlan <= 0x0FFF:
            raise ValueError(f"VLAN id {vlan} is outside 0..4095")
        tpid = service_tpid if position == 0 and len(vlans) > 1 else ETHERTYPE_8021Q
        tags += struct.pack("!HH", tpid, (priority & 7) << 13 | vlan)
    return dst_mac + src_mac + tags + struct.pack("!H", ethertype) + payload


def tcp_frame(
    src: str,
    dst: str,
    sport: int,
    dport: int,
    *,
    flags: int = TCP_FLAG_SYN,
    vlans: Sequence[int] = (),
    service_tpid: int = ETHERTYPE_8021AD,
    seq: int = 0,
    ack: int = 0,
) -> bytes:
    """The Ethernet frame a switch port would mirror for one TCP segment (SYN by default)."""
    packet = tcp_packet(src, dst, sport, dport, flags=flags, seq=seq, ack=ack)
    return ethernet_frame(packet, vlans=vlans, service_tpid=service_tpid)


def vxlan_packet(
    inner_frame: bytes,
    *,
    vni: int,
    src: str,
    dst: str,
    sport: int = 49152,
    dport: int = VXLAN_UDP_PORT,
) -> bytes:
    """An IP/UDP/VXLAN packet between two VTEPs carrying ``inner_frame``."""
    header = struct.pack("!B3xI", 0x08, (vni & 0xFF_FFFF) << 8)
    datagram = udp_datagram(src, dst, sport, dport, header + inner_frame)
    return ip_packet(src, dst, IP_PROTO_UDP, datagram)
