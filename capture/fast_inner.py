"""Fast decoding of what a mirror carries: Ethernet, VLAN tags, inner IP, TCP, VXLAN.

Plain functions over ``bytes`` and integer offsets: each header is read by one precompiled
``struct`` call once its length is checked, nothing is sliced until an event is certain, and
no exception is raised. The usual shapes (IPv4 without options or IPv6 without extension
headers, straight to TCP) are read in a single call; anything else takes the general path.
Each function returns a ConnectionEvent or the skip reason's string, checking in the same
order as the reference decoder so that both give the same reason. ``end`` is where the
enclosing packet stops (its IP total length, or the capture). The functions are long and flat
on purpose (every call costs), hence the complexity waivers.
"""

from __future__ import annotations

import struct
from typing import Final

from capture.fast_event import MirrorRef, syn_event
from capture.protocol_numbers import VLAN_TPIDS
from capture.skips import SkipReason
from models.connection import ConnectionEvent

TRUNCATED: Final = SkipReason.TRUNCATED.value
BAD_LENGTH: Final = SkipReason.BAD_LENGTH.value
BAD_IP_VERSION: Final = SkipReason.BAD_IP_VERSION.value
IP_FRAGMENT: Final = SkipReason.IP_FRAGMENT.value
INNER_NOT_IP: Final = SkipReason.INNER_NOT_IP.value
UNSUPPORTED_VLAN_STACK: Final = SkipReason.UNSUPPORTED_VLAN_STACK.value
NOT_TCP: Final = SkipReason.NOT_TCP.value
NOT_SYN: Final = SkipReason.NOT_SYN.value
VXLAN_TRUNCATED: Final = SkipReason.VXLAN_TRUNCATED.value
UNSUPPORTED_VXLAN_PROTOCOL: Final = SkipReason.UNSUPPORTED_VXLAN_PROTOCOL.value

TWO_SHORTS: Final = struct.Struct("!HH").unpack_from
"""GRE flags/protocol, a VLAN tag (TCI, next type), ERSPAN words, UDP ports."""
ETHERTYPE: Final = struct.Struct("!12xH").unpack_from
"""The type field of an Ethernet header."""
IPV4_FIELDS: Final = struct.Struct("!BxHxxHxB").unpack_from
"""Version/IHL, total length, flags/fragment offset, protocol."""
IPV6_FIELDS: Final = struct.Struct("!BxxxHB").unpack_from
"""Version nibble byte, payload length, next header."""
TWO_ADDRESSES_V4: Final = struct.Struct("!II").unpack_from
"""IPv4 source and destination as ints: cache keys that need no slice."""
_TCP_FIELDS: Final = struct.Struct("!HH8xBB").unpack_from
"""Source port, destination port, data offset byte, flags byte."""
_ETH_IPV4_TCP: Final = struct.Struct("!12xHBxHxxHxB2xIIHH8xBB").unpack_from
"""Untagged Ethernet, IPv4 and TCP in one read: type, IPv4 fields, addresses, TCP fields."""
_IPV4_TCP: Final = struct.Struct("!BxHxxHxB2xIIHH8xBB").unpack_from
"""IPv4 without options and TCP in one read."""
_IPV6_TCP: Final = struct.Struct("!BxxxHBx16s16sHH8xBB").unpack_from
"""IPv6 without extension headers and TCP in one read."""
_TPIDS: Final = VLAN_TPIDS
_IPV6_EXTENSIONS: Final = frozenset({0, 43, 44, 51, 60})
"""Hop-by-hop, routing, fragment, AH, destination options (ESP ends the walk)."""

Mirrored = ConnectionEvent | str
"""An event, or the string value of a SkipReason."""


def mirrored_frame(  # noqa: PLR0911, PLR0912, PLR0917  # one flat function: calls cost
    buf: bytes,
    off: int,
    end: int,
    ethertype: int,
    ts: float,
    vlan: int | None,
    erspan_version: int | None,
    erspan_vlan: int | None,
    session: int | None,
    mirror: MirrorRef,
    inside_vxlan: bool,
) -> Mirrored:
    """Decode a mirrored packet at ``off``: Ethernet when ``ethertype`` is 0, else IP of it."""
    if ethertype == 0:
        if end - off >= 54:
            (ethertype, first, total, fragment, proto, src, dst, sport, dport, data_off, flags) = (
                _ETH_IPV4_TCP(buf, off)
            )
            if (
                ethertype == 0x0800
                and first == 0x45
                and proto == 6
                and not fragment & 0x3FFF
                and data_off >= 0x50
                and (total >= 40 or not total)
            ):
                if not flags & 0x02:
                    return NOT_SYN
                return syn_event(
                    ts, src, sport, dst, dport, flags, vlan, erspan_version, erspan_vlan, session,
                    mirror,
                )  # fmt: skip
        elif end - off < 14:
            return TRUNCATED
        else:
            (ethertype,) = ETHERTYPE(buf, off)
        off += 14
        if ethertype in _TPIDS:
            if end - off < 4:
                return TRUNCATED
            tci, ethertype = TWO_SHORTS(buf, off)
            off += 4
            if ethertype == 0x8100:
                if end - off < 4:
                    return TRUNCATED
                tci, ethertype = TWO_SHORTS(buf, off)
                off += 4
            if ethertype in _TPIDS:
                return UNSUPPORTED_VLAN_STACK
            vlan = tci & 0x0FFF
    if ethertype == 0x0800:
        if end - off >= 40:
            first, total, fragment, proto, src, dst, sport, dport, data_off, flags = _IPV4_TCP(
                buf, off
            )
            if (
                first == 0x45
                and proto == 6
                and not fragment & 0x3FFF
                and data_off >= 0x50
                and (total >= 40 or not total)
            ):
                if not flags & 0x02:
                    return NOT_SYN
                return syn_event(
                    ts, src, sport, dst, dport, flags, vlan, erspan_version, erspan_vlan, session,
                    mirror,
                )  # fmt: skip
    elif ethertype == 0x86DD:
        if end - off >= 60:
            first, payload_len, next_header, src6, dst6, sport, dport, data_off, flags = _IPV6_TCP(
                buf, off
            )
            if (
                first >> 4 == 6
                and next_header == 6
                and data_off >= 0x50
                and (payload_len >= 20 or not payload_len)
            ):
                if not flags & 0x02:
                    return NOT_SYN
                return syn_event(
                    ts, src6, sport, dst6, dport, flags, vlan, erspan_version, erspan_vlan,
                    session, mirror,
                )  # fmt: skip
    else:
        return INNER_NOT_IP
    return _any_ip(
        buf, off, end, ethertype, ts, vlan, erspan_version, erspan_vlan, session, mirror,
        inside_vxlan,
    )  # fmt: skip


