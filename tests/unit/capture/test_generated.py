"""Encapsulations no public capture has, built with the encoder (and one by hand), per decoder."""

from __future__ import annotations

import struct

import pytest

from capture.decoder import Decoder
from capture.erspan_encoder import (
    erspan_iii_header,
    erspan_packet,
    gre_frame,
    gre_packet,
    link_frame,
    mirror_frame,
)
from capture.frame_decoder import FrameDecoder
from capture.packet_builder import (
    ethernet_frame,
    internet_checksum,
    ip_packet,
    tcp_frame,
    tcp_packet,
    tcp_segment,
    udp_datagram,
    vxlan_packet,
)
from capture.protocol_numbers import (
    ETHERTYPE_8021Q,
    ETHERTYPE_ARP,
    ETHERTYPE_MPLS,
    ETHERTYPE_QINQ_LEGACY,
    GRE_PROTO_ERSPAN_I_II,
    GRE_PROTO_IPV4,
    GRE_PROTO_IPV6,
    GRE_PROTO_TRANSPARENT_ETHERNET,
    IP_PROTO_GRE,
    IP_PROTO_TCP,
    IP_PROTO_UDP,
    TCP_FLAG_ACK,
    TCP_FLAG_SYN,
    LinkType,
)
from capture.skips import SkipReason
from models.connection import ConnectionEvent, Kind

TS = 1_700_000_000.123456
CLIENT, SERVER = "10.1.2.3", "10.9.8.7"
CLIENT6, SERVER6 = "2001:db8::1", "2001:db8:0:1::80"
SYN = tcp_frame(CLIENT, SERVER, 40000, 443)


def expected(
    *,
    erspan_version: int | None,
    session: int | None = None,
    erspan_vlan: int | None = None,
    vlan: int | None = None,
    src: str = CLIENT,
    dst: str = SERVER,
    kind: Kind = Kind.SYN,
    mirror: str = "192.0.2.1",
) -> ConnectionEvent:
    sport, dport = (40000, 443) if kind is Kind.SYN else (443, 40000)
    return ConnectionEvent(
        TS, src, sport, dst, dport, kind, vlan, erspan_version, erspan_vlan, session, mirror
    )


def explain(decoder: FrameDecoder, frame: bytes, linktype: int = LinkType.ETHERNET) -> object:
    return decoder.explain_frame(frame, TS, linktype)


@pytest.mark.parametrize("erspan_version", [1, 2, 3])
@pytest.mark.parametrize("family", ["ipv4", "ipv6"])
def test_a_syn_is_found_in_every_erspan_type_and_ip_version(
    decoder: FrameDecoder, erspan_version: int, family: str
) -> None:
    src, dst = (CLIENT, SERVER) if family == "ipv4" else (CLIENT6, SERVER6)
    inner = tcp_frame(src, dst, 40000, 443)
    frame = mirror_frame(inner, erspan_version=erspan_version, session=77, erspan_vlan=12)
    typed = erspan_version != 1
    assert explain(decoder, frame) == expected(
        erspan_version=erspan_version,
        session=77 if typed else None,
        erspan_vlan=12 if typed else None,
        src=src,
        dst=dst,
    )


def test_a_syn_ack_is_reported_as_such_with_the_widest_erspan_fields(
    decoder: FrameDecoder,
) -> None:
    inner = tcp_frame(SERVER, CLIENT, 443, 40000, flags=TCP_FLAG_SYN | TCP_FLAG_ACK)
    frame = mirror_frame(inner, erspan_version=2, session=1023, erspan_vlan=4095, sequence=9)
    result = explain(decoder, frame)
    assert result == expected(
        erspan_version=2, session=1023, erspan_vlan=4095, src=SERVER, dst=CLIENT, kind=Kind.SYN_ACK
    )


