"""Write capture files: pcap (either byte order, micro- or nanosecond) and multi-interface pcapng.

The benchmark's capture generator, the software exporter's debug dumps and the tests write
frames built by ``capture.erspan_encoder`` with these. Timestamps are split into seconds and
fractions with decimal arithmetic so that reading the file back gives the same instant.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Final

import dpkt.pcapng as ng

from capture.protocol_numbers import LinkType

Timestamp = float | Decimal
"""Epoch seconds; a Decimal keeps nanoseconds that a float cannot hold."""

DEFAULT_SNAPLEN: Final = 262_144
_PCAP_MAGIC_MICRO: Final = 0xA1B2C3D4
_PCAP_MAGIC_NANO: Final = 0xA1B23C4D


def split_timestamp(ts: Timestamp, units_per_second: int) -> tuple[int, int]:
    """(whole seconds, fraction in units) of ``ts``, the fraction rounded to the nearest unit."""
    exact = Decimal(ts)
    units = (exact * units_per_second).to_integral_value(rounding=ROUND_HALF_EVEN)
    seconds, fraction = divmod(int(units), units_per_second)
    return seconds, fraction


def write_pcap(
    path: str | os.PathLike[str],
    frames: Iterable[tuple[Timestamp, bytes]],
    *,
    linktype: int = LinkType.ETHERNET,
    nanosecond: bool = False,
    big_endian: bool = False,
    snaplen: int = DEFAULT_SNAPLEN,
) -> int:
    """Write ``(ts, frame)`` records as a classic pcap file; return how many were written."""
    order = ">" if big_endian else "<"
    magic = _PCAP_MAGIC_NANO if nanosecond else _PCAP_MAGIC_MICRO
    units = 1_000_000_000 if nanosecond else 1_000_000
    count = 0
    with Path(path).open("wb") as stream:
        stream.write(struct.pack(f"{order}IHHiIII", magic, 2, 4, 0, 0, snaplen, linktype))
        for ts, frame in frames:
            seconds, fraction = split_timestamp(ts, units)
            stream.write(struct.pack(f"{order}IIII", seconds, fraction, len(frame), len(frame)))
            stream.write(frame)
            count += 1
    return count


@dataclass(frozen=True)
class PcapngInterface:
    """One Interface Description Block: link type and timestamp resolution of its packets."""

    linktype: int = LinkType.ETHERNET
    tsresol: int = 6
    """if_tsresol: 10**-n seconds, or 2**-(n & 0x7F) seconds when the top bit is set."""
    tsoffset: int = 0
    """if_tsoffset: seconds added to every timestamp of the interface."""
    snaplen: int = DEFAULT_SNAPLEN

    @property
    def units_per_second(self) -> int:
        """Timestamp units in one second."""
        exponent = self.tsresol & 0x7F
        base = 2 if self.tsresol & 0x80 else 10
        return int(base**exponent)


def write_pcapng(
    path: str | os.PathLike[str],
    interfaces: Sequence[PcapngInterface],
    packets: Iterable[tuple[int, Timestamp, bytes]],
    *,
    big_endian: bool = False,
) -> int:
    """Write one pcapng section with ``interfaces`` and ``(interface index, ts, frame)`` packets."""
    with Path(path).open("wb") as stream:
        stream.write(pcapng_section(interfaces, big_endian=big_endian))
        count = 0
        for index, ts, frame in packets:
            stream.write(pcapng_packet(interfaces, index, ts, frame, big_endian=big_endian))
            count += 1
    return count


def pcapng_section(interfaces: Sequence[PcapngInterface], *, big_endian: bool = False) -> bytes:
    """A Section Header Block followed by one Interface Description Block per interface."""
    section = ng.SectionHeaderBlock() if big_endian else ng.SectionHeaderBlockLE()
    blocks = [bytes(section)]
    option = ng.PcapngOption if big_endian else ng.PcapngOptionLE
    order = ">" if big_endian else "<"
    for interface in interfaces:
        options = [option(code=ng.PCAPNG_OPT_IF_TSRESOL, data=bytes([interface.tsresol]))]
        if interface.tsoffset:
            data = struct.pack(f"{order}q", interface.tsoffset)
            options.append(option(code=ng.PCAPNG_OPT_IF_TSOFFSET, data=data))
        options.append(option(code=ng.PCAPNG_OPT_ENDOFOPT))
        idb_class = ng.InterfaceDescriptionBlock if big_endian else ng.InterfaceDescriptionBlockLE
        idb = idb_class(linktype=interface.linktype, snaplen=interface.snaplen, opts=options)
        blocks.append(bytes(idb))
    return b"".join(blocks)


def pcapng_packet(
    interfaces: Sequence[PcapngInterface],
    index: int,
    ts: Timestamp,
    frame: bytes,
    *,
    big_endian: bool = False,
) -> bytes:
    """An Enhanced Packet Block for interface ``index``, its timestamp in that interface's units."""
    interface = interfaces[index]
    units = interface.units_per_second
    seconds, fraction = split_timestamp(Decimal(ts) - interface.tsoffset, units)
    raw = seconds * units + fraction
    epb_class = ng.EnhancedPacketBlock if big_endian else ng.EnhancedPacketBlockLE
    epb = epb_class(iface_id=index, ts_high=raw >> 32, ts_low=raw & 0xFFFF_FFFF, pkt_data=frame)
    return bytes(epb)
