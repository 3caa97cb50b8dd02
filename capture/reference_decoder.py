"""The reference decoder: every encapsulation, parsed layer by layer with dpkt objects.

It is the readable definition of what the fast decoder must return, and the oracle the
differential tests compare it with. Rules it applies on top of dpkt (and the fast decoder
repeats, in the same order):

* link: Ethernet (up to two VLAN tags), Linux SLL/SLL2, raw IPv4/IPv6; the FCS flag bits a
  pcap header may add to the link type are ignored.
* IP (outer and inner): version must match what announced it; IPv4 IHL >= 5 and total length
  >= IHL, payload trimmed to the total / payload length; IPv6 extension headers walked; any
  fragment (MF set or offset != 0) is skipped.
* GRE: version 0 without routing; checksum, key and sequence fields honoured, the PPTP
  acknowledgment bit ignored (RFC 2784 reserves it in version 0). 0x88BE without
  sequence number is ERSPAN Type I (no header), with it the ERSPAN version field decides Type
  II or III, as for 0x22EB; Type III frames other than Ethernet are not parsed; 0x6558 is
  Ethernet, 0x0800 / 0x86DD are IP.
* mirrored Ethernet: up to two tags (a service tag only outermost); ``vlan`` is the innermost
  tag seen anywhere inside the mirror, VXLAN included.
* VXLAN: one level, recognised by either UDP port (4789 first, as Wireshark tries the lower
  port first; 4790 is VXLAN-GPE, whose next-protocol byte picks Ethernet, IPv4 or IPv6).
* TCP: a SYN without ACK is ``syn``, with ACK ``syn-ack``; everything else is a counted skip.
"""

from __future__ import annotations

import logging
import struct
from collections.abc import Callable

import dpkt

from capture.frame_decoder import DecodeResult
from capture.reference_layers import ReferenceWalk
from capture.reference_trace import LayerTrace, Skip
from capture.skips import SkipCounter, SkipReason
from models.connection import ConnectionEvent

log = logging.getLogger(__name__)

_UNEXPECTED_ERRORS = (struct.error, IndexError, ValueError, KeyError, AttributeError, TypeError)
"""What dpkt can raise on garbage besides its own errors: counted as malformed, never raised."""


class ReferenceDecoder:
    """The dpkt-based decoder: the API of ``capture.decoder.Decoder``, many times slower."""

    def __init__(self) -> None:
        self.skips = SkipCounter()
        self.packets = 0
        self.events = 0

    def decode_frame(self, frame: bytes, ts: float, linktype: int) -> ConnectionEvent | None:
        """The event in ``frame`` (pcap link type ``linktype``), or None with a counted skip."""
        return self._count(self.explain_frame(frame, ts, linktype))

    def decode_gre(self, gre_packet: bytes, ts: float, mirror: str) -> ConnectionEvent | None:
        """The event in a GRE packet received without its outer IP header (raw GRE socket)."""
        return self._count(self.explain_gre(gre_packet, ts, mirror))

    def explain_frame(self, frame: bytes, ts: float, linktype: int) -> DecodeResult:
        """The event, or why there is none; counters untouched."""
        return self.describe_frame(frame, ts, linktype).result

    def explain_gre(self, gre_packet: bytes, ts: float, mirror: str) -> DecodeResult:
        """The event in a bare GRE packet, or why there is none; counters untouched."""
        return self.describe_gre(gre_packet, ts, mirror).result

    def describe_frame(self, frame: bytes, ts: float, linktype: int) -> LayerTrace:
        """Every header field seen on the way in, plus the result: for tests and diagnosis."""
        trace = LayerTrace()
        trace.result = _guarded(lambda: ReferenceWalk(trace, ts).frame(frame, linktype))
        return trace

    def describe_gre(self, gre_packet: bytes, ts: float, mirror: str) -> LayerTrace:
        """``describe_frame`` for a GRE packet whose outer IP header the kernel removed."""
        trace = LayerTrace()
        trace.mirror = mirror
        trace.result = _guarded(lambda: ReferenceWalk(trace, ts).gre(gre_packet))
        return trace

    def _count(self, result: DecodeResult) -> ConnectionEvent | None:
        self.packets += 1
        if isinstance(result, ConnectionEvent):
            self.events += 1
            return result
        self.skips.counts[result.value] += 1
        return None


def _guarded(walk: Callable[[], ConnectionEvent]) -> DecodeResult:
    """Run one walk; whatever dpkt raises becomes a skip reason."""
    try:
        return walk()
    except Skip as skip:
        return skip.reason
    except dpkt.NeedData:
        return SkipReason.TRUNCATED
    except dpkt.UnpackError:
        # After the explicit checks, dpkt only rejects impossible header lengths here.
        return SkipReason.BAD_LENGTH
    except (OSError, *_UNEXPECTED_ERRORS) as exc:
        log.debug("dpkt rejected a frame: %r", exc)
        return SkipReason.MALFORMED