@pytest.mark.parametrize("sequence", [None, 123456])
def test_erspan_iii_platform_subheader_is_skipped(
    decoder: FrameDecoder, sequence: int | None
) -> None:
    subheader = bytes.fromhex("1c00000012345678")  # platform id 7 and a source index
    frame = mirror_frame(SYN, erspan_version=3, session=5, subheader=subheader, sequence=sequence)
    assert explain(decoder, frame) == expected(erspan_version=3, session=5, erspan_vlan=0)


@pytest.mark.parametrize(
    ("vlans", "service_tpid", "innermost"),
    [
        ((300,), 0x88A8, 300),
        ((100, 200), 0x88A8, 200),
        ((100, 200), ETHERTYPE_QINQ_LEGACY, 200),
        ((100, 200), ETHERTYPE_8021Q, 200),
        ((0,), 0x88A8, 0),
        ((4095,), 0x88A8, 4095),
    ],
)
@pytest.mark.parametrize("family", ["ipv4", "ipv6"])
def test_vlan_is_the_innermost_tag(
    decoder: FrameDecoder, vlans: tuple[int, ...], service_tpid: int, innermost: int, family: str
) -> None:
    src, dst = (CLIENT, SERVER) if family == "ipv4" else (CLIENT6, SERVER6)
    packet = tcp_packet(src, dst, 40000, 443)
    inner = ethernet_frame(packet, vlans=vlans, service_tpid=service_tpid, priority=5)
    result = explain(decoder, mirror_frame(inner, session=3))
    assert result == expected(
        erspan_version=2, session=3, erspan_vlan=0, vlan=innermost, src=src, dst=dst
    )


@pytest.mark.parametrize(
    ("vlans", "service_tpid"), [((1, 2, 3), 0x88A8), ((1, 2), 0x88A8), ((1, 2, 3), 0x8100)]
)
def test_unsupported_tag_stacks_are_counted(
    decoder: FrameDecoder, vlans: tuple[int, ...], service_tpid: int
) -> None:
    inner = ethernet_frame(tcp_packet(CLIENT, SERVER, 40000, 443), vlans=vlans)
    if vlans == (1, 2):  # a service tag inside a customer tag
        inner = inner[:12] + struct.pack("!HHHH", 0x8100, 1, 0x88A8, 2) + inner[20:]
    elif service_tpid == 0x8100:  # three customer tags
        inner = inner[:12] + struct.pack("!HHHHHH", 0x8100, 1, 0x8100, 2, 0x8100, 3) + inner[24:]
    assert explain(decoder, mirror_frame(inner)) == SkipReason.UNSUPPORTED_VLAN_STACK


@pytest.mark.parametrize("erspan_version", [1, 2, 3])
@pytest.mark.parametrize("key", [None, 0xDEADBEEF])
@pytest.mark.parametrize("checksum", [False, True])
def test_gre_checksum_key_and_sequence_are_honoured(
    decoder: FrameDecoder, erspan_version: int, key: int | None, checksum: bool
) -> None:
    sequence = None if erspan_version == 1 else 42
    gre = erspan_packet(
        SYN, erspan_version=erspan_version, session=9, key=key, checksum=checksum, sequence=sequence
    )
    if checksum:
        assert internet_checksum(gre) == 0
    frame = link_frame(ip_packet("192.0.2.1", "192.0.2.2", IP_PROTO_GRE, gre))
    typed = erspan_version != 1
    assert explain(decoder, frame) == expected(
        erspan_version=erspan_version,
        session=9 if typed else None,
        erspan_vlan=0 if typed else None,
    )


@pytest.mark.parametrize(
    ("protocol", "inner", "vlan"),
    [
        (GRE_PROTO_TRANSPARENT_ETHERNET, tcp_frame(CLIENT, SERVER, 40000, 443, vlans=(7,)), 7),
        (GRE_PROTO_IPV4, tcp_packet(CLIENT, SERVER, 40000, 443), None),
    ],
)
@pytest.mark.parametrize("options", [{}, {"key": 1, "sequence": 2, "checksum": True}])
def test_plain_gre_carrying_ethernet_or_ip(
    decoder: FrameDecoder,
    protocol: int,
    inner: bytes,
    vlan: int | None,
    options: dict[str, int],
) -> None:
    frame = gre_frame(inner, protocol, **options)  # type: ignore[arg-type]
    assert explain(decoder, frame) == expected(erspan_version=None, vlan=vlan)


