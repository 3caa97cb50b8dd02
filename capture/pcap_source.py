"""Read capture files: (ts, linktype, frame) records from pcap or pcapng, exactly as written.

pcap in both byte orders, micro- or nanosecond, and the "modified" variant; pcapng with any
number of sections and interfaces, each with its own link type and timestamp resolution.
dpkt's header and block classes parse the bytes; the loops live here because dpkt's readers
hide the captured length (so a cut last record would look whole) and read only the first
pcapng interface. A damaged record ends or skips, counted, and never costs the records before.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Final, NamedTuple

import dpkt
import dpkt.pcap

from capture.errors import CaptureError, NotACaptureError
from capture.pcapng_blocks import PCAPNG_SHB_MAGIC, PcapngSection
from capture.protocol_numbers import LINKTYPE_MASK
from capture.skips import SkipCounter, SkipReason

log = logging.getLogger(__name__)

MAX_RECORD_LEN: Final = 64 * 1024 * 1024
"""No capture tool writes a bigger record; a bigger length means a corrupt file."""
_PCAP_FILE_HEADER_LEN: Final = 24
_NANOSECOND_MAGICS: Final = frozenset({dpkt.pcap.TCPDUMP_MAGIC_NANO, dpkt.pcap.PMUDPCT_MAGIC_NANO})
_LITTLE_ENDIAN_MAGICS: Final = frozenset(
    {dpkt.pcap.PMUDPCT_MAGIC, dpkt.pcap.PMUDPCT_MAGIC_NANO, dpkt.pcap.PACPDOM_MAGIC}
)


class CaptureRecord(NamedTuple):
    """One captured frame."""

    ts: float
    """Epoch seconds, as tshark's frame.time_epoch."""
    linktype: int
    """pcap link type of ``frame`` (FCS flag bits removed)."""
    frame: bytes


class PcapSource:
    """A pcap or pcapng file; iterate it for ``CaptureRecord``s (each iteration rereads the file).

    Construction checks the file header, so a wrong path or a non-capture fails at once with a
    ``CaptureError``. Damaged records are counted in ``skips`` and logged.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.skips = SkipCounter()
        self.records = 0
        self.is_pcapng = _sniff(self.path)

    def __iter__(self) -> Iterator[CaptureRecord]:
        try:
            with self.path.open("rb") as stream:
                if self.is_pcapng:
                    yield from self._pcapng_records(stream)
                else:
                    yield from self._pcap_records(stream)
        except OSError as exc:
            raise CaptureError(f"cannot read {self.path}: {exc.strerror or exc}") from exc

    def _pcap_records(self, stream: BinaryIO) -> Iterator[CaptureRecord]:
        header_bytes = stream.read(_PCAP_FILE_HEADER_LEN)
        header = dpkt.pcap.FileHdr(header_bytes)
        magic = header.magic  # as read big-endian: it also tells the file's byte order
        if magic in _LITTLE_ENDIAN_MAGICS:
            header = dpkt.pcap.LEFileHdr(header_bytes)
        record_header_class = dpkt.pcap.MAGIC_TO_PKT_HDR[magic]
        record_header_len = record_header_class.__hdr_len__
        divisor = 1_000_000_000 if magic in _NANOSECOND_MAGICS else 1_000_000
        linktype = header.linktype & LINKTYPE_MASK
        while raw_header := stream.read(record_header_len):
            if len(raw_header) < record_header_len:
                self._damaged(SkipReason.TRUNCATED_RECORD, "record header", len(raw_header))
                return
            record = record_header_class(raw_header)
            if record.caplen > MAX_RECORD_LEN:
                self._damaged(SkipReason.CORRUPT_RECORD, "captured length", record.caplen)
                return
            frame = stream.read(record.caplen)
            if len(frame) < record.caplen:
                self._damaged(SkipReason.TRUNCATED_RECORD, "record of", record.caplen)
                return
            self.records += 1
            yield CaptureRecord(record.tv_sec + record.tv_usec / divisor, linktype, frame)

    def _pcapng_records(self, stream: BinaryIO) -> Iterator[CaptureRecord]:
        section = PcapngSection(little_endian=True)
        while block_start := stream.read(8):
            if len(block_start) < 8:
                self._damaged(SkipReason.TRUNCATED_RECORD, "block header", len(block_start))
                return
            if block_start[:4] == PCAPNG_SHB_MAGIC:
                block_start += stream.read(4)
                new_section = PcapngSection.from_header(block_start)
                if new_section is None:
                    self._damaged(SkipReason.CORRUPT_RECORD, "section header", len(block_start))
                    return
                section = new_section
            block_len = section.block_length(block_start)
            if block_len is None or block_len > MAX_RECORD_LEN:
                self._damaged(SkipReason.CORRUPT_RECORD, "block length", len(block_start))
                return
            block = block_start + stream.read(block_len - len(block_start))
            if len(block) < block_len:
                self._damaged(SkipReason.TRUNCATED_RECORD, "block of", block_len)
                return
            outcome = section.read_block(block)
            if isinstance(outcome, SkipReason):
                self.skips.add(outcome)
                log.warning("%s: skipped a pcapng block (%s)", self.path, outcome.value)
            elif outcome is not None:
                self.records += 1
                yield CaptureRecord(*outcome)

    def _damaged(self, reason: SkipReason, what: str, size: int) -> None:
        self.skips.add(reason)
        log.warning(
            "%s: stopped after %d records: %s (%s %d bytes)",
            self.path,
            self.records,
            reason.value,
            what,
            size,
        )


def read_capture(path: str | os.PathLike[str]) -> Iterator[CaptureRecord]:
    """The records of one capture file, for callers that need no skip counts."""
    return iter(PcapSource(path))


def _sniff(path: Path) -> bool:
    """True for pcapng, False for pcap; raises when the file is neither or is cut in its header."""
    try:
        with path.open("rb") as stream:
            start = stream.read(_PCAP_FILE_HEADER_LEN)
    except OSError as exc:
        raise CaptureError(f"cannot open capture {path}: {exc.strerror or exc}") from exc
    magic = int.from_bytes(start[:4], "big")
    if start[:4] == PCAPNG_SHB_MAGIC:
        needed = 12
    elif magic in dpkt.pcap.MAGIC_TO_PKT_HDR:
        needed = _PCAP_FILE_HEADER_LEN
    else:
        raise NotACaptureError(
            f"{path} is not a pcap or pcapng file (first bytes {start[:8].hex(' ') or 'none'}): "
            "give a capture written by tcpdump, tshark or meeseeks"
        )
    if len(start) < needed:
        raise NotACaptureError(
            f"{path} ends inside its capture file header ({len(start)} of {needed} bytes): "
            "the capture was cut short; give a complete capture written by tcpdump, tshark "
            "or meeseeks"
        )
    return needed == 12
