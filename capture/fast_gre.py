"""The fast decoder's GRE and ERSPAN layers: optional GRE fields, ERSPAN I/II/III headers.

Type I is GRE 0x88BE without a sequence number; otherwise the ERSPAN header's version field
says Type II (8 bytes) or III (12 bytes, plus an 8-byte subheader when its O bit is set).
"""

from __future__ import annotations

from capture.fast_event import MirrorRef, SynFactory
from capture.fast_fields import (
    TRUNCATED,
    TWO_SHORTS,
    UNKNOWN_GRE_PROTOCOL,
    UNSUPPORTED_ERSPAN_FRAME_TYPE,
    UNSUPPORTED_ERSPAN_VERSION,
    UNSUPPORTED_GRE_ROUTING,
    UNSUPPORTED_GRE_VERSION,
    EventT,
    Mirrored,
)
from capture.fast_inner import mirrored_frame


def gre_result(  # noqa: PLR0917  # the decoder's calling convention
    buf: bytes, off: int, end: int, ts: float, mirror: MirrorRef, make: SynFactory[EventT]
) -> Mirrored[EventT]:
    """Decode from the GRE header at ``off``: GRE, ERSPAN I/II/III, then the mirrored packet."""
    if end - off < 4:
        return TRUNCATED
    flags, proto = TWO_SHORTS(buf, off)
    return gre_after_base(buf, off + 4, end, flags, proto, ts, mirror, make)


def gre_after_base(  # noqa: PLR0911, PLR0912, PLR0917  # one flat function: calls cost
    buf: bytes,
    off: int,
    end: int,
    flags: int,
    proto: int,
    ts: float,
    mirror: MirrorRef,
    make: SynFactory[EventT],
) -> Mirrored[EventT]:
    """The GRE packet whose base header (``flags``, ``proto``) ends at ``off``."""
    if flags & 0x4007:
        return UNSUPPORTED_GRE_VERSION if flags & 0x0007 else UNSUPPORTED_GRE_ROUTING
    if flags & 0xB000:  # checksum (+reserved), key, sequence number: 4 bytes each
        if flags & 0x8000:
            off += 4
        if flags & 0x2000:
            off += 4
        if flags & 0x1000:
            off += 4
        if off > end:
            return TRUNCATED
    if proto == 0x88BE:
        if not flags & 0x1000:  # no sequence number: Type I, no ERSPAN header
            return mirrored_frame(buf, off, end, 0, ts, None, 1, None, None, mirror, False, make)
    elif proto != 0x22EB:
        if proto == 0x6558:
            ethertype = 0
        elif proto in {0x0800, 0x86DD}:
            ethertype = proto
        else:
            return UNKNOWN_GRE_PROTOCOL
        return mirrored_frame(
            buf, off, end, ethertype, ts, None, None, None, None, mirror, False, make
        )
    if end - off < 8:
        if off >= end:
            return TRUNCATED
        return TRUNCATED if buf[off] >> 4 in {1, 2} else UNSUPPORTED_ERSPAN_VERSION
    word0, word1 = TWO_SHORTS(buf, off)
    version = word0 >> 12
    if version == 1:
        erspan_type = 2
        start = off + 8
    elif version == 2:
        if end - off < 12:
            return TRUNCATED
        if buf[off + 10] & 0x7C:  # frame type: only 0, Ethernet, is parsed
            return UNSUPPORTED_ERSPAN_FRAME_TYPE
        erspan_type = 3
        start = off + 12
        if buf[off + 11] & 0x01:  # optional platform-specific subheader
            if end - start < 8:
                return TRUNCATED
            start += 8
    else:
        return UNSUPPORTED_ERSPAN_VERSION
    return mirrored_frame(
        buf,
        start,
        end,
        0,
        ts,
        None,
        erspan_type,
        word0 & 0x0FFF,
        word1 & 0x03FF,
        mirror,
        False,
        make,
    )
