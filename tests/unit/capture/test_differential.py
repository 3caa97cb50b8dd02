"""Hypothesis-built mirrored frames: the fast decoder must return what the reference returns.

Frames are built from random encapsulations (ERSPAN I/II/III, plain GRE, every GRE option,
IPv4/IPv6 outside and inside, IP options, IPv6 extension headers, VLAN stacks, VXLAN, TCP
flags and offsets), then optionally cut or damaged. Events must be identical and so must the
skip reasons.
"""

from __future__ import annotations

import struct

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from capture.decoder import Decoder
from capture.erspan_encoder import erspan_packet, gre_packet, link_frame
from capture.packet_builder import ethernet_frame, ip_packet, tcp_segment, udp_datagram
from capture.protocol_numbers import (
    ETHERTYPE_8021AD,
    ETHERTYPE_8021Q,
    ETHERTYPE_ARP,
    ETHERTYPE_IPV4,
    ETHERTYPE_IPV6,
    ETHERTYPE_QINQ_LEGACY,
    IP_PROTO_GRE,
    IP_PROTO_TCP,
    IP_PROTO_UDP,
    LinkType,
)
from capture.reference_decoder import ReferenceDecoder
from models.connection import ConnectionEvent

FAST, REFERENCE = Decoder(), ReferenceDecoder()
TS = 1_650_000_000.25

ipv4 = st.ip_addresses(v=4).map(str)
ipv6 = st.ip_addresses(v=6).map(str)
ports = st.integers(0, 65535)
TPIDS = [ETHERTYPE_8021Q, ETHERTYPE_8021AD, ETHERTYPE_QINQ_LEGACY, 0x9200]


@st.composite
def addresses(draw: st.DrawFn) -> tuple[str, str]:
    """Two addresses of one family."""
    family = draw(st.sampled_from([ipv4, ipv6]))
    return draw(family), draw(family)


@st.composite
def ipv6_extensions(
    draw: st.DrawFn, protocol: int, payload: bytes, clean: bool
) -> tuple[int, bytes]:
    """A random chain of IPv6 extension headers in front of ``payload``."""
    chain = b""
    following = protocol
    for kind in reversed(draw(st.lists(st.sampled_from([0, 43, 44, 51, 60]), max_size=3))):
        if kind == 44:
            field = (
                0 if clean else draw(st.sampled_from([0, 1, 8, 9, draw(st.integers(0, 0xFFFF))]))
            )
            header = struct.pack("!BBHI", following, 0, field, 1)
        elif kind == 51:
            words = draw(st.integers(1, 4))
            header = struct.pack("!BBH", following, words, 0) + bytes(4 * words + 4)
        else:
            units = draw(st.integers(0, 2))
            header = struct.pack("!BB", following, units) + bytes(6 + 8 * units)
        chain = header + chain
        following = kind
    return following, chain + payload


@st.composite
def ip_datagram(
    draw: st.DrawFn, src: str, dst: str, protocol: int, payload: bytes, clean: bool
) -> bytes:
    """An IPv4 (maybe with options, maybe fragmented) or IPv6 (maybe with extensions) packet."""
    if ":" not in src:
        fragments = (
            [{}] if clean else [{}, {}, {}, {"more_fragments": True}, {"fragment_offset": 7}]
        )
        packet = ip_packet(src, dst, protocol, payload, **draw(st.sampled_from(fragments)))  # type: ignore[arg-type]
        option_words = draw(st.integers(0, 2))
        if option_words:
            total = len(packet) + 4 * option_words
            packet = (
                bytes([0x45 + option_words, packet[1]])
                + struct.pack("!H", total)
                + packet[4:20]
                + b"\x01" * 4 * option_words
                + packet[20:]
            )
        return packet
    next_header, body = draw(ipv6_extensions(protocol, payload, clean))
    header = ip_packet(src, dst, protocol, b"")[:40]
    return header[:4] + struct.pack("!HB", len(body), next_header) + header[7:] + body


@st.composite
def transport(draw: st.DrawFn, src: str, dst: str, clean: bool) -> tuple[int, bytes]:
    """A TCP segment with random flags and offset, or some other datagram."""
    kind = "tcp" if clean else draw(st.sampled_from(["tcp", "tcp", "tcp", "udp", "icmp"]))
    if kind == "tcp":
        options = bytes(4 * draw(st.integers(0, 3)))
        flags = draw(
            st.integers(0, 255).map(lambda bits: bits | 0x02) if clean else st.integers(0, 255)
        )
        segment = tcp_segment(src, dst, draw(ports), draw(ports), flags=flags, options=options)
        if not clean and draw(st.integers(0, 3)) == 0:
            segment = segment[:12] + bytes([draw(st.integers(0, 255))]) + segment[13:]
        return IP_PROTO_TCP, segment
    if kind == "udp":
        return IP_PROTO_UDP, udp_datagram(src, dst, draw(ports), draw(ports), b"data")
    return 1, b"\x08\x00\x00\x00\x00\x00\x00\x00"


@st.composite
def tagged_ethernet(draw: st.DrawFn, packet: bytes, clean: bool) -> bytes:
    """``packet`` in an Ethernet frame with 0 to 3 VLAN tags of random TPIDs."""
    ethertype = ETHERTYPE_IPV6 if packet[0] >> 4 == 6 else ETHERTYPE_IPV4
    if clean:
        vlans = draw(st.lists(st.integers(0, 4095), max_size=2))
        return ethernet_frame(packet, vlans=vlans, service_tpid=draw(st.sampled_from(TPIDS)))
    ethertype = draw(st.sampled_from([ethertype] * 8 + [ETHERTYPE_ARP, 0x8847, 0x05DC]))
    frame = ethernet_frame(packet, ethertype)
    for _ in range(draw(st.sampled_from([0, 0, 1, 1, 2, 3]))):
        tag = struct.pack("!HH", draw(st.sampled_from(TPIDS)), draw(st.integers(0, 0xFFFF)))
        frame = frame[:12] + tag + frame[12:]
    return frame


