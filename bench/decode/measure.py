"""Timed decoding loops, run inside a worker process so each decoder starts from a cold process.

Per-core rates use CPU time (``time.process_time``): the machine is shared, and wall time
would charge the decoder for other tenants' work. Decode-only loops run over frames read into
memory beforehand, the same way for every decoder, so file reading is outside the timing; the
streaming loop times the pcap reader as well and reports peak memory.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import resource
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from capture.pcap_source import CaptureRecord, PcapSource
from models.connection import ConnectionEvent

log = logging.getLogger(__name__)


class Decoding(Protocol):
    """What the loops need of a decoder: the fast one and the dpkt baseline both fit."""

    events: int

    def decode_frame(self, frame: bytes, ts: float, linktype: int) -> ConnectionEvent | None: ...


@dataclass(frozen=True)
class Timing:
    """One pass of a decoder over the frames."""

    cpu_s: float
    wall_s: float
    events: int


def peak_rss_kib() -> int:
    """This process's peak resident memory, KiB.

    VmHWM, not ``getrusage().ru_maxrss``: on Linux a child's ru_maxrss starts from its
    parent's peak at exec time, so a worker spawned by a large orchestrator would report the
    orchestrator's size, not its own.
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def read_frames(path: Path, limit: int | None) -> list[CaptureRecord]:
    """The first ``limit`` records of the capture (all when None), in memory."""
    return list(itertools.islice(PcapSource(path), limit))


def timed_pass(make: Callable[[], Decoding], records: Sequence[CaptureRecord]) -> Timing:
    """Decode every record once with a fresh decoder; events are dropped as they come."""
    decoder = make()
    decode = decoder.decode_frame
    cpu, wall = time.process_time(), time.perf_counter()
    for ts, linktype, frame in records:
        decode(frame, ts, linktype)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return Timing(cpu, wall, decoder.events)


def repeated(
    make: Callable[[], Decoding], records: Sequence[CaptureRecord], repeats: int
) -> dict[str, Any]:
    """``repeats`` passes; the median CPU and wall times, and every pass for the record."""
    passes = [timed_pass(make, records) for _ in range(repeats)]
    counts = {timing.events for timing in passes}
    if len(counts) != 1:
        raise RuntimeError(f"the decoder found different event counts on each pass: {counts}")
    return {
        "packets": len(records),
        "events": passes[0].events,
        "cpu_s": statistics.median(timing.cpu_s for timing in passes),
        "wall_s": statistics.median(timing.wall_s for timing in passes),
        "passes_cpu_s": [timing.cpu_s for timing in passes],
        "passes_wall_s": [timing.wall_s for timing in passes],
    }


def events_digest(make: Callable[[], Decoding], records: Sequence[CaptureRecord]) -> dict[str, Any]:
    """A hash of every event, in order: equal digests mean equal decoded events, field by field."""
    decode = make().decode_frame
    digest = hashlib.blake2b(digest_size=16)
    events = 0
    for ts, linktype, frame in records:
        event = decode(frame, ts, linktype)
        if event is not None:
            digest.update(repr(event).encode())
            events += 1
    return {"packets": len(records), "events": events, "digest": digest.hexdigest()}


def streamed(make: Callable[[], Decoding], path: Path) -> dict[str, Any]:
    """Read and decode the whole file record by record; CPU, wall and peak resident memory."""
    before_kib = peak_rss_kib()
    decoder = make()
    decode = decoder.decode_frame
    source = PcapSource(path)
    cpu, wall = time.process_time(), time.perf_counter()
    for ts, linktype, frame in source:
        decode(frame, ts, linktype)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return {
        "packets": source.records,
        "events": decoder.events,
        "cpu_s": cpu,
        "wall_s": wall,
        "rss_before_kib": before_kib,
        "peak_rss_kib": peak_rss_kib(),
    }
