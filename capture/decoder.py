"""The fast decoder: mirrored TCP SYNs and SYN-ACKs out of captured frames, in pure Python.

Same results as ``capture.reference_decoder`` (the differential tests hold it to that) at a
fraction of the cost: integer offsets into the original ``bytes``, one precompiled ``struct``
read per header (or per usual stack of headers), no per-layer objects, no exceptions, TCP
flags checked before any address is formatted, address text cached. The usual frame
(Ethernet, IPv4, GRE, ERSPAN II, untagged IPv4, TCP) is decoded right here; the other shapes
go through ``fast_link``, ``fast_gre`` and ``fast_inner``. Hot functions are long and flat on
purpose (every call costs tens of nanoseconds), hence the complexity waivers.
"""

from __future__ import annotations

from typing import Final

from capture.fast_event import syn_event
from capture.fast_fields import (
    BAD_LENGTH,
    ERSPAN_II_IPV4_TCP,
    ETH_IPV4_GRE,
    NOT_SYN,
    TRUNCATED,
    Mirrored,
)
from capture.fast_gre import gre_after_base, gre_result
from capture.fast_inner import mirrored_frame
from capture.fast_link import any_frame
from capture.frame_decoder import DecodeResult
from capture.protocol_numbers import VLAN_TPIDS
from capture.skips import SkipCounter, SkipReason
from models.connection import ConnectionEvent

_TPIDS: Final = VLAN_TPIDS


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


def frame_result(buf: bytes, ts: float, linktype: int) -> Mirrored:  # noqa: PLR0911, PLR0912
    """Decode a captured frame: link layer and outer IP here, then the GRE layers."""
    if linktype == 1:
        size = len(buf)
        if size >= 38:  # the usual shape first: Ethernet, IPv4 without options, GRE
            ethertype, first, total, fragment, proto, src, flags, gre_proto = ETH_IPV4_GRE(buf, 0)
            if ethertype == 0x0800 and first == 0x45 and not fragment & 0x3FFF and proto == 47:
                end = size
                if total:
                    if total < 20:
                        return BAD_LENGTH
                    if total < size - 14:
                        end = 14 + total
                        if end < 38:
                            return TRUNCATED
                if flags == 0x1000 and gre_proto == 0x88BE and end >= 104:
                    # ERSPAN II mirroring an untagged IPv4 TCP segment, read in one go.
                    (
                        word0, word1, ethertype, first, total, fragment, proto, inner_src,
                        inner_dst, sport, dport, data_off, tcp_flags,
                    ) = ERSPAN_II_IPV4_TCP(buf, 42)  # fmt: skip
                    if (
                        word0 >> 12 == 1
                        and ethertype == 0x0800
                        and first == 0x45
                        and proto == 6
                        and not fragment & 0x3FFF
                        and data_off >= 0x50
                        and (total >= 40 or not total)
                    ):
                        if not tcp_flags & 0x02:
                            return NOT_SYN
                        return syn_event(
                            ts, inner_src, sport, inner_dst, dport, tcp_flags, None, 2,
                            word0 & 0x0FFF, word1 & 0x03FF, src,
                        )  # fmt: skip
                    if word0 >> 12 == 1:  # still Type II: go on from what was read
                        if ethertype in _TPIDS or not ethertype:
                            off, ethertype = 50, 0
                        else:
                            off = 64
                        return mirrored_frame(
                            buf, off, end, ethertype, ts, None, 2, word0 & 0x0FFF,
                            word1 & 0x03FF, src, False,
                        )  # fmt: skip
                return gre_after_base(buf, 38, end, flags, gre_proto, ts, src)
    return any_frame(buf, ts, linktype)
