"""``--file PATH``: a pcap or pcapng capture, as fast as possible or at its recorded pace.

Reading a file never drops: when Kafka is slow the capture loop simply stops pulling chunks.
``--realtime`` sleeps until each record's offset from the first one has passed, so a replay
exercises the pipeline at production timing (and batch delays behave as they would live).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncGenerator, Mapping, Sequence
from pathlib import Path

from capture.frame_batch import FrameBatch
from capture.packets import Captured
from capture.pcap_source import PcapSource
from capture.progress import FileProgress

logger = logging.getLogger(__name__)

CHUNK_RECORDS = 2048
"""Records per chunk: between chunks the loop checks back-pressure and lets Kafka run.

A chunk decodes in about 2 ms; each costs a trip through the event loop and a metrics
update, which at 512 records a chunk came to about 4% of a file capture's CPU time."""
_PCAP_RECORD_OVERHEAD = 16
_PCAPNG_RECORD_OVERHEAD = 32  # an Enhanced Packet Block without options


class FileSource:
    """Chunks of the records of one capture file."""

    def __init__(self, path: str | Path, *, realtime: bool, progress: FileProgress) -> None:
        self._pcap = PcapSource(path)  # checks the header: a wrong file fails here, at once
        self._realtime = realtime
        self._progress = progress
        self._size = self._pcap.path.stat().st_size
        self._overhead = _PCAPNG_RECORD_OVERHEAD if self._pcap.is_pcapng else _PCAP_RECORD_OVERHEAD
        self._read_to_end = False

    async def chunks(self, stop: asyncio.Event) -> AsyncGenerator[Sequence[Captured], None]:
        self._progress.start(self._pcap.path.name, self._size)
        self._read_to_end = False
        reading = self._paced_chunks(stop) if self._realtime else self._batch_chunks(stop)
        try:
            async with contextlib.aclosing(reading) as chunks:
                async for chunk in chunks:
                    yield chunk
            if self._read_to_end:
                self._progress.update(self._size)
        finally:
            self._progress.stop()

    async def _batch_chunks(self, stop: asyncio.Event) -> AsyncGenerator[FrameBatch, None]:
        """The reader's batches cut into chunks: no Python step per record."""
        bytes_read = 0  # estimated from record sizes: the reader does not expose its offset
        for batch in self._pcap.batches():
            for first in range(0, len(batch), CHUNK_RECORDS):
                yield batch[first : first + CHUNK_RECORDS]
                if stop.is_set():
                    return
            if self._progress.enabled:
                bytes_read += self._overhead * len(batch) + batch.frame_bytes()
                self._progress.update(bytes_read)
        self._read_to_end = True

    async def _paced_chunks(self, stop: asyncio.Event) -> AsyncGenerator[list[Captured], None]:
        """Records at their recorded pace: a chunk ends early when the next one must wait."""
        pace = _Pace()
        chunk: list[Captured] = []
        bytes_read = 0
        for record in self._pcap:
            delay = pace.delay_before(record.ts)
            if delay > 0:
                if chunk:
                    yield chunk
                    chunk = []
                if await _stopped_within(stop, delay):
                    return
            chunk.append(record)
            bytes_read += self._overhead + len(record.frame)
            if len(chunk) >= CHUNK_RECORDS:
                yield chunk
                chunk = []
                self._progress.update(bytes_read)
                if stop.is_set():
                    return
        if chunk:
            yield chunk
        self._read_to_end = True

    def skip_counts(self) -> Mapping[str, int]:
        return self._pcap.skips.counts

    def kernel_drops(self) -> int:
        return 0

    def close(self) -> None:
        return None  # the reader closes the file when its iteration ends


class _Pace:
    """Maps capture time to wall time from the first record on."""

    def __init__(self) -> None:
        self._origin: tuple[float, float] | None = None

    def delay_before(self, ts: float) -> float:
        now = time.monotonic()
        if self._origin is None:
            self._origin = (ts, now)
            return 0.0
        first_ts, started = self._origin
        return started + (ts - first_ts) - now


async def _stopped_within(stop: asyncio.Event, delay: float) -> bool:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), delay)
    return stop.is_set()
