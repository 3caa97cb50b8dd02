"""Frame templates: one mirrored frame per (session, VLAN, family, shape), patched per packet.

Building each frame through the encoder costs tens of microseconds (address parsing, full
checksums), too slow for millions of packets. A template is built once by the encoder and
remembers where the per-packet fields sit; ``render`` copies it, writes addresses, ports,
sequence numbers, and completes the IPv4 and TCP checksums from precomputed partial sums
(RFC 1071 sums are additive), so every frame still carries valid checksums.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Final

from bench.decode.traffic import MIRRORS, Erspan, Shape
from capture.erspan_encoder import mirror_frame
from capture.packet_builder import ethernet_frame, ip_packet, tcp_segment
from capture.protocol_numbers import IP_PROTO_TCP, TCP_FLAG_ACK, TCP_FLAG_SYN

_SYN_OPTIONS: Final = bytes.fromhex("020405b40402080a0001e2400000000001030307")
"""MSS 1460, SACK permitted, timestamps, NOP, window scale 7: what Linux sends."""
_ACK_OPTIONS: Final = bytes.fromhex("0101080a0001e24a0001e240")
"""NOP, NOP, timestamps."""
_PAYLOAD: Final = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 64\r\n\r\n"
_SUBHEADER: Final = bytes.fromhex("0c00002a00000000")
"""An ERSPAN III platform subheader (platform id 3, a port id); its content is opaque."""
_FLAGS: Final = {
    Shape.SYN: TCP_FLAG_SYN,
    Shape.SYN_ACK: TCP_FLAG_SYN | TCP_FLAG_ACK,
    Shape.ACK: TCP_FLAG_ACK,
    Shape.DATA: TCP_FLAG_ACK | 0x08,
}
_PLACEHOLDER: Final = {False: ("10.0.0.1", "10.0.0.2"), True: ("fd00::1", "fd00::2")}
_GRE_SEQUENCE: Final = struct.Struct("!I").pack_into
_IPV4_CHECKSUM_ADDRESSES: Final = struct.Struct("!H4s4s").pack_into
_IPV6_ADDRESSES: Final = struct.Struct("!16s16s").pack_into
_PORTS_SEQUENCE: Final = struct.Struct("!HHI").pack_into
_CHECKSUM: Final = struct.Struct("!H").pack_into


def word_sum(data: bytes) -> int:
    """Sum of the big-endian 16-bit words of ``data`` (zero-padded), not yet folded."""
    if len(data) % 2:
        data += b"\x00"
    return sum(struct.unpack(f"!{len(data) // 2}H", data))


def finish_checksum(total: int) -> int:
    """Fold a word sum to 16 bits and complement it: the value a checksum field holds."""
    total = (total & 0xFFFF) + (total >> 16)
    total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


@dataclass(frozen=True, slots=True)
class Template:
    """A complete mirrored frame and where its per-packet fields are."""

    frame: bytes
    gre_sequence_at: int
    ip_at: int
    tcp_at: int
    ipv6: bool
    ip_base: int
    """Word sum of the inner IPv4 header without checksum and addresses (0 for IPv6)."""
    tcp_base: int
    """Word sum of the TCP pseudo-header and segment without addresses, ports, seq, checksum."""


def build_template(mirror_index: int, vlan: int | None, ipv6: bool, shape: Shape) -> Template:
    """Encode one frame with placeholder addresses and record its patch points."""
    mirror = MIRRORS[mirror_index]
    src, dst = _PLACEHOLDER[ipv6]
    data = shape is Shape.DATA
    options = _SYN_OPTIONS if shape in {Shape.SYN, Shape.SYN_ACK} else _ACK_OPTIONS
    segment = tcp_segment(
        src, dst, 1, 2, flags=_FLAGS[shape], ack=0 if shape is Shape.SYN else 1,
        window=502 if data else 64240, options=options, payload=_PAYLOAD if data else b"",
    )  # fmt: skip
    packet = ip_packet(src, dst, IP_PROTO_TCP, segment, dont_fragment=True)
    inner = ethernet_frame(packet, vlans=() if vlan is None else (vlan,))
    frame = mirror_frame(
        inner,
        erspan_version=2 if mirror.erspan is Erspan.II else 3,
        session=mirror.session,
        erspan_vlan=vlan or 0,
        mirror=mirror.address,
        collector=mirror.collector,
        sequence=0,
        subheader=_SUBHEADER if mirror.erspan is Erspan.III_SUBHEADER else None,
    )
    outer_ip_len = 40 if ":" in mirror.address else 20
    ip_at = len(frame) - len(packet)
    tcp_at = ip_at + (40 if ipv6 else 20)
    length = len(segment)
    pseudo = struct.pack("!IxxxB", length, IP_PROTO_TCP) if ipv6 else struct.pack("!xBH", 6, length)
    unpatched = segment[8:16] + segment[18:]  # ack, offset, flags, window, urgent, options, data
    ip_base = 0 if ipv6 else word_sum(packet[:10])
    return Template(
        frame=frame,
        gre_sequence_at=14 + outer_ip_len + 4,
        ip_at=ip_at,
        tcp_at=tcp_at,
        ipv6=ipv6,
        ip_base=ip_base,
        tcp_base=word_sum(pseudo) + word_sum(unpatched),
    )


def render(  # the per-packet fields, positional for speed
    template: Template,
    src: bytes,
    dst: bytes,
    address_sum: int,
    sport: int,
    dport: int,
    seq: int,
    gre_sequence: int,
) -> bytearray:
    """A copy of the template's frame with this packet's fields and checksums."""
    frame = bytearray(template.frame)
    _GRE_SEQUENCE(frame, template.gre_sequence_at, gre_sequence)
    if template.ipv6:
        _IPV6_ADDRESSES(frame, template.ip_at + 8, src, dst)
    else:
        checksum = finish_checksum(template.ip_base + address_sum)
        _IPV4_CHECKSUM_ADDRESSES(frame, template.ip_at + 10, checksum, src, dst)
    tcp_at = template.tcp_at
    _PORTS_SEQUENCE(frame, tcp_at, sport, dport, seq)
    total = template.tcp_base + address_sum + sport + dport + (seq >> 16) + (seq & 0xFFFF)
    _CHECKSUM(frame, tcp_at + 16, finish_checksum(total))
    return frame
