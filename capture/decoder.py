"""The fast decoder: mirrored TCP SYNs and SYN-ACKs out of captured frames, in pure Python.

The hot functions are long and flat on purpose (every call and every temporary object costs
tens of nanoseconds per packet), hence the complexity waivers.

Same results as ``capture.reference_decoder`` (the differential tests hold it to that) at a
fraction of the cost: integer offsets into the original ``bytes``, no per-layer objects, no
exceptions on the common path, TCP flags checked before any address is formatted, address
text cached. The common layers (Ethernet, IPv4, GRE, ERSPAN) are inline here; the mirrored
packet is decoded by ``capture.fast_inner``.
"""

from __future__ import annotations

import struct
from typing import Final

from capture.fast_event import MirrorRef
from capture.fast_inner import (
    BAD_IP_VERSION,
    BAD_LENGTH,
    ETHERTYPE,
    IP_FRAGMENT,
    IPV4_FIELDS,
    TRUNCATED,
    TWO_ADDRESSES_V4,
    TWO_SHORTS,
    UNSUPPORTED_VLAN_STACK,
    Mirrored,
    ipv6_payload,
    mirrored_frame,
)
from capture.frame_decoder import DecodeResult
from capture.protocol_numbers import LINKTYPE_MASK, VLAN_TPIDS
from capture.skips import SkipCounter, SkipReason
from models.connection import ConnectionEvent

NOT_IP: Final = SkipReason.NOT_IP.value
NOT_GRE: Final = SkipReason.NOT_GRE.value
UNSUPPORTED_LINKTYPE: Final = SkipReason.UNSUPPORTED_LINKTYPE.value
UNSUPPORTED_GRE_VERSION: Final = SkipReason.UNSUPPORTED_GRE_VERSION.value
UNSUPPORTED_GRE_ROUTING: Final = SkipReason.UNSUPPORTED_GRE_ROUTING.value
UNKNOWN_GRE_PROTOCOL: Final = SkipReason.UNKNOWN_GRE_PROTOCOL.value
UNSUPPORTED_ERSPAN_VERSION: Final = SkipReason.UNSUPPORTED_ERSPAN_VERSION.value
UNSUPPORTED_ERSPAN_FRAME_TYPE: Final = SkipReason.UNSUPPORTED_ERSPAN_FRAME_TYPE.value
_TPIDS: Final = VLAN_TPIDS
_ETH_IPV4_GRE: Final = struct.Struct("!12xHBxHxxHxB2xI4xHH").unpack_from
"""Ethernet type; IPv4 version/IHL, total length, fragment field, protocol, source; GRE base."""


class Decoder:
    """Decodes mirrored frames one at a time; keeps packet, event and per-reason skip counts."""

    def __init__(self) -> None:
        self.skips = SkipCounter()
        self.events = 0
        self._skip_counts = self.skips.counts

    @property
    def packets(self) -> int:
        """Frames decoded so far: events plus skips (one counter less on the hot path)."""
        return self.events + self.skips.total()

    def decode_frame(self, frame: bytes, ts: float, linktype: int) -> ConnectionEvent | None:
        """The event in ``frame`` (pcap link type ``linktype``), or None with a counted skip."""
        result = frame_result(frame, ts, linktype)
        if type(result) is str:
            self._skip_counts[result] += 1
            return None
        self.events += 1
        return result  # type: ignore[return-value]  # not a str, so an event

    def decode_gre(self, gre_packet: bytes, ts: float, mirror: str) -> ConnectionEvent | None:
        """The event in a GRE packet received without its outer IP header (raw GRE socket)."""
        result = gre_result(gre_packet, 0, len(gre_packet), ts, mirror)
        if isinstance(result, str):
            self._skip_counts[result] += 1
            return None
        self.events += 1
        return result

    def explain_frame(self, frame: bytes, ts: float, linktype: int) -> DecodeResult:
        """The event, or why there is none; counters untouched."""
        result = frame_result(frame, ts, linktype)
        return SkipReason(result) if isinstance(result, str) else result

    def explain_gre(self, gre_packet: bytes, ts: float, mirror: str) -> DecodeResult:
        """The event in a bare GRE packet, or why there is none; counters untouched."""
        result = gre_result(gre_packet, 0, len(gre_packet), ts, mirror)
        return SkipReason(result) if isinstance(result, str) else result


def frame_result(buf: bytes, ts: float, linktype: int) -> Mirrored:
    """Decode a captured frame: link layer and outer IP here, then the GRE layers."""
    if linktype == 1:
        size = len(buf)
        if size >= 38:  # the usual shape first: Ethernet, IPv4 without options, GRE
            ethertype, first, total, fragment, proto, src, flags, gre_proto = _ETH_IPV4_GRE(buf, 0)
            if ethertype == 0x0800 and first == 0x45 and not fragment & 0x3FFF and proto == 47:
                end = size
                if total:
                    if total < 20:
                        return BAD_LENGTH
                    if total < size - 14:
                        end = 14 + total
                        if end < 38:
                            return TRUNCATED
                if flags == 0x1000 and gre_proto == 0x88BE and end >= 50:  # ERSPAN II, usual
                    word0, word1 = TWO_SHORTS(buf, 42)
                    if word0 >> 12 == 1:
                        return mirrored_frame(
                            buf, 50, end, 0, ts, None, 2, word0 & 0x0FFF, word1 & 0x03FF, src,
                            False,
                        )  # fmt: skip
                return _gre(buf, 38, end, flags, gre_proto, ts, src)
    return _any_frame(buf, ts, linktype)


def gre_result(buf: bytes, off: int, end: int, ts: float, mirror: MirrorRef) -> Mirrored:
    """Decode from the GRE header at ``off``: GRE, ERSPAN I/II/III, then the mirrored packet."""
    if end - off < 4:
        return TRUNCATED
    flags, proto = TWO_SHORTS(buf, off)
    return _gre(buf, off + 4, end, flags, proto, ts, mirror)


def _any_frame(buf: bytes, ts: float, linktype: int) -> Mirrored:  # noqa: PLR0911, PLR0912
    """``frame_result`` for every link type and outer IP shape."""
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
        return gre_result(buf, off + header_len, end, ts, TWO_ADDRESSES_V4(buf, off + 12)[0])
    payload = ipv6_payload(buf, off, size)
    if isinstance(payload, str):
        return payload
    proto, start, end = payload
    if proto != 47:
        return NOT_GRE
    return gre_result(buf, start, end, ts, buf[off + 8 : off + 24])


def _gre(  # noqa: PLR0911, PLR0912, PLR0917  # one flat function: calls cost
    buf: bytes,
    off: int,
    end: int,
    flags: int,
    proto: int,
    ts: float,
    mirror: MirrorRef,
) -> Mirrored:
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
            return mirrored_frame(buf, off, end, 0, ts, None, 1, None, None, mirror, False)
    elif proto != 0x22EB:
        if proto == 0x6558:
            ethertype = 0
        elif proto in {0x0800, 0x86DD}:
            ethertype = proto
        else:
            return UNKNOWN_GRE_PROTOCOL
        return mirrored_frame(buf, off, end, ethertype, ts, None, None, None, None, mirror, False)
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
    )


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
