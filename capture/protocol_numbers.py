"""Protocol numbers the decoders, the encoder and the capture readers agree on.

Kept in one place so that the fast decoder, the dpkt reference decoder and the encoder cannot
drift apart on a magic number.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Final


class LinkType(IntEnum):
    """pcap/pcapng link-layer header types (tcpdump.org/linktypes.html) that the decoders read."""

    ETHERNET = 1
    RAW_BSD = 12
    """DLT_RAW as written by some BSD captures: a bare IPv4 or IPv6 packet."""
    RAW_OPENBSD = 14
    """DLT_RAW on OpenBSD: a bare IPv4 or IPv6 packet."""
    RAW = 101
    LINUX_SLL = 113
    IPV4 = 228
    IPV6 = 229
    LINUX_SLL2 = 276


LINKTYPE_MASK: Final = 0x03FF_FFFF
"""The pcap link type field also carries FCS flags in its top bits (libpcap LT_LINKTYPE)."""

RAW_LINKTYPES: Final = frozenset({LinkType.RAW, LinkType.RAW_BSD, LinkType.RAW_OPENBSD})

ETHERTYPE_IPV4: Final = 0x0800
ETHERTYPE_IPV6: Final = 0x86DD
ETHERTYPE_ARP: Final = 0x0806
ETHERTYPE_8021Q: Final = 0x8100
ETHERTYPE_8021AD: Final = 0x88A8
ETHERTYPE_QINQ_LEGACY: Final = 0x9100
ETHERTYPE_QINQ_LEGACY2: Final = 0x9200
ETHERTYPE_MPLS: Final = 0x8847
ETHERTYPE_MPLS_MULTICAST: Final = 0x8848
ETHERTYPE_MAX_LENGTH: Final = 1500
"""An Ethernet type/length field at or below this value is an 802.3 length, not a type."""

VLAN_TPIDS: Final = frozenset(
    {ETHERTYPE_8021Q, ETHERTYPE_8021AD, ETHERTYPE_QINQ_LEGACY, ETHERTYPE_QINQ_LEGACY2}
)
"""Tag protocol ids that open an 802.1Q / 802.1ad (QinQ) tag."""
MAX_VLAN_TAGS: Final = 2
"""A service tag plus a customer tag; deeper stacks are counted, not decoded."""

GRE_PROTO_ERSPAN_I_II: Final = 0x88BE
GRE_PROTO_ERSPAN_III: Final = 0x22EB
GRE_PROTO_TRANSPARENT_ETHERNET: Final = 0x6558
GRE_PROTO_IPV4: Final = ETHERTYPE_IPV4
GRE_PROTO_IPV6: Final = ETHERTYPE_IPV6

GRE_FLAG_CHECKSUM: Final = 0x8000
GRE_FLAG_ROUTING: Final = 0x4000
GRE_FLAG_KEY: Final = 0x2000
GRE_FLAG_SEQUENCE: Final = 0x1000
GRE_FLAG_ACKNOWLEDGMENT: Final = 0x0080
"""PPTP (GRE version 1) only; a reserved bit, ignored, in version 0."""
GRE_VERSION_MASK: Final = 0x0007

ERSPAN_HEADER_VERSION_II: Final = 1
"""The 4-bit version field of an ERSPAN Type II header."""
ERSPAN_HEADER_VERSION_III: Final = 2
"""The 4-bit version field of an ERSPAN Type III header."""
ERSPAN_II_HEADER_LEN: Final = 8
ERSPAN_III_HEADER_LEN: Final = 12
ERSPAN_III_SUBHEADER_LEN: Final = 8
ERSPAN_III_FRAME_TYPE_ETHERNET: Final = 0

IP_PROTO_HOPOPTS: Final = 0
IP_PROTO_TCP: Final = 6
IP_PROTO_UDP: Final = 17
IP_PROTO_ROUTING: Final = 43
IP_PROTO_FRAGMENT: Final = 44
IP_PROTO_GRE: Final = 47
IP_PROTO_ESP: Final = 50
IP_PROTO_AH: Final = 51
IP_PROTO_DSTOPTS: Final = 60

IPV6_EXTENSION_HEADERS: Final = frozenset(
    {IP_PROTO_HOPOPTS, IP_PROTO_ROUTING, IP_PROTO_FRAGMENT, IP_PROTO_AH, IP_PROTO_DSTOPTS}
)
"""IPv6 headers walked to reach the transport header; ESP ends the walk (its payload is opaque)."""

IPV4_FLAG_MORE_FRAGMENTS: Final = 0x2000
IPV4_FRAGMENT_OFFSET_MASK: Final = 0x1FFF

TCP_FLAG_SYN: Final = 0x02
TCP_FLAG_ACK: Final = 0x10

VXLAN_UDP_PORT: Final = 4789
"""VXLAN (RFC 7348): the payload is Ethernet."""
VXLAN_GPE_UDP_PORT: Final = 4790
"""VXLAN-GPE: the header's next-protocol byte says what follows."""
VXLAN_HEADER_LEN: Final = 8
VXLAN_GPE_NEXT_IPV4: Final = 1
VXLAN_GPE_NEXT_IPV6: Final = 2
VXLAN_GPE_NEXT_ETHERNET: Final = 3
