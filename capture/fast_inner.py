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

from typing import Final

from capture.fast_event import MirrorRef, SynFactory
from capture.fast_fields import (
    BAD_IP_VERSION,
    BAD_LENGTH,
    ETHERTYPE,
    INNER_NOT_IP,
    IP_FRAGMENT,
    IPV4_FIELDS,
    IPV4_TCP,
    IPV6_TCP,
    NOT_SYN,
    NOT_TCP,
    TCP_FIELDS,
    TRUNCATED,
    TWO_ADDRESSES_V4,
    TWO_SHORTS,
    UNSUPPORTED_VLAN_STACK,
    UNSUPPORTED_VXLAN_PROTOCOL,
    VLAN_IPV4_TCP,
    VXLAN_TRUNCATED,
    EventT,
    Mirrored,
)
from capture.fast_ipv6 import ipv6_payload
from capture.protocol_numbers import VLAN_TPIDS

_TPIDS: Final = VLAN_TPIDS


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
    make: SynFactory[EventT],
) -> Mirrored[EventT]:
    """Decode a mirrored packet: an Ethernet frame at ``off`` when ``ethertype`` is 0; else
    ``off`` is just past an Ethernet type field (or a GRE or VXLAN-GPE protocol) of that value.
    """
    if ethertype == 0:
        if end - off < 14:
            return TRUNCATED
        (ethertype,) = ETHERTYPE(buf, off)
        off += 14
    if ethertype in _TPIDS:
        if ethertype == 0x8100 and end - off >= 44:  # one customer tag, IPv4, TCP: one read
            (tci, inner_type, first, total, fragment, proto, src, dst, sport, dport, data_off,
             flags) = VLAN_IPV4_TCP(buf, off)  # fmt: skip
            if (
                inner_type == 0x0800
                and first == 0x45
                and proto == 6
                and not fragment & 0x3FFF
                and data_off >= 0x50
                and (total >= 40 or not total)
            ):
                if not flags & 0x02:
                    return NOT_SYN
                return make(
                    ts, src, sport, dst, dport, flags, tci & 0x0FFF, erspan_version, erspan_vlan,
                    session, mirror,
                )  # fmt: skip
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
            first, total, fragment, proto, src, dst, sport, dport, data_off, flags = IPV4_TCP(
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
                return make(
                    ts, src, sport, dst, dport, flags, vlan, erspan_version, erspan_vlan, session,
                    mirror,
                )  # fmt: skip
    elif ethertype == 0x86DD:
        if end - off >= 60:
            first, payload_len, next_header, sport, dport, data_off, flags = IPV6_TCP(buf, off)
            if (
                first >> 4 == 6
                and next_header == 6
                and data_off >= 0x50
                and (payload_len >= 20 or not payload_len)
            ):
                if not flags & 0x02:
                    return NOT_SYN
                return make(
                    ts, buf[off + 8 : off + 24], sport, buf[off + 24 : off + 40], dport, flags,
                    vlan, erspan_version, erspan_vlan, session, mirror,
                )  # fmt: skip
    else:
        return INNER_NOT_IP
    return _any_ip(
        buf, off, end, ethertype, ts, vlan, erspan_version, erspan_vlan, session, mirror,
        inside_vxlan, make,
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
    make: SynFactory[EventT],
) -> Mirrored[EventT]:
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
        sport, dport, data_off, flags = TCP_FIELDS(buf, l4)
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
        return make(
            ts, src, sport, dst, dport, flags, vlan, erspan_version, erspan_vlan, session, mirror
        )
    if proto == 17 and not inside_vxlan:
        return _vxlan(buf, l4, end, ts, vlan, erspan_version, erspan_vlan, session, mirror, make)
    return NOT_TCP


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
    make: SynFactory[EventT],
) -> Mirrored[EventT]:
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
        buf, off + 8, end, ethertype, ts, vlan, erspan_version, erspan_vlan, session, mirror, True,
        make,
    )  # fmt: skip