def test_plain_gre_carrying_ipv6(decoder: FrameDecoder) -> None:
    frame = gre_frame(tcp_packet(CLIENT6, SERVER6, 40000, 443), GRE_PROTO_IPV6)
    assert explain(decoder, frame) == expected(erspan_version=None, src=CLIENT6, dst=SERVER6)


def test_outer_ipv6_with_extension_headers(decoder: FrameDecoder) -> None:
    gre = erspan_packet(SYN, session=4)
    hop_by_hop = struct.pack("!BB6x", 60, 0)  # next: destination options, 8 bytes
    destination = struct.pack("!BB", IP_PROTO_GRE, 1) + b"\x01\x0c" + bytes(12)  # PadN, 16 bytes
    header = struct.pack(
        "!IHBB16s16s",
        0x6000_0000,
        len(hop_by_hop + destination + gre),
        0,
        64,
        bytes.fromhex("20010db8000000000000000000000009"),
        bytes.fromhex("20010db80000000000000000000000fe"),
    )
    frame = link_frame(header + hop_by_hop + destination + gre)
    result = explain(decoder, frame)
    assert result == expected(erspan_version=2, session=4, erspan_vlan=0, mirror="2001:db8::9")


@pytest.mark.parametrize(
    "linktype",
    [
        LinkType.ETHERNET,
        LinkType.RAW,
        LinkType.RAW_BSD,
        LinkType.RAW_OPENBSD,
        LinkType.IPV4,
        LinkType.LINUX_SLL,
        LinkType.LINUX_SLL2,
    ],
)
def test_every_capture_link_type(decoder: FrameDecoder, linktype: int) -> None:
    frame = mirror_frame(SYN, session=8, linktype=linktype)
    assert explain(decoder, frame, linktype) == expected(erspan_version=2, session=8, erspan_vlan=0)


@pytest.mark.parametrize("linktype", [LinkType.IPV6, LinkType.RAW, LinkType.LINUX_SLL2])
def test_ipv6_outer_on_ip_link_types(decoder: FrameDecoder, linktype: int) -> None:
    frame = mirror_frame(SYN, mirror="2001:db8::5", collector="2001:db8::6", linktype=linktype)
    assert explain(decoder, frame, linktype) == expected(
        erspan_version=2, session=0, erspan_vlan=0, mirror="2001:db8::5"
    )


def test_a_tagged_capture_link_and_fcs_flag_bits_in_the_link_type(decoder: FrameDecoder) -> None:
    packet = ip_packet("192.0.2.1", "192.0.2.2", IP_PROTO_GRE, erspan_packet(SYN))
    frame = link_frame(packet, vlans=(10, 20))
    assert explain(decoder, frame, 0x3000_0001) == expected(
        erspan_version=2, session=0, erspan_vlan=0
    )


def test_unknown_link_types_are_counted(decoder: FrameDecoder) -> None:
    assert explain(decoder, mirror_frame(SYN), 105) == SkipReason.UNSUPPORTED_LINKTYPE


def test_decode_gre_takes_the_mirror_from_the_socket(decoder: FrameDecoder) -> None:
    gre = erspan_packet(SYN, erspan_version=3, session=6, erspan_vlan=2)
    event = decoder.decode_gre(gre, TS, "2001:db8::77")
    assert event == expected(erspan_version=3, session=6, erspan_vlan=2, mirror="2001:db8::77")
    assert decoder.decode_gre(gre[:10], TS, "2001:db8::77") is None
    assert decoder.skips[SkipReason.TRUNCATED] == 1
    assert (decoder.packets, decoder.events) == (2, 1)


