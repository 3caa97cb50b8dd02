"""The fast decoder's IPv6 layer: header checks and the extension-header walk.

Shared by the outer packet (the mirror's IPv6 to the collector) and the mirrored one.
"""

from __future__ import annotations

from typing import Final

from capture.fast_fields import (
    BAD_IP_VERSION,
    IP_FRAGMENT,
    IPV6_FIELDS,
    TRUNCATED,
    TWO_SHORTS,
)

_IPV6_EXTENSIONS: Final = frozenset({0, 43, 44, 51, 60})
"""Hop-by-hop, routing, fragment, AH, destination options (ESP ends the walk)."""


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
