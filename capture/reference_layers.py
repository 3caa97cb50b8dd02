"""One walk of the reference decoder through a frame, one method per layer, dpkt for each header.

A layer that cannot go on raises ``Skip`` with its reason; the fields it read are kept in a
``LayerTrace``. The IP layer lives in ``reference_ip``.
"""

from __future__ import annotations

import struct

import dpkt
import dpkt.gre
import dpkt.tcp
import dpkt.udp

from capture.dpkt_headers import (
    ErspanPlatformSubheader,
    ErspanTypeII,
    ErspanTypeIII,
    EthernetHeader,
    LinuxSll2Header,
    LinuxSllHeader,
    Vxlan,
)
from capture.protocol_numbers import (
    ERSPAN_HEADER_VERSION_II,
    ERSPAN_HEADER_VERSION_III,
    ERSPAN_III_FRAME_TYPE_ETHERNET,
    ETHERTYPE_IPV4,
    ETHERTYPE_IPV6,
    ETHERTYPE_MAX_LENGTH,
    ETHERTYPE_MPLS,
    ETHERTYPE_MPLS_MULTICAST,
    GRE_FLAG_ACKNOWLEDGMENT,
    GRE_FLAG_CHECKSUM,
    GRE_FLAG_KEY,
    GRE_FLAG_ROUTING,
    GRE_FLAG_SEQUENCE,
    GRE_PROTO_ERSPAN_I_II,
    GRE_PROTO_ERSPAN_III,
    GRE_PROTO_IPV4,
    GRE_PROTO_IPV6,
    GRE_PROTO_TRANSPARENT_ETHERNET,
    GRE_VERSION_MASK,
    IP_PROTO_GRE,
    IP_PROTO_TCP,
    IP_PROTO_UDP,
    LINKTYPE_MASK,
    RAW_LINKTYPES,
    TCP_FLAG_ACK,
    TCP_FLAG_SYN,
    VLAN_TPIDS,
    VXLAN_GPE_NEXT_ETHERNET,
    VXLAN_GPE_NEXT_IPV4,
    VXLAN_GPE_NEXT_IPV6,
    VXLAN_GPE_UDP_PORT,
    VXLAN_HEADER_LEN,
    VXLAN_UDP_PORT,
    LinkType,
)
from capture.reference_ip import ip_payload
from capture.reference_trace import LayerTrace, Skip, format_address
from capture.skips import SkipReason
from models.connection import ConnectionEvent, Kind

_ERSPAN_TYPE_OF_HEADER_VERSION = {ERSPAN_HEADER_VERSION_II: 2, ERSPAN_HEADER_VERSION_III: 3}


