"""What the reference decoder records while it walks a frame, and how a layer says "stop".

Tests compare a ``LayerTrace`` with TShark's view of every packet, not only of SYNs.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass

from capture.frame_decoder import DecodeResult
from capture.skips import SkipReason


class Skip(Exception):  # noqa: N818  # a control-flow signal, not an error
    """Raised by a layer that ends the walk without an event."""

    def __init__(self, reason: SkipReason) -> None:
        super().__init__(reason.value)
        self.reason = reason


@dataclass
class LayerTrace:
    """Header fields met on the way in; where a field occurs twice, the innermost wins."""

    mirror: str | None = None
    gre_protocol: int | None = None
    gre_key: int | None = None
    gre_sequence: int | None = None
    erspan_version: int | None = None
    """1, 2 or 3 (Type I, II, III)."""
    session: int | None = None
    erspan_vlan: int | None = None
    erspan_frame_type: int | None = None
    vlan: int | None = None
    """Innermost 802.1Q id inside the mirror."""
    ip_src: str | None = None
    ip_dst: str | None = None
    ip_proto: int | None = None
    tcp_header: bytes | None = None
    """The innermost TCP header's first 20 bytes (tests use it to find and flip flags)."""
    result: DecodeResult = SkipReason.MALFORMED


def format_address(raw: bytes) -> str:
    """Dotted quad or compressed IPv6 text of raw address bytes."""
    return socket.inet_ntop(socket.AF_INET if len(raw) == 4 else socket.AF_INET6, raw)
