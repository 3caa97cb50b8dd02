"""dpkt header classes for the reference decoder: ERSPAN and VXLAN, plus dispatch-free variants.

dpkt has no ERSPAN or VXLAN parser, so these declare the headers with dpkt's own machinery.
dpkt's Ethernet, SLL and IP classes decode their payload by themselves; the variants below
switch that off (an empty dispatch table, which the classes read from ``self``) so the
reference decoder chooses every next layer explicitly and an error belongs to one layer.
"""

from __future__ import annotations

from typing import Any, ClassVar

import dpkt


class ErspanTypeII(dpkt.Packet):  # type: ignore[misc]  # dpkt has no type hints
    """The 8-byte ERSPAN Type II header (version field 1)."""

    __hdr__ = (
        ("_ver_vlan", "H", 0x1000),
        ("_cos_en_t_session", "H", 0),
        ("_reserved_index", "I", 0),
    )
    __bit_fields__: ClassVar[dict[str, tuple[tuple[str, int], ...]]] = {
        "_ver_vlan": (("version", 4), ("vlan", 12)),
        "_cos_en_t_session": (("cos", 3), ("encap", 2), ("truncated", 1), ("session", 10)),
        "_reserved_index": (("reserved", 12), ("index", 20)),
    }


class ErspanTypeIII(dpkt.Packet):  # type: ignore[misc]  # dpkt has no type hints
    """The 12-byte ERSPAN Type III header (version field 2); ``subheader`` flags 8 more bytes."""

    __hdr__ = (
        ("_ver_vlan", "H", 0x2000),
        ("_cos_bso_t_session", "H", 0),
        ("timestamp", "I", 0),
        ("sgt", "H", 0),
        ("_p_ft_hw_d_gra_o", "H", 0),
    )
    __bit_fields__: ClassVar[dict[str, tuple[tuple[str, int], ...]]] = {
        "_ver_vlan": (("version", 4), ("vlan", 12)),
        "_cos_bso_t_session": (("cos", 3), ("bso", 2), ("truncated", 1), ("session", 10)),
        "_p_ft_hw_d_gra_o": (
            ("ethernet_pdu", 1),
            ("frame_type", 5),
            ("hardware_id", 6),
            ("egress", 1),
            ("granularity", 2),
            ("subheader", 1),
        ),
    }


class ErspanPlatformSubheader(dpkt.Packet):  # type: ignore[misc]  # dpkt has no type hints
    """The optional 8-byte platform-specific subheader of ERSPAN Type III."""

    __hdr__ = (("_platform_info", "Q", 0),)
    __bit_fields__: ClassVar[dict[str, tuple[tuple[str, int], ...]]] = {
        "_platform_info": (("platform_id", 6), ("platform_info", 58)),
    }


class Vxlan(dpkt.Packet):  # type: ignore[misc]  # dpkt has no type hints
    """The 8-byte VXLAN header (RFC 7348); in VXLAN-GPE the 4th byte is the next protocol."""

    __hdr__ = (
        ("flags", "B", 0x08),
        ("_reserved1", "2s", b"\x00\x00"),
        ("next_protocol", "B", 0),
        ("_vni_reserved", "I", 0),
    )
    __bit_fields__: ClassVar[dict[str, tuple[tuple[str, int], ...]]] = {
        "_vni_reserved": (("vni", 24), ("reserved2", 8)),
    }


class EthernetHeader(dpkt.ethernet.Ethernet):  # type: ignore[misc]  # dpkt has no type hints
    """dpkt's Ethernet with VLAN tags decoded but the payload left as bytes.

    dpkt's own constructor decodes a bytes payload a second time (meant for frames built from
    keyword arguments), which would read tags beyond the two it stops at; parsing from a
    buffer needs only the generic constructor.
    """

    _typesw: ClassVar[dict[int, Any]] = {}

    def __init__(self, buf: bytes) -> None:
        self._next_type = None
        dpkt.Packet.__init__(self, buf)


class LinuxSllHeader(dpkt.sll.SLL):  # type: ignore[misc]  # dpkt has no type hints
    """dpkt's Linux cooked header with the payload left as bytes."""

    _typesw: ClassVar[dict[int, Any]] = {}


class LinuxSll2Header(dpkt.sll2.SLL2):  # type: ignore[misc]  # dpkt has no type hints
    """dpkt's Linux cooked v2 header with the payload left as bytes."""

    _typesw: ClassVar[dict[int, Any]] = {}


class IPv4Header(dpkt.ip.IP):  # type: ignore[misc]  # dpkt has no type hints
    """dpkt's IPv4 (options, total-length trimming) with the payload left as bytes."""

    _protosw: ClassVar[dict[int, Any]] = {}


class IPv6Header(dpkt.ip6.IP6):  # type: ignore[misc]  # dpkt has no type hints
    """dpkt's IPv6 (extension header walk, payload-length trimming), payload left as bytes."""

    _protosw: ClassVar[dict[int, Any]] = {}

    def unpack(self, buf: bytes) -> None:
        """dpkt's unpack, surviving its fragment check on the wrong extension header.

        dpkt 1.9.8 reads ``frag_off`` from the last extension header whenever the first one
        is a fragment header, and fails when another header follows it. Everything but the
        payload is parsed by then; the payload is what follows the extension headers.
        """
        try:
            super().unpack(buf)
        except AttributeError:
            if self.nxt != dpkt.ip.IP_PROTO_FRAGMENT:
                raise
            payload: bytes = self.data  # type: ignore[has-type]  # set by dpkt
            region = payload[: self.plen] if self.plen else payload
            self.data = region[sum(ext.length for ext in self.all_extension_headers) :]
