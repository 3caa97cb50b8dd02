"""Captured frames by column: one link type, a list of timestamps and a list of frames.

A file's records share their link type, so a block of them needs no tuple per record: the
reader appends a timestamp and a frame, and the reading loop hands the two lists to the
decoder through ``map`` (a C loop) instead of unpacking a tuple per record in Python. The
batch is still a ``Sequence`` of ``CaptureRecord``s for every caller that wants records.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import repeat
from typing import NamedTuple, overload

_new_tuple = tuple.__new__


class CaptureRecord(NamedTuple):
    """One captured frame."""

    ts: float
    """Epoch seconds, as tshark's frame.time_epoch."""
    linktype: int
    """pcap link type of ``frame`` (FCS flag bits removed)."""
    frame: bytes


class FrameBatch(Sequence[CaptureRecord]):
    """Records of one link type in capture order; ``stamps[i]`` is the time of ``frames[i]``."""

    __slots__ = ("frames", "linktype", "stamps")

    def __init__(self, linktype: int, stamps: list[float], frames: list[bytes]) -> None:
        self.linktype = linktype
        self.stamps = stamps
        self.frames = frames

    def __len__(self) -> int:
        return len(self.frames)

    @overload
    def __getitem__(self, index: int) -> CaptureRecord: ...

    @overload
    def __getitem__(self, index: slice) -> FrameBatch: ...

    def __getitem__(self, index: int | slice) -> CaptureRecord | FrameBatch:
        if isinstance(index, slice):
            return FrameBatch(self.linktype, self.stamps[index], self.frames[index])
        return CaptureRecord(self.stamps[index], self.linktype, self.frames[index])

    def __iter__(self) -> Iterator[CaptureRecord]:
        # tuple.__new__ over zip: records are built in C, not by the namedtuple's __new__.
        columns = zip(self.stamps, repeat(self.linktype), self.frames, strict=False)
        return map(_new_tuple, repeat(CaptureRecord), columns)

    def __repr__(self) -> str:
        return f"FrameBatch(linktype={self.linktype}, records={len(self.frames)})"

    def frame_bytes(self) -> int:
        """Bytes of all frames together (record headers not counted)."""
        return sum(map(len, self.frames))
