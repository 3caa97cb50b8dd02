"""Events and small captures to test capture's publishing side, without a broker."""

from __future__ import annotations

from pathlib import Path

import dpkt

from capture.erspan_encoder import mirror_frame
from capture.packet_builder import tcp_frame
from capture.protocol_numbers import TCP_FLAG_ACK, TCP_FLAG_SYN
from models.connection import ConnectionEvent, Kind

MIRROR = "192.0.2.1"


def make_event(
    server: str = "10.0.0.2",
    client: str = "10.0.0.1",
    kind: Kind = Kind.SYN,
    sport: int = 40000,
    ts: float = 1_700_000_000.0,
) -> ConnectionEvent:
    """A SYN from client to server, or the server's SYN-ACK back."""
    src, dst, ports = (client, server, (sport, 443))
    if kind is Kind.SYN_ACK:
        src, dst, ports = server, client, (443, sport)
    return ConnectionEvent(
        ts=ts,
        src=src,
        sport=ports[0],
        dst=dst,
        dport=ports[1],
        kind=kind,
        vlan=None,
        erspan_version=2,
        erspan_vlan=0,
        session=1,
        mirror=MIRROR,
    )


def write_handshakes_pcap(path: Path, count: int, spacing: float = 0.001) -> list[ConnectionEvent]:
    """A pcap of ``count`` mirrored SYN / SYN-ACK pairs, each followed by a plain ACK.

    Returns the events the pairs carry. Times are whole milliseconds so that the pcap's
    microsecond timestamps read back as the same floats.
    """
    events: list[ConnectionEvent] = []
    with path.open("wb") as stream:
        writer = dpkt.pcap.Writer(stream)
        for i in range(count):
            client, server, sport = f"10.0.0.{i % 250 + 1}", f"10.1.0.{i % 20 + 1}", 20000 + i
            ts = 1_700_000_000 + round(i * spacing, 3)
            syn = tcp_frame(client, server, sport, 443, vlans=(100,))
            writer.writepkt(mirror_frame(syn, session=5, erspan_vlan=100), ts=ts)
            events.append(
                ConnectionEvent(ts, client, sport, server, 443, Kind.SYN, 100, 2, 100, 5, MIRROR)
            )
            reply = tcp_frame(server, client, 443, sport, flags=TCP_FLAG_SYN | TCP_FLAG_ACK)
            writer.writepkt(mirror_frame(reply, session=5), ts=ts)
            events.append(
                ConnectionEvent(ts, server, 443, client, sport, Kind.SYN_ACK, None, 2, 0, 5, MIRROR)
            )
            ack = tcp_frame(client, server, sport, 443, flags=TCP_FLAG_ACK)
            writer.writepkt(mirror_frame(ack, session=5), ts=ts)
    return events
