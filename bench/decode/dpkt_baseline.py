"""The baseline: mirrored SYNs decoded the way most developers would first write it with dpkt.

Every layer becomes a dpkt object (outer Ethernet, IP, GRE; the ERSPAN header is skipped by
hand because dpkt has no class for it; then the mirrored Ethernet, IP and TCP), and malformed
frames are caught as exceptions. It understands only what the benchmark capture contains
(Ethernet captures of ERSPAN II/III) and builds the same ConnectionEvent as the fast decoder,
so the two can be compared event by event. Deliberately not tuned: it is the yardstick.
"""

from __future__ import annotations

import socket

import dpkt

from models.connection import ConnectionEvent, Kind

_ERSPAN_I_II = 0x88BE
_ERSPAN_III = 0x22EB


class DpktBaseline:
    """``decode_frame`` like ``capture.decoder.Decoder``, with a plain count of what it skips."""

    def __init__(self) -> None:
        self.packets = 0
        self.events = 0
        self.skipped = 0

    def decode_frame(self, frame: bytes, ts: float, linktype: int) -> ConnectionEvent | None:
        """The SYN or SYN-ACK mirrored in ``frame``, or None."""
        self.packets += 1
        try:
            event = self._decode(frame, ts, linktype)
        except (dpkt.UnpackError, IndexError, ValueError):
            event = None
        if event is None:
            self.skipped += 1
        else:
            self.events += 1
        return event

    def _decode(self, frame: bytes, ts: float, linktype: int) -> ConnectionEvent | None:
        if linktype != dpkt.pcap.DLT_EN10MB:
            return None
        outer = dpkt.ethernet.Ethernet(frame)
        outer_ip = outer.data
        if not isinstance(outer_ip, dpkt.ip.IP | dpkt.ip6.IP6):
            return None
        gre = outer_ip.data
        if not isinstance(gre, dpkt.gre.GRE):
            return None
        erspan = bytes(gre.data)
        version = erspan[0] >> 4
        if gre.p == _ERSPAN_I_II and version == 1:
            header_len = 8
        elif gre.p == _ERSPAN_III and version == 2:
            header_len = 20 if erspan[11] & 0x01 else 12
        else:
            return None
        word0 = int.from_bytes(erspan[0:2], "big")
        word1 = int.from_bytes(erspan[2:4], "big")
        inner = dpkt.ethernet.Ethernet(erspan[header_len:])
        ip = inner.data
        if not isinstance(ip, dpkt.ip.IP | dpkt.ip6.IP6):
            return None
        tcp = ip.data
        if not isinstance(tcp, dpkt.tcp.TCP) or not tcp.flags & dpkt.tcp.TH_SYN:
            return None
        tags = getattr(inner, "vlan_tags", None)
        return ConnectionEvent(
            ts=ts,
            src=_address(ip.src),
            sport=tcp.sport,
            dst=_address(ip.dst),
            dport=tcp.dport,
            kind=Kind.SYN_ACK if tcp.flags & dpkt.tcp.TH_ACK else Kind.SYN,
            vlan=tags[-1].id if tags else None,
            erspan_version=version + 1,
            erspan_vlan=word0 & 0x0FFF,
            session=word1 & 0x03FF,
            mirror=_address(outer_ip.src),
        )


def _address(raw: bytes) -> str:
    """Text of a raw IPv4 or IPv6 address."""
    return socket.inet_ntop(socket.AF_INET6 if len(raw) == 16 else socket.AF_INET, raw)
