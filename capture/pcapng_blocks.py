"""pcapng sections and blocks: which interface a packet came from, its link type and its time.

Each section has its own byte order and interface list; each interface its own link type,
timestamp resolution (if_tsresol) and offset (if_tsoffset). dpkt's block classes parse the
blocks; this module keeps the per-section state dpkt's reader does not.
"""

from __future__ import annotations

import struct
from typing import Final, NamedTuple

import dpkt
import dpkt.pcapng as ng

from capture.protocol_numbers import LINKTYPE_MASK
from capture.skips import SkipReason

PCAPNG_SHB_MAGIC: Final = b"\x0a\x0d\x0d\x0a"
_BOM_BIG: Final = b"\x1a\x2b\x3c\x4d"
_BOM_LITTLE: Final = b"\x4d\x3c\x2b\x1a"
_MIN_BLOCK_LEN: Final = 12
_DEFAULT_UNITS_PER_SECOND: Final = 1_000_000

PacketRecord = tuple[float, int, bytes]
"""(epoch seconds, link type, frame) of one packet block."""


class Interface(NamedTuple):
    """What an Interface Description Block says about the packets that name it."""

    linktype: int
    units_per_second: int
    offset_seconds: int

    def epoch(self, timestamp: int) -> float:
        """Epoch seconds of a raw 64-bit timestamp, rounded once (to the nearest double)."""
        seconds, fraction = divmod(timestamp, self.units_per_second)
        return float(seconds + self.offset_seconds) + fraction / self.units_per_second


class PcapngSection:
    """The state of one section: its byte order and the interfaces declared so far."""

    def __init__(self, *, little_endian: bool) -> None:
        self.little_endian = little_endian
        self.interfaces: list[Interface] = []
        self._length_format = "<I" if little_endian else ">I"

    @classmethod
    def from_header(cls, first_bytes: bytes) -> PcapngSection | None:
        """A new section from a Section Header Block's first 12 bytes; None if the BOM is bad."""
        bom = first_bytes[8:12]
        if bom not in (_BOM_BIG, _BOM_LITTLE):
            return None
        return cls(little_endian=bom == _BOM_LITTLE)

    def block_length(self, block_start: bytes) -> int | None:
        """The total length of the block starting with these bytes, None if impossible."""
        if len(block_start) < 8:
            return None
        (length,) = struct.unpack_from(self._length_format, block_start, 4)
        if length < max(_MIN_BLOCK_LEN, len(block_start)) or length % 4:
            return None
        return int(length)

    def read_block(self, block: bytes) -> PacketRecord | SkipReason | None:
        """The packet in ``block``, a reason it is unusable, or None for a non-packet block."""
        (block_type,) = struct.unpack_from(self._length_format, block)
        try:
            if block_type == ng.PCAPNG_BT_SHB:
                self._check_section_header(block)
            elif block_type == ng.PCAPNG_BT_IDB:
                self.interfaces.append(self._interface(block))
            elif block_type in (ng.PCAPNG_BT_EPB, ng.PCAPNG_BT_PB):
                return self._packet(block, block_type)
        except (dpkt.UnpackError, struct.error, IndexError, UnicodeDecodeError):
            return SkipReason.CORRUPT_RECORD
        return None

    def _check_section_header(self, block: bytes) -> None:
        header_class = ng.SectionHeaderBlockLE if self.little_endian else ng.SectionHeaderBlock
        header = header_class(block)
        if header.v_major != ng.PCAPNG_VERSION_MAJOR:
            raise dpkt.UnpackError(f"pcapng version {header.v_major} is not supported")

    def _interface(self, block: bytes) -> Interface:
        idb_class = (
            ng.InterfaceDescriptionBlockLE if self.little_endian else ng.InterfaceDescriptionBlock
        )
        idb = idb_class(block)
        units, offset = _DEFAULT_UNITS_PER_SECOND, 0
        for option in idb.opts:
            if option.code == ng.PCAPNG_OPT_IF_TSRESOL and option.data:
                exponent = option.data[0] & 0x7F
                units = 2**exponent if option.data[0] & 0x80 else 10**exponent
            elif option.code == ng.PCAPNG_OPT_IF_TSOFFSET and len(option.data) == 8:
                (offset,) = struct.unpack("<q" if self.little_endian else ">q", option.data)
        return Interface(idb.linktype & LINKTYPE_MASK, units, offset)

    def _packet(self, block: bytes, block_type: int) -> PacketRecord | SkipReason:
        if block_type == ng.PCAPNG_BT_EPB:
            packet_class = (
                ng.EnhancedPacketBlockLE if self.little_endian else ng.EnhancedPacketBlock
            )
        else:
            packet_class = ng.PacketBlockLE if self.little_endian else ng.PacketBlock
        packet = packet_class(block)
        if len(packet.pkt_data) < packet.caplen:
            return SkipReason.CORRUPT_RECORD
        if packet.iface_id >= len(self.interfaces):
            return SkipReason.UNKNOWN_INTERFACE
        interface = self.interfaces[packet.iface_id]
        timestamp = packet.ts_high << 32 | packet.ts_low
        return interface.epoch(timestamp), interface.linktype, bytes(packet.pkt_data)
