"""Connections to packets, packets to the frames the collector receives from the two switches.

Each zone's switch mirrors its hosts' ports, so a connection's packets are mirrored once, by the
client's switch: zone a's with ERSPAN Type II and untagged frames, zone b's with ERSPAN Type III
and VLAN 20, each session numbering its GRE packets. Frames come from capture's own builders.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from bench.estate.traffic import Connection
from capture.erspan_encoder import mirror_frame
from capture.packet_builder import tcp_frame
from capture.protocol_numbers import TCP_FLAG_ACK, TCP_FLAG_SYN

TCP_FLAG_RST: Final = 0x04
RETRANSMIT: Final = (0, 1_000_000, 3_000_000)
"""Microseconds after the first SYN at which the SYN goes out again while unanswered."""


@dataclass(frozen=True, slots=True)
class Session:
    """One switch's ERSPAN session to the collector."""

    mirror: str
    erspan_version: int
    session: int
    vlans: tuple[int, ...]


SESSIONS: Final = {
    "a": Session("192.0.2.1", 2, 10, ()),
    "b": Session("192.0.2.21", 3, 20, (20,)),
}


@dataclass(frozen=True, slots=True, order=True)
class Packet:
    """One TCP segment on the wire; ordered by time, then by a tie-breaker."""

    ts: int
    """Microseconds since the epoch."""
    order: int
    src: str
    sport: int
    dst: str
    dport: int
    flags: int
    seq: int
    ack: int
    zone: str


def packets(connection: Connection, order: int) -> list[Packet]:
    """The SYNs of one connection and the server's SYN-ACK or RST."""
    c = connection
    zone = c.client.zone or "a"
    client, server = c.client.address, c.server.address
    syn = (client, c.sport, server, c.port, TCP_FLAG_SYN, c.isn, 0, zone)
    found = [Packet(c.ts + RETRANSMIT[n], order + n, *syn) for n in range(c.tries)]
    if c.answered:
        flags, seq = TCP_FLAG_SYN | TCP_FLAG_ACK, c.isn ^ 0x5A5A_5A5A
    elif c.refused:
        flags, seq = TCP_FLAG_RST | TCP_FLAG_ACK, 0
    else:
        return found
    reply = (server, c.port, client, c.sport, flags, seq, c.isn + 1 & 0xFFFF_FFFF, zone)
    found.append(Packet(c.ts + c.rtt, order + 3, *reply))
    return found


class Mirrors:
    """Builds mirrored frames, numbering each session's GRE packets in capture order."""

    def __init__(self) -> None:
        self.sequence = dict.fromkeys(SESSIONS, 0)

    def frame(self, packet: Packet) -> bytes:
        session = SESSIONS[packet.zone]
        inner = tcp_frame(
            packet.src,
            packet.dst,
            packet.sport,
            packet.dport,
            flags=packet.flags,
            vlans=session.vlans,
            seq=packet.seq,
            ack=packet.ack,
        )
        self.sequence[packet.zone] += 1
        return mirror_frame(
            inner,
            erspan_version=session.erspan_version,
            session=session.session,
            mirror=session.mirror,
            sequence=self.sequence[packet.zone],
        )
