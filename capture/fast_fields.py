"""Header layouts and skip-reason strings shared by the fast decoder's modules.

The fast path reads each header with one precompiled ``struct`` call and reports a skip as
the reason's plain string (a dict key and a return value that costs nothing to make).
"""

from __future__ import annotations

import struct
from typing import Final, TypeAlias, TypeVar

from capture.skips import SkipReason

EventT = TypeVar("EventT")
"""What the decoder's event factory makes of a SYN: a ConnectionEvent, or a packed record."""
Mirrored: TypeAlias = EventT | str
"""What every fast decoding function returns: the factory's result for a SYN, or the string
value of a SkipReason."""

TRUNCATED: Final = SkipReason.TRUNCATED.value
BAD_LENGTH: Final = SkipReason.BAD_LENGTH.value
BAD_IP_VERSION: Final = SkipReason.BAD_IP_VERSION.value
UNSUPPORTED_LINKTYPE: Final = SkipReason.UNSUPPORTED_LINKTYPE.value
NOT_IP: Final = SkipReason.NOT_IP.value
IP_FRAGMENT: Final = SkipReason.IP_FRAGMENT.value
NOT_GRE: Final = SkipReason.NOT_GRE.value
UNSUPPORTED_GRE_VERSION: Final = SkipReason.UNSUPPORTED_GRE_VERSION.value
UNSUPPORTED_GRE_ROUTING: Final = SkipReason.UNSUPPORTED_GRE_ROUTING.value
UNKNOWN_GRE_PROTOCOL: Final = SkipReason.UNKNOWN_GRE_PROTOCOL.value
UNSUPPORTED_ERSPAN_VERSION: Final = SkipReason.UNSUPPORTED_ERSPAN_VERSION.value
UNSUPPORTED_ERSPAN_FRAME_TYPE: Final = SkipReason.UNSUPPORTED_ERSPAN_FRAME_TYPE.value
INNER_NOT_IP: Final = SkipReason.INNER_NOT_IP.value
UNSUPPORTED_VLAN_STACK: Final = SkipReason.UNSUPPORTED_VLAN_STACK.value
NOT_TCP: Final = SkipReason.NOT_TCP.value
VXLAN_TRUNCATED: Final = SkipReason.VXLAN_TRUNCATED.value
UNSUPPORTED_VXLAN_PROTOCOL: Final = SkipReason.UNSUPPORTED_VXLAN_PROTOCOL.value
NOT_SYN: Final = SkipReason.NOT_SYN.value

HAS_SYN: Final = tuple(bool(flags & 0x02) for flags in range(256))
"""TCP flags byte -> SYN set: a tuple subscript, cheaper than ``flags & 0x02`` in CPython."""
ACK_BIT: Final = tuple(flags >> 4 & 1 for flags in range(256))
"""TCP flags byte -> 1 when ACK is set (a SYN-ACK), else 0."""

TWO_SHORTS: Final = struct.Struct("!HH").unpack_from
"""GRE flags/protocol, a VLAN tag (TCI, next type), ERSPAN words, UDP ports."""
ETHERTYPE: Final = struct.Struct("!12xH").unpack_from
"""The type field of an Ethernet header."""
IPV4_FIELDS: Final = struct.Struct("!BxHxxHxB").unpack_from
"""Version/IHL, total length, flags/fragment offset, protocol."""
IPV6_FIELDS: Final = struct.Struct("!BxxxHB").unpack_from
"""Version nibble byte, payload length, next header."""
TWO_ADDRESSES_V4: Final = struct.Struct("!II").unpack_from
"""IPv4 source and destination as ints: address cache keys that need no slice."""
TCP_FIELDS: Final = struct.Struct("!HH8xBB").unpack_from
"""Source port, destination port, data offset byte, flags byte."""
IPV4_TCP: Final = struct.Struct("!BxHxxHxB2xIIHH8xBB").unpack_from
"""IPv4 without options and TCP in one read."""
IPV6_TCP: Final = struct.Struct("!BxxxHB33xHH8xBB").unpack_from
"""IPv6 without extension headers and TCP in one read (addresses are sliced only for SYNs)."""
VLAN_IPV4_TCP: Final = struct.Struct("!HHBxHxxHxB2xIIHH8xBB").unpack_from
"""After an 802.1Q type field: TCI, next type, then IPv4 without options and TCP in one read."""
ETH_IPV4_TCP: Final = struct.Struct("!12xHBxHxxHxB2xIIHH8xBB").unpack_from
"""Ethernet type, then IPv4 without options and TCP in one read."""
ETH_IPV6_TCP: Final = struct.Struct("!12xHB3xHB33xHH8xBB").unpack_from
"""Ethernet type, then IPv6 without extension headers and TCP in one read (no addresses)."""
ETH_VLAN_IPV4_TCP: Final = struct.Struct("!12xHHHBxHxxHxB2xIIHH8xBB").unpack_from
"""Ethernet with one VLAN tag (TPID, TCI, type), then IPv4 without options and TCP in one read."""
OUTER_IPV4: Final = struct.Struct("!12xHBxHxxHxB2xI4xIIIxxHxxH").unpack_from
"""Ethernet type; IPv4 version/IHL, total length, fragment field, protocol, source as an int;
GRE flags and protocol as one word; then, from the GRE payload on, the 32-bit words at 0 and 4
and the 16-bit words at 10 and 14: wherever an ERSPAN header's fields can be."""
OUTER_IPV6: Final = struct.Struct("!12xHBxxxHB33xIIIxxHxxH").unpack_from
"""Ethernet type; IPv6 version byte, payload length and next header; then the same GRE and
ERSPAN words as ``OUTER_IPV4``."""
