"""The fast decoder: mirrored TCP SYNs and SYN-ACKs out of captured frames, in pure Python.

Same results as ``capture.reference_decoder`` (the differential tests hold it to that) at a
fraction of the cost: integer offsets into the original ``bytes``, one precompiled ``struct``
read per header (or per usual stack of headers), no per-layer objects, no exceptions, TCP
flags checked before any address is formatted, address text cached. The usual frame
(Ethernet, IPv4 or IPv6, GRE, ERSPAN I/II/III, untagged IPv4, TCP) is decoded right here; the
other shapes go through ``fast_link``, ``fast_gre`` and ``fast_inner``. Hot functions are long
and flat on purpose (every call costs tens of nanoseconds), hence the complexity waivers.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from itertools import repeat

from capture.fast_event import SynFactory, syn_event
from capture.fast_fields import (
    ETH_IPV4_TCP,
    ETH_IPV6_TCP,
    ETH_VLAN_IPV4_TCP,
    HAS_SYN,
    NOT_SYN,
    OUTER_IPV4,
    OUTER_IPV6,
    EventT,
    Mirrored,
)
from capture.fast_gre import gre_after_base, gre_result
from capture.fast_inner import mirrored_frame
from capture.fast_link import any_frame
from capture.frame_batch import FrameBatch
from capture.frame_decoder import DecodeResult
from capture.packets import Captured, GrePayload
from capture.skips import SkipCounter, SkipReason
from models.connection import ConnectionEvent
from models.connection_wire import address_key


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
        result = frame_result(frame, ts, linktype, syn_event)
        if type(result) is str:
            self._skip_counts[result] += 1
            return None
        self.events += 1
        return result  # type: ignore[return-value]  # not a str, so an event

    def decode_gre(self, gre_packet: bytes, ts: float, mirror: str) -> ConnectionEvent | None:
        """The event in a GRE packet received without its outer IP header (raw GRE socket)."""
        result = gre_result(gre_packet, 0, len(gre_packet), ts, mirror, syn_event)
        if isinstance(result, str):
            self._skip_counts[result] += 1
            return None
        self.events += 1
        return result

    def decode_into(self, chunk: Sequence[Captured], make: SynFactory[int]) -> tuple[int, int]:
        """Hand every SYN in ``chunk`` to ``make`` instead of building an event; (SYNs, SYN-ACKs).

        ``make`` (a batcher's packer) returns 1 for a SYN-ACK, 0 for a SYN. A file's frames go
        through ``map`` and ``Counter``, C loops: no Python step per frame but the decoding. A
        raw GRE socket's sender goes in as an address key.
        """
        if type(chunk) is FrameBatch:
            frames = map(
                frame_result, chunk.frames, chunk.stamps, repeat(chunk.linktype), repeat(make)
            )
            results = Counter(frames)
        else:
            results = Counter(map(self._result_of, chunk, repeat(make)))
        syn_ack = results.pop(1, 0)
        syn = results.pop(0, 0)
        counts = self._skip_counts
        for reason, count in results.items():
            counts[reason] += count  # type: ignore[index]  # the rest are skip reasons
        self.events += syn + syn_ack
        return syn, syn_ack

    @staticmethod
    def _result_of(item: Captured, make: SynFactory[EventT]) -> Mirrored[EventT]:
        if isinstance(item, GrePayload):
            mirror = address_key(item.mirror)
            return gre_result(item.payload, 0, len(item.payload), item.ts, mirror, make)
        return frame_result(item.frame, item.ts, item.linktype, make)

    def explain_frame(self, frame: bytes, ts: float, linktype: int) -> DecodeResult:
        """The event, or why there is none; counters untouched."""
        result = frame_result(frame, ts, linktype, syn_event)
        return SkipReason(result) if isinstance(result, str) else result

    def explain_gre(self, gre_packet: bytes, ts: float, mirror: str) -> DecodeResult:
        """The event in a bare GRE packet, or why there is none; counters untouched."""
        result = gre_result(gre_packet, 0, len(gre_packet), ts, mirror, syn_event)
        return SkipReason(result) if isinstance(result, str) else result


def frame_result(  # noqa: PLR0911, PLR0912, PLR0915
    buf: bytes, ts: float, linktype: int, make: SynFactory[EventT]
) -> Mirrored[EventT]:
    """Decode a captured frame; the usual shapes are read here in two ``struct`` calls.

    Usual: Ethernet, IPv4 without options or IPv6 without extension headers, GRE with at most
    a sequence number, ERSPAN I, II or III (Ethernet frame type), an untagged IPv4 TCP
    segment. The first read takes the outer headers and every word an ERSPAN header could
    start with; anything unusual, or any doubt, goes the general way, which decides alone.
    A mirrored frame with one 802.1Q tag (a third of the usual traffic) over IPv4, or an
    untagged one over IPv6 straight to TCP, is read here too.
    """
    size = len(buf)
    if linktype != 1 or size < 74:
        return any_frame(buf, ts, linktype, make)
    if buf[12] == 0x08:
        (
            ethertype,
            first,
            total,
            fragment,
            proto,
            mirror,
            gre,
            word_a,
            word_b,
            short_a,
            short_b,
        ) = OUTER_IPV4(buf, 0)
        if (
            ethertype != 0x0800
            or first != 0x45
            or proto != 47
            or (fragment and fragment != 0x4000 and fragment & 0x3FFF)  # a fragment
        ):
            return any_frame(buf, ts, linktype, make)
        base = 38
        end = 14 + total
        if not total or end > size:
            end = size
        elif end < 38:  # too short for GRE: the general path says why
            return any_frame(buf, ts, linktype, make)
    elif buf[12] == 0x86:
        (ethertype, first, payload_len, proto, gre, word_a, word_b, short_a, short_b) = OUTER_IPV6(
            buf, 0
        )
        if ethertype != 0x86DD or not 0x60 <= first < 0x70 or proto != 47:
            return any_frame(buf, ts, linktype, make)
        base = 58
        end = 54 + payload_len
        if not payload_len or end > size:
            end = size
        elif end < 58:
            return any_frame(buf, ts, linktype, make)
        mirror = buf[22:38]
    else:
        return any_frame(buf, ts, linktype, make)
    # ``word_a`` / ``short_a`` are read at the GRE payload, ``word_b`` / ``short_b`` 4 bytes on.
    if gre == 0x1000_88BE:  # ERSPAN II: a sequence number, then the 8-byte header
        word, start, erspan_type = word_b, base + 12, 2
        usual = 0x1000_0000 <= word < 0x2000_0000
    elif gre == 0x0000_22EB:  # ERSPAN III without sequence number: 12 or 20-byte header
        word, erspan_type = word_a, 3
        start = base + (20 if short_a & 1 else 12)
        usual = 0x2000_0000 <= word < 0x3000_0000 and not short_a & 0x7C00
    elif gre == 0x1000_22EB:  # ERSPAN III with a sequence number
        word, erspan_type = word_b, 3
        start = base + (24 if short_b & 1 else 16)
        usual = 0x2000_0000 <= word < 0x3000_0000 and not short_b & 0x7C00
    elif gre == 0x0000_88BE:  # ERSPAN I: no header
        word, start, erspan_type, usual = -1, base, 1, True
    else:
        usual = False
    if not usual or end - start < 14:
        return gre_after_base(buf, base, end, gre >> 16, gre & 0xFFFF, ts, mirror, make)
    if buf[start + 12] == 0x08 and end - start >= 54:  # an untagged IPv4 mirrored frame
        (ethertype, first, total, fragment, proto, src, dst, sport, dport, data_off, tcp_flags) = (
            ETH_IPV4_TCP(buf, start)
        )
        if (
            ethertype == 0x0800
            and first == 0x45
            and proto == 6
            and (not fragment or fragment == 0x4000 or not fragment & 0x3FFF)  # whole
            and data_off >= 0x50
            and (total >= 40 or not total)
        ):
            if not HAS_SYN[tcp_flags]:
                return NOT_SYN
            if word < 0:
                return make(ts, src, sport, dst, dport, tcp_flags, None, 1, None, None, mirror)
            return make(
                ts, src, sport, dst, dport, tcp_flags, None, erspan_type, word >> 16 & 0x0FFF,
                word & 0x03FF, mirror,
            )  # fmt: skip
    elif buf[start + 12] == 0x81 and end - start >= 58:  # one 802.1Q tag, IPv4, TCP: one read
        (tpid, tci, ethertype, first, total, fragment, proto, src, dst, sport, dport, data_off,
         tcp_flags) = ETH_VLAN_IPV4_TCP(buf, start)  # fmt: skip
        if (
            tpid == 0x8100
            and ethertype == 0x0800
            and first == 0x45
            and proto == 6
            and (not fragment or fragment == 0x4000 or not fragment & 0x3FFF)  # whole
            and data_off >= 0x50
            and (total >= 40 or not total)
        ):
            if not HAS_SYN[tcp_flags]:
                return NOT_SYN
            if word < 0:
                return make(
                    ts, src, sport, dst, dport, tcp_flags, tci & 0x0FFF, 1, None, None, mirror
                )
            return make(
                ts, src, sport, dst, dport, tcp_flags, tci & 0x0FFF, erspan_type,
                word >> 16 & 0x0FFF, word & 0x03FF, mirror,
            )  # fmt: skip
    elif buf[start + 12] == 0x86 and end - start >= 74:  # untagged IPv6 straight to TCP
        (ethertype, first, payload_len, next_header, sport, dport, data_off, tcp_flags) = (
            ETH_IPV6_TCP(buf, start)
        )
        if (
            ethertype == 0x86DD
            and 0x60 <= first < 0x70
            and next_header == 6
            and data_off >= 0x50
            and (payload_len >= 20 or not payload_len)
        ):
            if not HAS_SYN[tcp_flags]:
                return NOT_SYN
            src_v6, dst_v6 = buf[start + 22 : start + 38], buf[start + 38 : start + 54]
            if word < 0:
                return make(
                    ts, src_v6, sport, dst_v6, dport, tcp_flags, None, 1, None, None, mirror
                )
            return make(
                ts, src_v6, sport, dst_v6, dport, tcp_flags, None, erspan_type,
                word >> 16 & 0x0FFF, word & 0x03FF, mirror,
            )  # fmt: skip
    if word < 0:
        return mirrored_frame(buf, start, end, 0, ts, None, 1, None, None, mirror, False, make)
    return mirrored_frame(
        buf, start, end, 0, ts, None, erspan_type, word >> 16 & 0x0FFF, word & 0x03FF, mirror,
        False, make,
    )  # fmt: skip
