"""Classic pcap records in bulk: big reads, one precompiled ``struct`` call per record header.

A per-record header object (dpkt's) cost more than decoding the frame it described. Here the
file is read a block at a time, each record header is one ``unpack_from`` at an offset in the
block, and the frame is one slice of it; records come out as one ``FrameBatch`` (columns, no
tuple per record) per block, so callers pay a Python-level step per block, not per record.
The timestamp is computed exactly as before (seconds + fraction / divisor), so every float is
the same. A cut or corrupt record ends reading; ``damage`` then says why, and every record
before it has been handed out.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import BinaryIO, Final

import dpkt.pcap

from capture.frame_batch import FrameBatch
from capture.protocol_numbers import LINKTYPE_MASK
from capture.skips import SkipReason

MAX_RECORD_LEN: Final = 64 * 1024 * 1024
"""No capture tool writes a bigger record; a bigger length means a corrupt file."""
PCAP_FILE_HEADER_LEN: Final = 24
BLOCK_BYTES: Final = 1 << 20
"""Bytes per read: a few thousand records, so the per-block overhead is negligible."""

_NANOSECOND_MAGICS: Final = frozenset({dpkt.pcap.TCPDUMP_MAGIC_NANO, dpkt.pcap.PMUDPCT_MAGIC_NANO})
_LITTLE_ENDIAN_MAGICS: Final = frozenset(
    {dpkt.pcap.PMUDPCT_MAGIC, dpkt.pcap.PMUDPCT_MAGIC_NANO, dpkt.pcap.PACPDOM_MAGIC}
)
_MODIFIED_MAGICS: Final = frozenset({dpkt.pcap.MODPCAP_MAGIC, dpkt.pcap.PACPDOM_MAGIC})
"""The "modified" pcap variant: 8 more bytes per record header (interface, protocol, type)."""


Damage = tuple[SkipReason, str, int]
"""Why reading stopped early: the skip reason, what was cut, and its size in bytes."""


class PcapRecords:
    """The records of a classic pcap stream positioned at its start; iterate ``batches()``."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        file_header = stream.read(PCAP_FILE_HEADER_LEN)
        magic = int.from_bytes(file_header[:4], "big")  # big-endian: also tells the byte order
        order = "<" if magic in _LITTLE_ENDIAN_MAGICS else ">"
        padding = "12x" if magic in _MODIFIED_MAGICS else "4x"  # original length (+ modified)
        self._record_header = struct.Struct(f"{order}III{padding}")
        self._divisor = 1_000_000_000 if magic in _NANOSECOND_MAGICS else 1_000_000
        self.linktype = struct.unpack_from(f"{order}I", file_header, 20)[0] & LINKTYPE_MASK
        self.damage: Damage | None = None

    def batches(self) -> Iterator[FrameBatch]:
        """The records in file order, one batch per block read (never an empty batch)."""
        read = self._stream.read
        unpack = self._record_header.unpack_from
        header_len = self._record_header.size
        divisor, linktype = self._divisor, self.linktype
        buf = b""
        pos = size = 0
        wanted = BLOCK_BYTES
        while block := read(wanted):
            buf = buf[pos:] + block if pos < size else block
            pos, size = 0, len(buf)
            last_header = size - header_len
            stamps: list[float] = []
            frames: list[bytes] = []
            add_stamp, add_frame = stamps.append, frames.append
            wanted = BLOCK_BYTES
            while pos <= last_header:
                seconds, fraction, caplen = unpack(buf, pos)
                start = pos + header_len
                pos = start + caplen
                if pos > size:  # the frame runs past this block: read at least the rest
                    if caplen > MAX_RECORD_LEN:  # never fits a block: the length is corrupt
                        self.damage = (SkipReason.CORRUPT_RECORD, "captured length", caplen)
                        if frames:
                            yield FrameBatch(linktype, stamps, frames)
                        return
                    wanted = max(BLOCK_BYTES, pos - size)
                    pos = start - header_len
                    break
                add_stamp(seconds + fraction / divisor)
                add_frame(buf[start:pos])
            if frames:
                yield FrameBatch(linktype, stamps, frames)
        if pos < size:
            self.damage = self._cut(buf, pos, size)

    def _cut(self, buf: bytes, pos: int, size: int) -> Damage:
        """What the file's unfinished last record lacks."""
        if size - pos < self._record_header.size:
            return (SkipReason.TRUNCATED_RECORD, "record header", size - pos)
        caplen = self._record_header.unpack_from(buf, pos)[2]
        return (SkipReason.TRUNCATED_RECORD, "record of", caplen)
