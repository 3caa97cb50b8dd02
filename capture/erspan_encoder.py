"""Wrap frames the way a switch mirrors them: ERSPAN Type I/II/III or plain GRE, in IPv4/IPv6.

The inverse of the decoders. A software ERSPAN exporter and the benchmark's capture generator
use it; the tests use it for every encapsulation the public captures lack. Layout follows
draft-foschiano-erspan-03 and RFC 2784/2890 (GRE checksum, key, sequence number).
"""

from __future__ import annotations

import struct
from typing import Final

from capture.packet_builder import (
    DEFAULT_DST_MAC,
    DEFAULT_SRC_MAC,
    ethernet_frame,
    ethertype_of,
    internet_checksum,
    ip_packet,
    tcp_frame,
    tcp_packet,
    vxlan_packet,
)
from capture.protocol_numbers import (
    ERSPAN_HEADER_VERSION_II,
    ERSPAN_HEADER_VERSION_III,
    ERSPAN_III_FRAME_TYPE_ETHERNET,
    ERSPAN_III_SUBHEADER_LEN,
    GRE_FLAG_CHECKSUM,
    GRE_FLAG_KEY,
    GRE_FLAG_SEQUENCE,
    GRE_PROTO_ERSPAN_I_II,
    GRE_PROTO_ERSPAN_III,
    IP_PROTO_GRE,
    RAW_LINKTYPES,
    LinkType,
)

__all__ = [
    "erspan_ii_header",
    "erspan_iii_header",
    "erspan_packet",
    "ethernet_frame",
    "gre_frame",
    "gre_packet",
    "link_frame",
    "mirror_frame",
    "tcp_frame",
    "tcp_packet",
    "vxlan_packet",
]

DEFAULT_MIRROR: Final = "192.0.2.1"
"""Outer source used when none is given: the exporting switch (TEST-NET-1)."""
DEFAULT_COLLECTOR: Final = "192.0.2.2"
"""Outer destination used when none is given and the mirror is IPv4: the processor host."""
DEFAULT_COLLECTOR_V6: Final = "2001:db8::2"
"""Outer destination used when none is given and the mirror is IPv6."""
_ARPHRD_ETHER: Final = 1


def gre_packet(
    payload: bytes,
    protocol: int,
    *,
    key: int | None = None,
    sequence: int | None = None,
    checksum: bool = False,
) -> bytes:
    """A GRE version 0 header (with the optional fields asked for) followed by ``payload``."""
    flags = 0
    options = b""
    if checksum:
        flags |= GRE_FLAG_CHECKSUM
        options += b"\x00\x00\x00\x00"
    if key is not None:
        flags |= GRE_FLAG_KEY
        options += struct.pack("!I", key & 0xFFFF_FFFF)
    if sequence is not None:
        flags |= GRE_FLAG_SEQUENCE
        options += struct.pack("!I", sequence & 0xFFFF_FFFF)
    packet = struct.pack("!HH", flags, protocol) + options + payload
    if checksum:
        packet = packet[:4] + struct.pack("!H", internet_checksum(packet)) + packet[6:]
    return packet


def erspan_ii_header(
    session: int,
    *,
    vlan: int = 0,
    cos: int = 0,
    encap: int = 0,
    truncated: bool = False,
    index: int = 0,
) -> bytes:
    """The 8-byte ERSPAN Type II header: version 1, VLAN, CoS, En, T, session id, index."""
    word0 = ERSPAN_HEADER_VERSION_II << 12 | (vlan & 0x0FFF)
    word1 = (cos & 7) << 13 | (encap & 3) << 11 | int(truncated) << 10 | (session & 0x03FF)
    return struct.pack("!HHI", word0, word1, index & 0x000F_FFFF)


def erspan_iii_header(
    session: int,
    *,
    vlan: int = 0,
    cos: int = 0,
    bso: int = 0,
    truncated: bool = False,
    timestamp: int = 0,
    sgt: int = 0,
    frame_type: int = ERSPAN_III_FRAME_TYPE_ETHERNET,
    hardware_id: int = 0,
    egress: bool = False,
    granularity: int = 0,
    subheader: bytes | None = None,
) -> bytes:
    """The 12-byte ERSPAN Type III header, plus the 8-byte platform subheader when given."""
    if subheader is not None and len(subheader) != ERSPAN_III_SUBHEADER_LEN:
        raise ValueError("the ERSPAN III platform subheader is exactly 8 bytes")
    word0 = ERSPAN_HEADER_VERSION_III << 12 | (vlan & 0x0FFF)
    word1 = (cos & 7) << 13 | (bso & 3) << 11 | int(truncated) << 10 | (session & 0x03FF)
    word5 = (
        (frame_type & 0x1F) << 10
        | (hardware_id & 0x3F) << 4
        | int(egress) << 3
        | (granularity & 3) << 1
        | int(subheader is not None)
    )
    header = struct.pack("!HHIHH", word0, word1, timestamp & 0xFFFF_FFFF, sgt & 0xFFFF, word5)
    return header + (subheader or b"")


