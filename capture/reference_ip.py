"""The reference decoder's IP layer: dpkt's IPv4 and IPv6 with the project's rules on top.

Version must match what announced the packet, IPv4 IHL >= 5 and total length >= IHL, IPv6
extension headers must fit, and fragments (MF set or offset != 0, in either version) stop.
"""

from __future__ import annotations

import dpkt

from capture.dpkt_headers import IPv4Header, IPv6Header
from capture.protocol_numbers import IP_PROTO_ESP
from capture.reference_trace import LayerTrace, Skip, format_address
from capture.skips import SkipReason


def ip_payload(packet: bytes, version: int, trace: LayerTrace) -> tuple[int, bytes, bytes]:
    """Protocol, payload and raw source address of an IP packet that is no fragment."""
    return ipv4_payload(packet, trace) if version == 4 else ipv6_payload(packet, trace)


def ipv4_payload(packet: bytes, trace: LayerTrace) -> tuple[int, bytes, bytes]:
    """Protocol, payload and raw source of an IPv4 packet that is no fragment."""
    if len(packet) < 20:
        raise Skip(SkipReason.TRUNCATED)
    if packet[0] >> 4 != 4:
        raise Skip(SkipReason.BAD_IP_VERSION)
    ip = IPv4Header(packet)  # dpkt refuses IHL < 5 itself
    header_len = ip.hl * 4
    if len(packet) < header_len:
        raise Skip(SkipReason.TRUNCATED)
    if ip.len and ip.len < header_len:
        raise Skip(SkipReason.BAD_LENGTH)
    _saw_ip(trace, ip.src, ip.dst, ip.p)
    if ip.mf or ip.offset:
        raise Skip(SkipReason.IP_FRAGMENT)
    return ip.p, ip.data, ip.src


def ipv6_payload(packet: bytes, trace: LayerTrace) -> tuple[int, bytes, bytes]:
    """Protocol, payload and raw source of an IPv6 packet that is no fragment."""
    if len(packet) < 40:
        raise Skip(SkipReason.TRUNCATED)
    if packet[0] >> 4 != 6:
        raise Skip(SkipReason.BAD_IP_VERSION)
    ip6 = IPv6Header(packet)
    extensions = ip6.all_extension_headers
    available = len(packet) - 40 if not ip6.plen else min(ip6.plen, len(packet) - 40)
    if sum(ext.length for ext in extensions) > available:
        raise Skip(SkipReason.TRUNCATED)
    proto = ip6.nxt
    fragmented = False
    for ext in extensions:
        proto = getattr(ext, "nxt", IP_PROTO_ESP)
        if isinstance(ext, dpkt.ip6.IP6FragmentHeader) and (ext.frag_off or ext.m_flag):
            fragmented = True
    _saw_ip(trace, ip6.src, ip6.dst, proto)
    if fragmented:
        raise Skip(SkipReason.IP_FRAGMENT)
    return proto, ip6.data, ip6.src


def _saw_ip(trace: LayerTrace, src: bytes, dst: bytes, proto: int) -> None:
    trace.ip_src, trace.ip_dst, trace.ip_proto = format_address(src), format_address(dst), proto
