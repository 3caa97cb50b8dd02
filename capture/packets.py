"""What a capture source hands to the decoder: a link-layer frame or a bare GRE payload.

Files and AF_PACKET sockets see whole frames; a raw GRE socket sees the GRE payload and the
sender's address. Keeping both as small tuples lets the reading loop stay one tight loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Mapping, Sequence
from typing import NamedTuple, Protocol

from capture.pcap_source import CaptureRecord

LINKTYPE_ETHERNET = 1
LINKTYPE_RAW = 101


Frame = CaptureRecord
"""A captured frame (ts, linktype, frame), as a pcap file or an AF_PACKET socket has it."""


class GrePayload(NamedTuple):
    """The GRE header and what follows it, from a raw IPPROTO_GRE socket."""

    ts: float
    payload: bytes
    mirror: str


Captured = Frame | GrePayload


class PacketSource(Protocol):
    """A file or a socket; the reading loop pulls chunks so it can pause between them."""

    def chunks(self, stop: asyncio.Event) -> AsyncGenerator[Sequence[Captured], None]:
        """Chunks of packets until the source ends or ``stop`` is set; may yield empty chunks."""
        ...

    def skip_counts(self) -> Mapping[str, int]:
        """Records the source itself could not read, by skip reason (damaged file records)."""
        ...

    def kernel_drops(self) -> int:
        """Packets the kernel dropped since the previous call (0 where it cannot tell)."""
        ...

    def close(self) -> None:
        """Release the file or socket."""
        ...