def erspan_packet(
    frame: bytes,
    *,
    erspan_version: int = 2,
    session: int = 0,
    erspan_vlan: int = 0,
    sequence: int | None = None,
    key: int | None = None,
    checksum: bool = False,
    frame_type: int = ERSPAN_III_FRAME_TYPE_ETHERNET,
    subheader: bytes | None = None,
) -> bytes:
    """A GRE packet mirroring ``frame`` as ERSPAN Type ``erspan_version`` (1, 2 or 3).

    Type I has no ERSPAN header and must not carry a GRE sequence number (that is how
    receivers tell it from Type II); Type II always carries one (0 when not given); Type III
    carries one only when given.
    """
    if erspan_version == 1:
        if sequence is not None:
            raise ValueError("ERSPAN Type I has no GRE sequence number")
        return gre_packet(frame, GRE_PROTO_ERSPAN_I_II, key=key, checksum=checksum)
    if erspan_version == 2:
        header = erspan_ii_header(session, vlan=erspan_vlan)
        return gre_packet(
            header + frame,
            GRE_PROTO_ERSPAN_I_II,
            key=key,
            sequence=sequence or 0,
            checksum=checksum,
        )
    if erspan_version == 3:
        header = erspan_iii_header(
            session, vlan=erspan_vlan, frame_type=frame_type, subheader=subheader
        )
        return gre_packet(
            header + frame, GRE_PROTO_ERSPAN_III, key=key, sequence=sequence, checksum=checksum
        )
    raise ValueError(f"ERSPAN version {erspan_version} is not 1, 2 or 3")


def link_frame(
    packet: bytes,
    linktype: int = LinkType.ETHERNET,
    *,
    vlans: tuple[int, ...] = (),
    src_mac: bytes = DEFAULT_SRC_MAC,
    dst_mac: bytes = DEFAULT_DST_MAC,
) -> bytes:
    """Put an IP packet behind the link-layer header of capture link type ``linktype``."""
    ethertype = ethertype_of(packet)
    if linktype == LinkType.ETHERNET:
        return ethernet_frame(packet, ethertype, vlans=vlans, src_mac=src_mac, dst_mac=dst_mac)
    if linktype in RAW_LINKTYPES or linktype in (LinkType.IPV4, LinkType.IPV6):
        return packet
    address = src_mac.ljust(8, b"\x00")
    if linktype == LinkType.LINUX_SLL:
        return struct.pack("!HHH8sH", 0, _ARPHRD_ETHER, 6, address, ethertype) + packet
    if linktype == LinkType.LINUX_SLL2:
        return struct.pack("!HHIHBB8s", ethertype, 0, 1, _ARPHRD_ETHER, 0, 6, address) + packet
    raise ValueError(f"cannot build frames of link type {linktype}")


def mirror_frame(
    inner_frame: bytes,
    *,
    erspan_version: int = 2,
    session: int = 0,
    erspan_vlan: int = 0,
    mirror: str = DEFAULT_MIRROR,
    collector: str | None = None,
    sequence: int | None = None,
    key: int | None = None,
    checksum: bool = False,
    frame_type: int = ERSPAN_III_FRAME_TYPE_ETHERNET,
    subheader: bytes | None = None,
    linktype: int = LinkType.ETHERNET,
) -> bytes:
    """What the processor host captures when switch ``mirror`` sends ``inner_frame`` by ERSPAN."""
    gre = erspan_packet(
        inner_frame,
        erspan_version=erspan_version,
        session=session,
        erspan_vlan=erspan_vlan,
        sequence=sequence,
        key=key,
        checksum=checksum,
        frame_type=frame_type,
        subheader=subheader,
    )
    return link_frame(ip_packet(mirror, _collector(mirror, collector), IP_PROTO_GRE, gre), linktype)


def gre_frame(
    inner: bytes,
    protocol: int,
    *,
    mirror: str = DEFAULT_MIRROR,
    collector: str | None = None,
    sequence: int | None = None,
    key: int | None = None,
    checksum: bool = False,
    linktype: int = LinkType.ETHERNET,
) -> bytes:
    """Plain GRE: ``inner`` (an IP packet, or an Ethernet frame with protocol 0x6558) in GRE."""
    gre = gre_packet(inner, protocol, key=key, sequence=sequence, checksum=checksum)
    return link_frame(ip_packet(mirror, _collector(mirror, collector), IP_PROTO_GRE, gre), linktype)


def _collector(mirror: str, collector: str | None) -> str:
    """The collector given, or the default one of the mirror's IP version."""
    if collector is not None:
        return collector
    return DEFAULT_COLLECTOR_V6 if ":" in mirror else DEFAULT_COLLECTOR
