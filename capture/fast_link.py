"""The fast decoder's general outer path: every capture link type and outer IP shape.

``capture.decoder`` handles the usual Ethernet/IPv4/GRE frame itself and hands everything
else here: VLAN-tagged capture links, Linux cooked headers, raw IP, IPv4 options, IPv6.
"""

from __future__ import annotations

from typing import Final

from capture.fast_event import SynFactory
from capture.fast_fields import (
    BAD_IP_VERSION,
    BAD_LENGTH,
    ETHERTYPE,
    IP_FRAGMENT,
    IPV4_FIELDS,
    NOT_GRE,
    NOT_IP,
    TRUNCATED,
    TWO_ADDRESSES_V4,
    TWO_SHORTS,
    UNSUPPORTED_LINKTYPE,
    UNSUPPORTED_VLAN_STACK,
    EventT,
    Mirrored,
)
from capture.fast_gre import gre_result
from capture.fast_ipv6 import ipv6_payload
from capture.protocol_numbers import LINKTYPE_MASK, VLAN_TPIDS

_TPIDS: Final = VLAN_TPIDS


def any_frame(  # noqa: PLR0911, PLR0912
    buf: bytes, ts: float, linktype: int, make: SynFactory[EventT]
) -> Mirrored[EventT]:
    """Decode a captured frame of any supported link type and outer IP shape."""
    size = len(buf)
    linktype &= LINKTYPE_MASK
    if linktype == 1:
        if size < 14:
            return TRUNCATED
        located = _ethernet_ip(buf, size, ETHERTYPE(buf, 0)[0])
    else:
        located = _other_link(buf, size, linktype)
    if isinstance(located, str):
        return located
    version, off = located
    if version == 4:
        if size - off < 20:
            return TRUNCATED
        first, total, fragment, proto = IPV4_FIELDS(buf, off)
        if first >> 4 != 4:
            return BAD_IP_VERSION
        header_len = (first & 0x0F) << 2
        if header_len < 20:
            return BAD_LENGTH
        if size - off < header_len:
            return TRUNCATED
        end = size
        if total:
            if total < header_len:
                return BAD_LENGTH
            if off + total < size:
                end = off + total
        if fragment & 0x3FFF:
            return IP_FRAGMENT
        if proto != 47:
            return NOT_GRE
        return gre_result(buf, off + header_len, end, ts, TWO_ADDRESSES_V4(buf, off + 12)[0], make)
    payload = ipv6_payload(buf, off, size)
    if isinstance(payload, str):
        return payload
    proto, start, end = payload
    if proto != 47:
        return NOT_GRE
    return gre_result(buf, start, end, ts, buf[off + 8 : off + 24], make)


def _ethernet_ip(buf: bytes, size: int, ethertype: int) -> tuple[int, int] | str:
    """(IP version, IP offset) in a capture-link Ethernet frame, past up to two VLAN tags."""
    off = 14
    if ethertype in _TPIDS:
        if size - off < 4:
            return TRUNCATED
        ethertype = TWO_SHORTS(buf, off)[1]
        off += 4
        if ethertype == 0x8100:
            if size - off < 4:
                return TRUNCATED
            ethertype = TWO_SHORTS(buf, off)[1]
            off += 4
        if ethertype in _TPIDS:
            return UNSUPPORTED_VLAN_STACK
    if ethertype == 0x0800:
        return 4, off
    if ethertype == 0x86DD:
        return 6, off
    return NOT_IP


def _other_link(buf: bytes, size: int, linktype: int) -> tuple[int, int] | str:  # noqa: PLR0911
    """(IP version, IP offset) behind a link header other than Ethernet."""
    if linktype == 113:  # Linux cooked: protocol at 14, header 16 bytes
        if size < 16:
            return TRUNCATED
        ethertype, off = ETHERTYPE(buf, 2)[0], 16
    elif linktype == 276:  # Linux cooked v2: protocol first, header 20 bytes
        if size < 20:
            return TRUNCATED
        ethertype, off = TWO_SHORTS(buf, 0)[0], 20
    elif linktype in {101, 12, 14}:  # raw IP: the version says which
        if not size:
            return TRUNCATED
        version = buf[0] >> 4
        return (version, 0) if version in {4, 6} else BAD_IP_VERSION
    elif linktype == 228:
        return 4, 0
    elif linktype == 229:
        return 6, 0
    else:
        return UNSUPPORTED_LINKTYPE
    if ethertype == 0x0800:
        return 4, off
    if ethertype == 0x86DD:
        return 6, off
    return NOT_IP
