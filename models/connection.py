"""The connection event: one mirrored TCP SYN or SYN-ACK, as the processor host decoded it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Kind(StrEnum):
    """Which opening packet was seen."""

    SYN = "syn"
    """A client asked to connect (SYN without ACK)."""
    SYN_ACK = "syn-ack"
    """The server answered (SYN with ACK): the connection attempt reached a listener."""


@dataclass(frozen=True, slots=True)
class ConnectionEvent:
    """One inner TCP SYN or SYN-ACK from a mirrored frame.

    For a SYN, ``src`` is the client and ``dst`` the server; for a SYN-ACK it is the reverse,
    exactly as on the wire.
    """

    ts: float
    """Capture time of the mirrored frame, epoch seconds."""
    src: str
    """Inner source address (IPv4 dotted quad or compressed IPv6)."""
    sport: int
    """Inner TCP source port."""
    dst: str
    """Inner destination address."""
    dport: int
    """Inner TCP destination port."""
    kind: Kind
    """``syn`` or ``syn-ack``."""
    vlan: int | None
    """802.1Q id of the mirrored frame (the innermost tag); None when untagged."""
    erspan_version: int | None
    """1, 2 or 3 for ERSPAN Type I, II, III; None for plain GRE."""
    erspan_vlan: int | None
    """The VLAN field of the ERSPAN header; None for Type I and plain GRE."""
    session: int | None
    """ERSPAN session id; None where the encapsulation has none (Type I, plain GRE)."""
    mirror: str
    """Outer source address: the switch (or exporter) that mirrored the frame."""

    def to_json(self) -> dict[str, Any]:
        """The JSON-lines form of ``meeseeks capture --stdout``."""
        return {
            "ts": self.ts,
            "src": self.src,
            "sport": self.sport,
            "dst": self.dst,
            "dport": self.dport,
            "kind": self.kind.value,
            "vlan": self.vlan,
            "erspan_version": self.erspan_version,
            "erspan_vlan": self.erspan_vlan,
            "session": self.session,
            "mirror": self.mirror,
        }
