"""The shape shared by the fast decoder and the dpkt reference decoder.

Tests, the benchmark and the capture loop accept any ``FrameDecoder``, so the two
implementations can be swapped and compared packet by packet.
"""

from __future__ import annotations

from typing import Protocol

from capture.skips import SkipCounter, SkipReason
from models.connection import ConnectionEvent

DecodeResult = ConnectionEvent | SkipReason
"""An event, or the reason there is none."""


class FrameDecoder(Protocol):
    """Turns one mirrored frame into at most one connection event, counting what it skips."""

    skips: SkipCounter
    """Skipped packets per reason."""

    @property
    def packets(self) -> int:
        """Frames offered to ``decode_frame`` / ``decode_gre``."""
        ...

    @property
    def events(self) -> int:
        """Connection events returned."""
        ...

    def decode_frame(self, frame: bytes, ts: float, linktype: int) -> ConnectionEvent | None:
        """Decode a captured frame of the given pcap link type; count a skip when no event."""
        ...

    def decode_gre(self, gre_packet: bytes, ts: float, mirror: str) -> ConnectionEvent | None:
        """Decode a GRE packet whose outer IP header is already gone (raw IPv6 GRE socket)."""
        ...

    def explain_frame(self, frame: bytes, ts: float, linktype: int) -> DecodeResult:
        """Like ``decode_frame`` but return the skip reason and touch no counter."""
        ...

    def explain_gre(self, gre_packet: bytes, ts: float, mirror: str) -> DecodeResult:
        """Like ``decode_gre`` but return the skip reason and touch no counter."""
        ...