@pytest.mark.parametrize(
    "frame",
    [
        mirror_frame(SYN, erspan_version=1),
        mirror_frame(tcp_frame(CLIENT6, SERVER6, 1, 2, vlans=(1, 2)), erspan_version=2),
        mirror_frame(SYN, erspan_version=3, subheader=bytes(8), mirror="2001:db8::1"),
        gre_frame(tcp_packet(CLIENT, SERVER, 1, 2), GRE_PROTO_IPV4, key=5, checksum=True),
    ],
    ids=["type-i", "type-ii-qinq-ipv6", "type-iii-subheader-outer-ipv6", "plain-gre"],
)
def test_every_cut_of_a_syn_frame_is_truncated(decoder: FrameDecoder, frame: bytes) -> None:
    assert isinstance(explain(decoder, frame), ConnectionEvent)
    for length in range(len(frame)):
        assert explain(decoder, frame[:length]) == SkipReason.TRUNCATED, length


def test_a_snap_length_that_keeps_the_tcp_header_is_enough(decoder: FrameDecoder) -> None:
    inner = ethernet_frame(
        ip_packet(
            CLIENT, SERVER, IP_PROTO_TCP, tcp_segment(CLIENT, SERVER, 40000, 443) + bytes(900)
        )
    )
    frame = mirror_frame(inner, session=1)
    cut = frame[: len(frame) - 900]
    assert explain(decoder, cut) == expected(erspan_version=2, session=1, erspan_vlan=0)


def _inner_tcp(src: str, dst: str, **fragment: int) -> bytes:
    segment = tcp_segment(src, dst, 1, 2)
    return mirror_frame(ethernet_frame(ip_packet(src, dst, IP_PROTO_TCP, segment, **fragment)))  # type: ignore[arg-type]


def _outer_gre(mirror: str, collector: str, **fragment: int) -> bytes:
    packet = ip_packet(mirror, collector, IP_PROTO_GRE, erspan_packet(SYN), **fragment)  # type: ignore[arg-type]
    return link_frame(packet)


@pytest.mark.parametrize(
    "frame",
    [
        _outer_gre("192.0.2.1", "192.0.2.2", more_fragments=True),
        _inner_tcp(CLIENT, SERVER, fragment_offset=3),
        _inner_tcp(CLIENT6, SERVER6, more_fragments=True),
        _outer_gre("2001:db8::1", "2001:db8::2", fragment_offset=1),
    ],
    ids=["outer-ipv4-first", "inner-ipv4-later", "inner-ipv6-first", "outer-ipv6-later"],
)
def test_fragments_are_skipped(decoder: FrameDecoder, frame: bytes) -> None:
    assert explain(decoder, frame) == SkipReason.IP_FRAGMENT


def test_an_atomic_ipv6_fragment_is_no_fragment(decoder: FrameDecoder) -> None:
    segment = tcp_segment(CLIENT6, SERVER6, 40000, 443)
    atomic = struct.pack("!BBHI", IP_PROTO_TCP, 0, 0, 99) + segment  # offset 0, M clear
    header = struct.pack("!IHBB", 0x6000_0000, len(atomic), 44, 64)
    packet = header + tcp_packet(CLIENT6, SERVER6, 1, 2)[8:40] + atomic
    frame = mirror_frame(ethernet_frame(packet))
    assert explain(decoder, frame) == expected(
        erspan_version=2, session=0, erspan_vlan=0, src=CLIENT6, dst=SERVER6
    )