@st.composite
def mirrored(draw: st.DrawFn, clean: bool) -> tuple[bytes, bytes]:
    """What the switch mirrors, as an Ethernet frame and as the IP packet inside it."""
    src, dst = draw(addresses())
    protocol, payload = draw(transport(src, dst, clean))
    packet = draw(ip_datagram(src, dst, protocol, payload, clean))
    frame = draw(tagged_ethernet(packet, clean))
    if draw(st.integers(0, 5)) == 0:  # a VXLAN fabric inside the mirror
        vtep_src, vtep_dst = draw(addresses())
        port = draw(st.sampled_from([4789, 4790] if clean else [4789, 4790, 4790, 5000]))
        gpe_next = 3 if clean else draw(st.sampled_from([1, 2, 3, 3, 4]))
        header = struct.pack("!BxxBI", 0x0C, gpe_next, 0)
        datagram = udp_datagram(vtep_src, vtep_dst, draw(ports), port, header + frame)
        packet = draw(ip_datagram(vtep_src, vtep_dst, IP_PROTO_UDP, datagram, clean))
        frame = draw(tagged_ethernet(packet, clean))
    return frame, packet


@st.composite
def gre(draw: st.DrawFn, clean: bool) -> bytes:
    """A GRE packet: ERSPAN of any type or plain GRE, with random optional fields."""
    frame, packet = draw(mirrored(clean))
    key = draw(st.none() | st.integers(0, 0xFFFF_FFFF))
    checksum = draw(st.booleans())
    kinds = ["erspan1", "erspan2", "erspan3", "teb", "ip"] + ([] if clean else ["other"])
    encapsulation = draw(st.sampled_from(kinds))
    if encapsulation.startswith("erspan"):
        version = int(encapsulation[-1])
        return erspan_packet(
            frame,
            erspan_version=version,
            session=draw(st.integers(0, 1023)),
            erspan_vlan=draw(st.integers(0, 4095)),
            sequence=None if version == 1 else draw(st.none() | st.integers(0, 2**32 - 1)),
            key=key,
            checksum=checksum,
            frame_type=0 if clean else draw(st.sampled_from([0, 0, 0, 2, 7])),
            subheader=draw(st.none() | st.binary(min_size=8, max_size=8)),
        )
    if encapsulation == "teb":
        return gre_packet(frame, 0x6558, key=key, checksum=checksum)
    if encapsulation == "ip":
        protocol = ETHERTYPE_IPV6 if packet[0] >> 4 == 6 else ETHERTYPE_IPV4
        return gre_packet(packet, protocol, key=key, sequence=draw(st.none() | ports))
    return gre_packet(frame, draw(st.integers(0, 0xFFFF)), key=key)


LINKTYPES = [
    LinkType.ETHERNET,
    LinkType.ETHERNET,
    LinkType.RAW,
    LinkType.LINUX_SLL,
    LinkType.LINUX_SLL2,
]


@st.composite
def captured(draw: st.DrawFn, clean: bool | None = None) -> tuple[bytes, int]:
    """A captured frame and its link type; ``clean`` ones always carry a decodable SYN."""
    if clean is None:
        clean = draw(st.booleans())
    mirror, collector = draw(addresses())
    outer = draw(ip_datagram(mirror, collector, IP_PROTO_GRE, draw(gre(clean)), clean))
    linktype = draw(st.sampled_from(LINKTYPES))
    vlans = tuple(draw(st.lists(st.integers(0, 4095), max_size=2)))
    frame = link_frame(outer, linktype, vlans=vlans if linktype == LinkType.ETHERNET else ())
    return frame, linktype


@st.composite
def damaged(draw: st.DrawFn) -> tuple[bytes, int]:
    """A captured frame, cut short, with bytes flipped, inserted or removed."""
    frame, linktype = draw(captured())
    data = bytearray(frame)
    for _ in range(draw(st.integers(0, 3))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        operation = draw(st.sampled_from(["flip", "set", "insert", "delete"]))
        if operation == "flip":
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif operation == "set":
            data[at] = draw(st.integers(0, 255))
        elif operation == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=4))
        else:
            del data[at]
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]
    return bytes(data), linktype


SETTINGS = settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(captured())
def test_both_decoders_agree_on_well_formed_mirrors(sample: tuple[bytes, int]) -> None:
    frame, linktype = sample
    assert FAST.explain_frame(frame, TS, linktype) == REFERENCE.explain_frame(frame, TS, linktype)


@SETTINGS
@given(damaged())
def test_both_decoders_agree_on_damaged_mirrors(sample: tuple[bytes, int]) -> None:
    frame, linktype = sample
    assert FAST.explain_frame(frame, TS, linktype) == REFERENCE.explain_frame(frame, TS, linktype)


@SETTINGS
@given(gre(clean=False), st.sampled_from(["192.0.2.9", "2001:db8::9"]))
def test_both_decoders_agree_on_bare_gre_packets(packet: bytes, mirror: str) -> None:
    assert FAST.explain_gre(packet, TS, mirror) == REFERENCE.explain_gre(packet, TS, mirror)


@SETTINGS
@given(captured(clean=True))
def test_clean_mirrors_give_the_same_event_from_both(sample: tuple[bytes, int]) -> None:
    """Also guards the tests above against a generator that never builds a decodable SYN."""
    frame, linktype = sample
    event = REFERENCE.explain_frame(frame, TS, linktype)
    assert isinstance(event, ConnectionEvent)
    assert FAST.explain_frame(frame, TS, linktype) == event