def _any_ip(  # noqa: PLR0911, PLR0912, PLR0917
    buf: bytes,
    off: int,
    end: int,
    ethertype: int,
    ts: float,
    vlan: int | None,
    erspan_version: int | None,
    erspan_vlan: int | None,
    session: int | None,
    mirror: MirrorRef,
    inside_vxlan: bool,
) -> Mirrored:
    """The general path for a mirrored IP packet: options, extension headers, errors, VXLAN."""
    if ethertype == 0x0800:
        if end - off < 20:
            return TRUNCATED
        first, total, fragment, proto = IPV4_FIELDS(buf, off)
        if first >> 4 != 4:
            return BAD_IP_VERSION
        header_len = (first & 0x0F) << 2
        if header_len < 20:
            return BAD_LENGTH
        if end - off < header_len:
            return TRUNCATED
        if total:
            if total < header_len:
                return BAD_LENGTH
            if off + total < end:  # noqa: PLR1730  # cheaper than min()
                end = off + total
        if fragment & 0x3FFF:
            return IP_FRAGMENT
        l4 = off + header_len
    else:
        payload = ipv6_payload(buf, off, end)
        if isinstance(payload, str):
            return payload
        proto, l4, end = payload
    if proto == 6:
        if end - l4 < 20:
            return TRUNCATED
        sport, dport, data_off, flags = _TCP_FIELDS(buf, l4)
        if data_off < 0x50:
            return BAD_LENGTH
        if not flags & 0x02:
            return NOT_SYN
        src: int | bytes
        dst: int | bytes
        if ethertype == 0x0800:
            src, dst = TWO_ADDRESSES_V4(buf, off + 12)
        else:
            src, dst = buf[off + 8 : off + 24], buf[off + 24 : off + 40]
        return syn_event(
            ts, src, sport, dst, dport, flags, vlan, erspan_version, erspan_vlan, session, mirror
        )
    if proto == 17 and not inside_vxlan:
        return _vxlan(buf, l4, end, ts, vlan, erspan_version, erspan_vlan, session, mirror)
    return NOT_TCP


def ipv6_payload(buf: bytes, off: int, end: int) -> tuple[int, int, int] | str:  # noqa: PLR0911, PLR0912
    """(next protocol, payload start, payload end) of the IPv6 packet at ``off``."""
    if end - off < 40:
        return TRUNCATED
    first, payload_len, proto = IPV6_FIELDS(buf, off)
    if first >> 4 != 6:
        return BAD_IP_VERSION
    start = off + 40
    stop = start + payload_len if payload_len else end
    if stop > end:  # noqa: PLR1730  # cheaper than min()
        stop = end
    fragmented = False
    while proto in _IPV6_EXTENSIONS:
        if stop - start < 2:
            return TRUNCATED
        if proto == 44:
            length = 8
        elif proto == 51:  # AH counts 4-byte words beyond the first two; 12 bytes are fixed
            length = (buf[start + 1] + 2) * 4
            if stop - start < 12:
                return TRUNCATED
        else:
            length = (buf[start + 1] + 1) * 8
        if stop - start < length:
            return TRUNCATED
        if proto == 44 and TWO_SHORTS(buf, start)[1] & 0xFFF9:  # fragment offset or M flag
            fragmented = True
        proto = buf[start]
        start += length
    if proto == 50 and stop - start < 8:  # ESP: SPI and sequence number must be there
        return TRUNCATED
    if fragmented:
        return IP_FRAGMENT
    return proto, start, stop


def _vxlan(  # noqa: PLR0917
    buf: bytes,
    off: int,
    end: int,
    ts: float,
    vlan: int | None,
    erspan_version: int | None,
    erspan_vlan: int | None,
    session: int | None,
    mirror: MirrorRef,
) -> Mirrored:
    """A UDP datagram inside the mirror: VXLAN (4789) or VXLAN-GPE (4790) is decoded once."""
    if end - off < 8:
        return TRUNCATED
    ports = TWO_SHORTS(buf, off)
    if 4789 in ports:
        gpe = False
    elif 4790 in ports:
        gpe = True
    else:
        return NOT_TCP
    off += 8
    if end - off < 8:
        return VXLAN_TRUNCATED
    next_protocol = buf[off + 3] if gpe else 3
    if next_protocol == 3:
        ethertype = 0
    elif next_protocol == 1:
        ethertype = 0x0800
    elif next_protocol == 2:
        ethertype = 0x86DD
    else:
        return UNSUPPORTED_VXLAN_PROTOCOL
    return mirrored_frame(
        buf, off + 8, end, ethertype, ts, vlan, erspan_version, erspan_vlan, session, mirror, True
    )