ICMP = ip_packet(CLIENT, SERVER, 1, b"\x08\x00\xf7\xff\x00\x00\x00\x00")
UNSUPPORTED_FRAME_TYPE = SkipReason.UNSUPPORTED_ERSPAN_FRAME_TYPE
UDP_DNS = ip_packet(CLIENT, SERVER, IP_PROTO_UDP, udp_datagram(CLIENT, SERVER, 5353, 53, b"q"))


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        (mirror_frame(tcp_frame(CLIENT, SERVER, 1, 2, flags=TCP_FLAG_ACK)), SkipReason.NOT_SYN),
        (mirror_frame(tcp_frame(CLIENT, SERVER, 1, 2, flags=0x04)), SkipReason.NOT_SYN),
        (mirror_frame(ethernet_frame(ICMP)), SkipReason.NOT_TCP),
        (mirror_frame(ethernet_frame(UDP_DNS)), SkipReason.NOT_TCP),
        (mirror_frame(ethernet_frame(b"\x00" * 28, ETHERTYPE_ARP)), SkipReason.INNER_NOT_IP),
        (mirror_frame(ethernet_frame(ICMP, ETHERTYPE_MPLS)), SkipReason.INNER_NOT_IP),
        (mirror_frame(ethernet_frame(b"\x42\x42\x03" + bytes(40), 43)), SkipReason.INNER_NOT_IP),
        (gre_frame(SYN, 0x880B), SkipReason.UNKNOWN_GRE_PROTOCOL),
        (gre_frame(SYN, ETHERTYPE_MPLS), SkipReason.UNKNOWN_GRE_PROTOCOL),
        (link_frame(UDP_DNS), SkipReason.NOT_GRE),
        (ethernet_frame(bytes(28), ETHERTYPE_ARP), SkipReason.NOT_IP),
        (mirror_frame(SYN, erspan_version=3, frame_type=2), UNSUPPORTED_FRAME_TYPE),
        (mirror_frame(SYN, erspan_version=3, frame_type=7), UNSUPPORTED_FRAME_TYPE),
    ],
    ids=[
        "ack", "rst", "icmp", "udp", "arp", "mpls", "llc", "gre-ppp", "gre-mpls", "udp-outer",
        "arp-outer", "erspan-iii-ip-frame", "erspan-iii-frame-type-7",
    ],
)  # fmt: skip
def test_what_is_not_a_mirrored_syn_is_counted(
    decoder: FrameDecoder, frame: bytes, reason: SkipReason
) -> None:
    assert decoder.decode_frame(frame, TS, LinkType.ETHERNET) is None
    assert decoder.skips.nonzero() == {reason.value: 1}


def _patch(frame: bytes, offset: int, value: bytes) -> bytes:
    return frame[:offset] + value + frame[offset + len(value) :]


OUTER_IP, GRE_AT, ERSPAN_AT = 14, 34, 42  # in a Type II mirror_frame over IPv4/Ethernet
INNER_IP, INNER_TCP = 50 + 14, 50 + 14 + 20


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        (_patch(mirror_frame(SYN), OUTER_IP, b"\x44"), SkipReason.BAD_LENGTH),
        (_patch(mirror_frame(SYN), OUTER_IP, b"\x65"), SkipReason.BAD_IP_VERSION),
        (_patch(mirror_frame(SYN), OUTER_IP + 2, b"\x00\x13"), SkipReason.BAD_LENGTH),
        (_patch(mirror_frame(SYN), INNER_IP, b"\x43"), SkipReason.BAD_LENGTH),
        (_patch(mirror_frame(SYN), INNER_IP, b"\x55"), SkipReason.BAD_IP_VERSION),
        (_patch(mirror_frame(SYN), INNER_IP, b"\x4f"), SkipReason.TRUNCATED),
        (_patch(mirror_frame(SYN), INNER_TCP + 12, b"\x40"), SkipReason.BAD_LENGTH),
        (_patch(mirror_frame(SYN), GRE_AT, b"\x10\x01"), SkipReason.UNSUPPORTED_GRE_VERSION),
        (_patch(mirror_frame(SYN), GRE_AT, b"\x50\x00"), SkipReason.UNSUPPORTED_GRE_ROUTING),
        (_patch(mirror_frame(SYN), ERSPAN_AT, b"\x30"), SkipReason.UNSUPPORTED_ERSPAN_VERSION),
        (_patch(mirror_frame(SYN), 12, b"\x86\xdd"), SkipReason.BAD_IP_VERSION),
    ],
    ids=[
        "outer-ihl-4", "outer-version-6", "outer-total-19", "inner-ihl-3", "inner-version-5",
        "inner-ihl-15", "tcp-offset-4", "gre-version-1", "gre-routing", "erspan-version-3",
        "ipv4-as-ipv6",
    ],
)  # fmt: skip
def test_impossible_headers_are_counted(
    decoder: FrameDecoder, frame: bytes, reason: SkipReason
) -> None:
    assert explain(decoder, frame) == reason


