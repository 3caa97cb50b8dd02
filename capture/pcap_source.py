"""Read capture files: (ts, linktype, frame) records from pcap or pcapng, exactly as written.

pcap in both byte orders, micro- or nanosecond, and the "modified" variant; pcapng with any
number of sections and interfaces, each with its own link type and timestamp resolution.
Classic pcap records are read in bulk by ``capture.pcap_records``; dpkt's block classes parse
pcapng. The loops are ours because dpkt's readers hide the captured length (so a cut last
record would look whole) and read only the first pcapng interface. A damaged record ends or
skips, counted, and never costs the records before.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import dpkt.pcap

from capture.errors import CaptureError, NotACaptureError
from capture.frame_batch import CaptureRecord, FrameBatch
from capture.pcap_records import MAX_RECORD_LEN, PCAP_FILE_HEADER_LEN, PcapRecords
from capture.pcapng_blocks import PCAPNG_SHB_MAGIC, PcapngSection
from capture.skips import SkipCounter, SkipReason

__all__ = ["CaptureRecord", "PcapSource", "read_capture"]

log = logging.getLogger(__name__)

PCAPNG_BATCH_RECORDS = 4096
"""Records per list that ``batches()`` hands out for pcapng files."""


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
        for batch in self.batches():
            yield from batch

    def batches(self) -> Iterator[FrameBatch]:
        """The records in batches of a few thousand: one Python step per batch, not per record."""
        try:
            with self.path.open("rb") as stream:
                if self.is_pcapng:
                    yield from self._pcapng_batches(stream)
                else:
                    yield from self._pcap_batches(stream)
        except OSError as exc:
            raise CaptureError(f"cannot read {self.path}: {exc.strerror or exc}") from exc

    def _pcap_batches(self, stream: BinaryIO) -> Iterator[FrameBatch]:
        reader = PcapRecords(stream)
        for batch in reader.batches():
            self.records += len(batch)
            yield batch
        if reader.damage is not None:
            self._damaged(*reader.damage)

    def _pcapng_batches(self, stream: BinaryIO) -> Iterator[FrameBatch]:
        """Runs of records of one link type (interfaces may differ), up to a batch each."""
        batch = FrameBatch(0, [], [])
        for ts, linktype, frame in self._pcapng_records(stream):
            if linktype != batch.linktype or len(batch) >= PCAPNG_BATCH_RECORDS:
                if batch:
                    yield batch
                batch = FrameBatch(linktype, [], [])
            batch.stamps.append(ts)
            batch.frames.append(frame)
        if batch:
            yield batch

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
            start = stream.read(PCAP_FILE_HEADER_LEN)
    except OSError as exc:
        raise CaptureError(f"cannot open capture {path}: {exc.strerror or exc}") from exc
    magic = int.from_bytes(start[:4], "big")
    if start[:4] == PCAPNG_SHB_MAGIC:
        needed = 12
    elif magic in dpkt.pcap.MAGIC_TO_PKT_HDR:
        needed = PCAP_FILE_HEADER_LEN
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