class ReferenceWalk:
    """Decodes one frame; each method parses one header and hands the rest to the next."""

    def __init__(self, trace: LayerTrace, ts: float) -> None:
        self._trace = trace
        self._ts = ts
        self._inside_vxlan = False

    def frame(self, frame: bytes, linktype: int) -> ConnectionEvent:
        """From the capture's link layer to the event."""
        version, packet = self._link(frame, linktype & LINKTYPE_MASK)
        proto, payload, src = ip_payload(packet, version, self._trace)
        if proto != IP_PROTO_GRE:
            raise Skip(SkipReason.NOT_GRE)
        self._trace.mirror = format_address(src)
        return self.gre(payload)

    def gre(self, packet: bytes) -> ConnectionEvent:
        """From the GRE header to the event."""
        if len(packet) < 4:
            raise Skip(SkipReason.TRUNCATED)
        (flags,) = struct.unpack_from("!H", packet)
        if flags & GRE_VERSION_MASK:
            raise Skip(SkipReason.UNSUPPORTED_GRE_VERSION)
        if flags & GRE_FLAG_ROUTING:
            raise Skip(SkipReason.UNSUPPORTED_GRE_ROUTING)
        header_len = 4 + sum(
            4 for bit in (GRE_FLAG_CHECKSUM, GRE_FLAG_KEY, GRE_FLAG_SEQUENCE) if flags & bit
        )
        if len(packet) < header_len:
            raise Skip(SkipReason.TRUNCATED)
        # Only the header goes to dpkt, so its own payload dispatch has nothing to trip on; and
        # without the acknowledgment bit, which RFC 2784 says to ignore in version 0 but dpkt
        # reads as PPTP's acknowledgment number.
        header = packet[:1] + bytes([packet[1] & ~GRE_FLAG_ACKNOWLEDGMENT & 0xFF]) + packet[2:4]
        gre = dpkt.gre.GRE(header + packet[4:header_len])
        trace = self._trace
        trace.gre_protocol = gre.p
        trace.gre_key = getattr(gre, "key", None)
        trace.gre_sequence = getattr(gre, "seq", None)
        payload = packet[header_len:]
        if gre.p == GRE_PROTO_ERSPAN_I_II and not flags & GRE_FLAG_SEQUENCE:
            trace.erspan_version = 1
            return self._mirrored_ethernet(payload)
        if gre.p in (GRE_PROTO_ERSPAN_I_II, GRE_PROTO_ERSPAN_III):
            return self._erspan(payload)
        if gre.p == GRE_PROTO_TRANSPARENT_ETHERNET:
            return self._mirrored_ethernet(payload)
        if gre.p == GRE_PROTO_IPV4:
            return self._inner_ip(payload, 4)
        if gre.p == GRE_PROTO_IPV6:
            return self._inner_ip(payload, 6)
        raise Skip(SkipReason.UNKNOWN_GRE_PROTOCOL)

    def _link(self, frame: bytes, linktype: int) -> tuple[int, bytes]:
        if linktype == LinkType.ETHERNET:
            return self._ethernet(frame, mirrored=False)
        if linktype == LinkType.LINUX_SLL:
            sll = LinuxSllHeader(frame)
            return _ip_version_of(sll.ethtype, SkipReason.NOT_IP), sll.data
        if linktype == LinkType.LINUX_SLL2:
            sll2 = LinuxSll2Header(frame)
            return _ip_version_of(sll2.ethtype, SkipReason.NOT_IP), sll2.data
        if linktype in RAW_LINKTYPES:
            if not frame:
                raise Skip(SkipReason.TRUNCATED)
            version = frame[0] >> 4
            if version not in (4, 6):
                raise Skip(SkipReason.BAD_IP_VERSION)
            return version, frame
        if linktype == LinkType.IPV4:
            return 4, frame
        if linktype == LinkType.IPV6:
            return 6, frame
        raise Skip(SkipReason.UNSUPPORTED_LINKTYPE)

    def _ethernet(self, frame: bytes, *, mirrored: bool) -> tuple[int, bytes]:
        not_ip = SkipReason.INNER_NOT_IP if mirrored else SkipReason.NOT_IP
        if len(frame) < 14:
            raise Skip(SkipReason.TRUNCATED)
        # 802.3 lengths and MPLS take dpkt down heuristic paths; neither can carry our IP.
        (ethertype,) = struct.unpack_from("!H", frame, 12)
        if ethertype <= ETHERTYPE_MAX_LENGTH or ethertype in (
            ETHERTYPE_MPLS,
            ETHERTYPE_MPLS_MULTICAST,
        ):
            raise Skip(not_ip)
        eth = EthernetHeader(frame)
        tags = getattr(eth, "vlan_tags", None) or []
        next_type = tags[-1].type if tags else eth.type
        if next_type in VLAN_TPIDS:
            raise Skip(SkipReason.UNSUPPORTED_VLAN_STACK)
        if mirrored and tags:
            self._trace.vlan = tags[-1].id
        return _ip_version_of(next_type, not_ip), eth.data

    def _erspan(self, payload: bytes) -> ConnectionEvent:
        if not payload:
            raise Skip(SkipReason.TRUNCATED)
        erspan_type = _ERSPAN_TYPE_OF_HEADER_VERSION.get(payload[0] >> 4)
        if erspan_type is None:
            raise Skip(SkipReason.UNSUPPORTED_ERSPAN_VERSION)
        header = ErspanTypeII(payload) if erspan_type == 2 else ErspanTypeIII(payload)
        trace = self._trace
        trace.erspan_version, trace.session, trace.erspan_vlan = (
            erspan_type,
            header.session,
            header.vlan,
        )
        frame = header.data
        if erspan_type == 3:
            trace.erspan_frame_type = header.frame_type
            if header.frame_type != ERSPAN_III_FRAME_TYPE_ETHERNET:
                raise Skip(SkipReason.UNSUPPORTED_ERSPAN_FRAME_TYPE)
            if header.subheader:
                frame = ErspanPlatformSubheader(frame).data
        return self._mirrored_ethernet(frame)

    def _mirrored_ethernet(self, frame: bytes) -> ConnectionEvent:
        version, packet = self._ethernet(frame, mirrored=True)
        return self._inner_ip(packet, version)

    def _inner_ip(self, packet: bytes, version: int) -> ConnectionEvent:
        proto, payload, _ = ip_payload(packet, version, self._trace)
        if proto == IP_PROTO_TCP:
            return self._tcp(payload)
        if proto == IP_PROTO_UDP and not self._inside_vxlan:
            return self._vxlan(payload)
        raise Skip(SkipReason.NOT_TCP)

    def _vxlan(self, datagram: bytes) -> ConnectionEvent:
        udp = dpkt.udp.UDP(datagram)
        ports = (udp.sport, udp.dport)
        if VXLAN_UDP_PORT in ports:
            gpe = False
        elif VXLAN_GPE_UDP_PORT in ports:
            gpe = True
        else:
            raise Skip(SkipReason.NOT_TCP)
        if len(udp.data) < VXLAN_HEADER_LEN:
            raise Skip(SkipReason.VXLAN_TRUNCATED)
        self._inside_vxlan = True
        vxlan = Vxlan(udp.data)
        next_protocol = vxlan.next_protocol if gpe else VXLAN_GPE_NEXT_ETHERNET
        if next_protocol == VXLAN_GPE_NEXT_ETHERNET:
            return self._mirrored_ethernet(vxlan.data)
        if next_protocol == VXLAN_GPE_NEXT_IPV4:
            return self._inner_ip(vxlan.data, 4)
        if next_protocol == VXLAN_GPE_NEXT_IPV6:
            return self._inner_ip(vxlan.data, 6)
        raise Skip(SkipReason.UNSUPPORTED_VXLAN_PROTOCOL)

    def _tcp(self, segment: bytes) -> ConnectionEvent:
        tcp = dpkt.tcp.TCP(segment)  # dpkt refuses a data offset < 5 itself
        trace = self._trace
        trace.tcp_header = segment[:20]
        if not tcp.flags & TCP_FLAG_SYN:
            raise Skip(SkipReason.NOT_SYN)
        assert trace.ip_src is not None
        assert trace.ip_dst is not None
        assert trace.mirror is not None
        return ConnectionEvent(
            ts=self._ts,
            src=trace.ip_src,
            sport=tcp.sport,
            dst=trace.ip_dst,
            dport=tcp.dport,
            kind=Kind.SYN_ACK if tcp.flags & TCP_FLAG_ACK else Kind.SYN,
            vlan=trace.vlan,
            erspan_version=trace.erspan_version,
            erspan_vlan=trace.erspan_vlan,
            session=trace.session,
            mirror=trace.mirror,
        )


def _ip_version_of(ethertype: int, not_ip: SkipReason) -> int:
    if ethertype == ETHERTYPE_IPV4:
        return 4
    if ethertype == ETHERTYPE_IPV6:
        return 6
    raise Skip(not_ip)