def test_ip_options_are_stepped_over(decoder: FrameDecoder) -> None:
    segment = tcp_segment(CLIENT, SERVER, 40000, 443)
    packet = tcp_packet(CLIENT, SERVER, 40000, 443)
    with_options = b"\x46" + packet[1:2] + struct.pack("!H", 24 + len(segment))
    with_options += packet[4:20] + b"\x01\x01\x01\x00" + segment
    frame = mirror_frame(ethernet_frame(with_options), session=2)
    assert explain(decoder, frame) == expected(erspan_version=2, session=2, erspan_vlan=0)


def test_vxlan_inside_the_mirror_is_opened(decoder: FrameDecoder) -> None:
    tenant = tcp_frame(CLIENT6, SERVER6, 40000, 443, vlans=(42,))
    underlay = vxlan_packet(tenant, vni=5000, src="172.16.0.1", dst="172.16.0.2")
    frame = mirror_frame(ethernet_frame(underlay, vlans=(9,)), session=20)
    assert explain(decoder, frame) == expected(
        erspan_version=2, session=20, erspan_vlan=0, vlan=42, src=CLIENT6, dst=SERVER6
    )


def test_vlan_of_the_underlay_stays_when_the_tenant_frame_is_untagged(
    decoder: FrameDecoder,
) -> None:
    underlay = vxlan_packet(SYN, vni=1, src="172.16.0.1", dst="172.16.0.2")
    frame = mirror_frame(ethernet_frame(underlay, vlans=(9,)), session=20)
    assert explain(decoder, frame) == expected(erspan_version=2, session=20, erspan_vlan=0, vlan=9)


PLAIN_TYPE_II_EVENT = expected(erspan_version=2, session=0, erspan_vlan=0)


@pytest.mark.parametrize(
    ("next_protocol", "payload", "result"),
    [
        (1, tcp_packet(CLIENT, SERVER, 40000, 443), PLAIN_TYPE_II_EVENT),
        (3, SYN, PLAIN_TYPE_II_EVENT),
        (4, SYN, SkipReason.UNSUPPORTED_VXLAN_PROTOCOL),
    ],
)  # fmt: skip
def test_vxlan_gpe_next_protocol(
    decoder: FrameDecoder, next_protocol: int, payload: bytes, result: object
) -> None:
    header = struct.pack("!BxxBI", 0x0C, next_protocol, 77 << 8)
    datagram = udp_datagram("172.16.0.1", "172.16.0.2", 50000, 4790, header + payload)
    frame = mirror_frame(ethernet_frame(ip_packet("172.16.0.1", "172.16.0.2", 17, datagram)))
    assert explain(decoder, frame) == result


def test_short_and_nested_vxlan(decoder: FrameDecoder) -> None:
    short = ip_packet(CLIENT, SERVER, 17, udp_datagram(CLIENT, SERVER, 1, 4789, b"\x08\x00"))
    assert explain(decoder, mirror_frame(ethernet_frame(short))) == SkipReason.VXLAN_TRUNCATED
    once = vxlan_packet(SYN, vni=1, src="172.16.0.1", dst="172.16.0.2")
    twice = vxlan_packet(ethernet_frame(once), vni=2, src="172.17.0.1", dst="172.17.0.2")
    assert explain(decoder, mirror_frame(ethernet_frame(twice))) == SkipReason.NOT_TCP


