"""Pure helpers on the frames the ERSPAN exporter reads: restore a VLAN tag, spot TCP openings.

The kernel hands AF_PACKET readers frames with the 802.1Q tag taken off (it travels beside the
frame, in the packet's auxiliary data), so the exporter puts it back before it mirrors the
frame, as a switch would send it. ``is_tcp_opening`` is the ``--syn-only`` filter: it keeps
what the processor host turns into events (SYN and SYN-ACK) and nothing else, so a busy
mirror port does not double the traffic on the way to the processor.
"""

from __future__ import annotations

import struct

from capture.protocol_numbers import (
    ETHERTYPE_8021Q,
    ETHERTYPE_IPV4,
    ETHERTYPE_IPV6,
    IP_PROTO_FRAGMENT,
    IP_PROTO_TCP,
    IPV4_FRAGMENT_OFFSET_MASK,
    IPV6_EXTENSION_HEADERS,
    MAX_VLAN_TAGS,
    TCP_FLAG_SYN,
    VLAN_TPIDS,
)

_MAC_ADDRESSES = 12
_IPV6_HEADER = 40
_TCP_FLAGS_OFFSET = 13
_IP_PROTO_AH = 51


def with_vlan_tag(frame: bytes, tci: int, tpid: int = ETHERTYPE_8021Q) -> bytes:
    """``frame`` with an 802.1Q (or ``tpid``) tag carrying ``tci`` inserted after the MACs."""
    if len(frame) < _MAC_ADDRESSES:
        return frame
    tag = struct.pack("!HH", tpid, tci & 0xFFFF)
    return frame[:_MAC_ADDRESSES] + tag + frame[_MAC_ADDRESSES:]


def is_tcp_opening(frame: bytes) -> bool:
    """True for an Ethernet frame (up to two VLAN tags) carrying a TCP segment with SYN set.

    Non-first IP fragments and frames cut short before the TCP flags are not openings.
    """
    offset = _MAC_ADDRESSES
    for _ in range(MAX_VLAN_TAGS + 1):
        if len(frame) < offset + 2:
            return False
        (ethertype,) = struct.unpack_from("!H", frame, offset)
        if ethertype not in VLAN_TPIDS:
            break
        offset += 4
    else:
        return False
    start = offset + 2
    if ethertype == ETHERTYPE_IPV4:
        tcp = _ipv4_tcp_offset(frame, start)
    elif ethertype == ETHERTYPE_IPV6:
        tcp = _ipv6_tcp_offset(frame, start)
    else:
        return False
    if tcp is None or len(frame) <= tcp + _TCP_FLAGS_OFFSET:
        return False
    return bool(frame[tcp + _TCP_FLAGS_OFFSET] & TCP_FLAG_SYN)


def _ipv4_tcp_offset(frame: bytes, start: int) -> int | None:
    if len(frame) < start + 20 or frame[start] >> 4 != 4:
        return None
    header = (frame[start] & 0x0F) * 4
    (fragment,) = struct.unpack_from("!H", frame, start + 6)
    if header < 20 or fragment & IPV4_FRAGMENT_OFFSET_MASK or frame[start + 9] != IP_PROTO_TCP:
        return None
    return start + header


def _ipv6_tcp_offset(frame: bytes, start: int) -> int | None:
    if len(frame) < start + _IPV6_HEADER or frame[start] >> 4 != 6:
        return None
    next_header, offset = frame[start + 6], start + _IPV6_HEADER
    while next_header in IPV6_EXTENSION_HEADERS:
        if len(frame) < offset + 8:
            return None
        if next_header == IP_PROTO_FRAGMENT:
            (fragment,) = struct.unpack_from("!H", frame, offset + 2)
            if fragment & 0xFFF8:  # a later fragment holds no TCP header
                return None
            length = 8
        elif next_header == _IP_PROTO_AH:
            length = (frame[offset + 1] + 2) * 4
        else:
            length = (frame[offset + 1] + 1) * 8
        next_header, offset = frame[offset], offset + length
    return offset if next_header == IP_PROTO_TCP else None


__all__ = ["is_tcp_opening", "with_vlan_tag"]
