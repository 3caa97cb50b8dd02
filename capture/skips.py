"""Why a mirrored packet produced no connection event, and how often.

The reason names are exported as Prometheus label values, so they are stable, snake_case and
few: add a member rather than building names at run time.
"""

from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum


class SkipReason(StrEnum):
    """One bounded reason per way a packet (or capture record) can fail to become an event."""

    TRUNCATED = "truncated"
    """A header is cut short by the captured length (snap length, damaged frame)."""
    BAD_LENGTH = "bad_length"
    """A header length field is impossible (IPv4 IHL < 5, total length < IHL, TCP offset < 5)."""
    BAD_IP_VERSION = "bad_ip_version"
    """The IP version nibble contradicts the EtherType or link type announcing it."""
    UNSUPPORTED_LINKTYPE = "unsupported_linktype"
    """The capture's link-layer type is not one the decoders read."""
    NOT_IP = "not_ip"
    """The capture link carries something other than IPv4/IPv6 (ARP, LLDP on the capture port)."""
    IP_FRAGMENT = "ip_fragment"
    """An outer or inner IP fragment: no reassembly, SYNs are never fragmented in practice."""
    NOT_GRE = "not_gre"
    """The outer IP packet is not GRE: traffic to the processor host that is not a mirror."""
    UNSUPPORTED_GRE_VERSION = "unsupported_gre_version"
    """GRE version other than 0, e.g. PPTP's enhanced GRE: not a mirror format."""
    UNSUPPORTED_GRE_ROUTING = "unsupported_gre_routing"
    """The deprecated GRE routing (R) bit is set."""
    UNKNOWN_GRE_PROTOCOL = "unknown_gre_protocol"
    """GRE carries neither ERSPAN, Ethernet (0x6558) nor IP (keepalives, CDP, MPLS...)."""
    UNSUPPORTED_ERSPAN_VERSION = "unsupported_erspan_version"
    """The ERSPAN header's version field is neither 1 (Type II) nor 2 (Type III)."""
    UNSUPPORTED_ERSPAN_FRAME_TYPE = "unsupported_erspan_frame_type"
    """ERSPAN Type III with a frame type other than Ethernet: the payload is not parsed."""
    INNER_NOT_IP = "inner_not_ip"
    """The mirrored frame is not IP (ARP, STP, CDP, LLDP, MPLS, 802.3 LLC...)."""
    UNSUPPORTED_VLAN_STACK = "unsupported_vlan_stack"
    """More than two VLAN tags, or a service tag inside a customer tag."""
    NOT_TCP = "not_tcp"
    """The innermost IP packet is not TCP (ICMP, UDP other than VXLAN, OSPF...).

    VXLAN is decoded one level deep: UDP inside a VXLAN-carried frame counts here too.
    """
    VXLAN_TRUNCATED = "vxlan_truncated"
    """A UDP datagram on a VXLAN port too short for the 8-byte VXLAN header."""
    UNSUPPORTED_VXLAN_PROTOCOL = "unsupported_vxlan_protocol"
    """VXLAN-GPE carrying something other than Ethernet, IPv4 or IPv6 (NSH, MPLS)."""
    NOT_SYN = "not_syn"
    """A TCP segment without SYN: the ordinary case, counted to show the mirror filter's cost."""
    MALFORMED = "malformed"
    """The dpkt reference decoder rejected the packet in a way no other reason describes."""
    TRUNCATED_RECORD = "truncated_record"
    """A capture-file record (usually the last one) is shorter than its header says."""
    CORRUPT_RECORD = "corrupt_record"
    """A capture-file record or block whose header is impossible; pcap reading stops there."""
    UNKNOWN_INTERFACE = "unknown_interface"
    """A pcapng packet names an interface that no Interface Description Block declared."""


class SkipCounter:
    """Per-reason counts; every reason starts at 0 so exporters see all series from the start.

    The decoders increment ``counts[reason]`` directly: a plain dict keyed by the reason's
    string value is the cheapest counter CPython offers.
    """

    __slots__ = ("counts",)

    def __init__(self) -> None:
        self.counts: dict[str, int] = {reason.value: 0 for reason in SkipReason}

    def add(self, reason: str, count: int = 1) -> None:
        """Count ``count`` more packets skipped for ``reason``."""
        self.counts[reason] = self.counts.get(reason, 0) + count

    def __getitem__(self, reason: str) -> int:
        return self.counts.get(reason, 0)

    def __iter__(self) -> Iterator[str]:
        return iter(self.counts)

    def total(self) -> int:
        """All skipped packets, whatever the reason."""
        return sum(self.counts.values())

    def nonzero(self) -> dict[str, int]:
        """Only the reasons that happened: what a log line or a test wants to see."""
        return {reason: count for reason, count in self.counts.items() if count}

    def merge(self, other: SkipCounter) -> None:
        """Add another counter's counts into this one (e.g. per-thread decoders)."""
        for reason, count in other.counts.items():
            self.add(reason, count)

    def __repr__(self) -> str:
        return f"SkipCounter({self.nonzero()!r})"