# ERSPAN Type III over IPv4, written out by hand from draft-foschiano-erspan-03, so that the
# encoder is checked against something it did not produce itself.
HAND_WRITTEN_TYPE_III = bytes.fromhex(
    "020000000002 020000000001 0800"  # collector MAC, switch MAC, IPv4
    "4500 006a 0000 0000 40 2f 0000 c0000201 c0000202"  # outer IPv4, GRE, checksum zeroed
    "1000 22eb 0000002a"  # GRE: sequence present, ERSPAN III, sequence 42
    "2064 2155 00000000 0000 0001"  # version 2, VLAN 100, CoS 1 session 341, ft 0, O set
    "1c00000000000007"  # platform subheader: id 7, source index 7
    "020000000002 020000000001 8100 0ffe 0800"  # mirrored frame, 802.1Q VLAN 4094
    "4500 0028 0000 0000 40 06 0000 0a010203 0a090807"  # inner IPv4 (checksum zeroed)
    "9c40 01bb 00000000 00000000 5002 faf0 0000 0000"  # TCP 40000 -> 443, SYN
)


def test_a_hand_written_erspan_iii_frame(decoder: FrameDecoder) -> None:
    assert explain(decoder, HAND_WRITTEN_TYPE_III) == expected(
        erspan_version=3, session=341, erspan_vlan=100, vlan=4094
    )


def test_the_encoder_writes_the_hand_written_layout() -> None:
    inner = tcp_frame(CLIENT, SERVER, 40000, 443, vlans=(4094,))
    header = erspan_iii_header(341, vlan=100, cos=1, subheader=bytes.fromhex("1c00000000000007"))
    gre = gre_packet(header + inner, 0x22EB, sequence=42)
    built = link_frame(ip_packet("192.0.2.1", "192.0.2.2", IP_PROTO_GRE, gre))

    inner_ip = 14 + 20 + 8 + 12 + 8 + 18  # outer headers, GRE, ERSPAN III, subheader, tag

    def without_checksums(frame: bytes) -> bytes:
        for at in (14 + 10, inner_ip + 10, inner_ip + 20 + 16):  # IPv4, IPv4 and TCP checksums
            frame = _patch(frame, at, b"\x00\x00")
        return frame

    assert without_checksums(built) == HAND_WRITTEN_TYPE_III
    assert internet_checksum(built[14:34]) == 0
    assert internet_checksum(built[inner_ip : inner_ip + 20]) == 0


def test_counters_add_up(decoder: FrameDecoder) -> None:
    frames = [mirror_frame(SYN), mirror_frame(ethernet_frame(ICMP)), b"", mirror_frame(SYN)[:60]]
    events = [decoder.decode_frame(frame, TS, LinkType.ETHERNET) for frame in frames]
    assert [event is not None for event in events] == [True, False, False, False]
    assert (decoder.packets, decoder.events) == (4, 1)
    assert decoder.skips.nonzero() == {"not_tcp": 1, "truncated": 2}


def test_fast_events_are_ordinary_connection_events() -> None:
    event = Decoder().decode_frame(mirror_frame(SYN, session=1), TS, LinkType.ETHERNET)
    reference = expected(erspan_version=2, session=1, erspan_vlan=0)
    assert type(event) is ConnectionEvent
    assert event == reference
    assert hash(event) == hash(reference)
    assert event.to_json() == reference.to_json()
    with pytest.raises(AttributeError):
        event.src = "10.0.0.1"  # type: ignore[misc]


def test_gre_packet_checksum_and_erspan_type_i_rule() -> None:
    packet = gre_packet(b"payload", GRE_PROTO_ERSPAN_I_II, key=7, sequence=1, checksum=True)
    assert packet[:4] == bytes.fromhex("b00088be")
    assert internet_checksum(packet) == 0
    with pytest.raises(ValueError, match="Type I"):
        erspan_packet(SYN, erspan_version=1, sequence=3)
    with pytest.raises(ValueError, match="not 1, 2 or 3"):
        erspan_packet(SYN, erspan_version=4)
