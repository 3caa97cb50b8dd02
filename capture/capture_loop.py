"""The reading loop: source chunks through the decoder into a sink, pausing when it is full.

Waiting for the sink between chunks is the whole back-pressure design: nothing is read while
Kafka cannot take more, so memory stays bounded and, on a live socket, the kernel does the
dropping (and counts it). Counters and metrics are updated once per chunk, not per packet.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import repeat
from operator import attrgetter, countOf
from typing import Protocol, runtime_checkable

from capture.fast_event import SynFactory
from capture.frame_batch import FrameBatch
from capture.metrics import CaptureMetrics
from capture.packets import Captured, GrePayload, PacketSource
from capture.skips import SkipCounter
from models.connection import ConnectionEvent, Kind

DROP_POLL_SECONDS = 1.0
"""How often the kernel's drop counter is read (one getsockopt)."""
_KIND = attrgetter("kind")


class EventDecoder(Protocol):
    """What the loop needs of ``capture.decoder.Decoder`` (or the reference decoder)."""

    @property
    def skips(self) -> SkipCounter: ...

    def decode_frame(self, frame: bytes, ts: float, linktype: int) -> ConnectionEvent | None: ...

    def decode_gre(self, gre_packet: bytes, ts: float, mirror: str) -> ConnectionEvent | None: ...

    def decode_into(self, chunk: Sequence[Captured], make: SynFactory[int]) -> tuple[int, int]: ...


class EventSink(Protocol):
    """Where accepted events go: JSON lines or Kafka."""

    async def wait_for_room(self, stop: asyncio.Event) -> None:
        """Return when the sink can take another chunk, or on ``stop``; no reading meanwhile."""
        ...

    def accept(self, events: Sequence[ConnectionEvent]) -> None:
        """Take the events; from here on the sink is responsible for them."""
        ...

    async def close(self) -> None:
        """Deliver everything accepted."""
        ...

    def abandon(self) -> int:
        """Stop delivering; returns the accepted events that were not delivered."""
        ...


@runtime_checkable
class PackingSink(EventSink, Protocol):
    """A sink that takes each SYN's decoded fields from the decoder, with no event object.

    Kafka's sink packs them straight into wire records: building an event only to take it
    apart again cost as much as decoding the frame.
    """

    def packer(self) -> SynFactory[int]:
        """The decoder's event factory for one chunk (it returns 1 for a SYN-ACK, 0 for a SYN)."""
        ...

    def packed(self) -> None:
        """The chunk is decoded: what it accepted is the sink's from here on."""
        ...


@dataclass
class CaptureTotals:
    """What one capture saw: the numbers of the end-of-run summary."""

    packets: int = 0
    events: int = 0
    syn: int = 0
    syn_ack: int = 0
    kernel_drops: int = 0
    skips: dict[str, int] = field(default_factory=dict)


class CaptureLoop:
    """Moves packets from one source through one decoder into one sink."""

    def __init__(self, decoder: EventDecoder, sink: EventSink, metrics: CaptureMetrics) -> None:
        self._decoder = decoder
        self._sink = sink
        self._packing = sink if isinstance(sink, PackingSink) else None
        self._metrics = metrics
        self.totals = CaptureTotals()

    async def run(self, source: PacketSource, stop: asyncio.Event) -> CaptureTotals:
        """Read until the source ends or ``stop`` is set; the caller then closes the sink."""
        next_drop_poll = time.monotonic() + DROP_POLL_SECONDS
        async with contextlib.aclosing(source.chunks(stop)) as chunks:
            async for chunk in chunks:
                if chunk:
                    self._accept(chunk, source)
                if time.monotonic() >= next_drop_poll:
                    self._count_drops(source)
                    next_drop_poll = time.monotonic() + DROP_POLL_SECONDS
                await self._sink.wait_for_room(stop)
                await asyncio.sleep(0)  # let Kafka deliveries and timers run between chunks
        self._count_drops(source)
        self._metrics.sync_skips(self._skip_counts(source))
        self.totals.skips = {r: n for r, n in self._skip_counts(source).items() if n}
        return self.totals

    def _skip_counts(self, source: PacketSource) -> dict[str, int]:
        counts = dict(self._decoder.skips.counts)
        for reason, count in source.skip_counts().items():
            counts[reason] = counts.get(reason, 0) + count
        return counts

    def _accept(self, chunk: Sequence[Captured], source: PacketSource) -> None:
        if self._packing is not None:
            syn, syn_ack = self._decoder.decode_into(chunk, self._packing.packer())
            self._packing.packed()
        else:
            events = self._decode(chunk)
            self._sink.accept(events)
            syn_ack = countOf(map(_KIND, events), Kind.SYN_ACK)
            syn = len(events) - syn_ack
        totals = self.totals
        totals.packets += len(chunk)
        totals.events += syn + syn_ack
        totals.syn_ack += syn_ack
        totals.syn += syn
        self._metrics.packets.inc(len(chunk))
        self._metrics.count_events(syn, syn_ack)
        self._metrics.sync_skips(self._skip_counts(source))

    def _decode(self, chunk: Sequence[Captured]) -> list[ConnectionEvent]:
        """The chunk's events in order; a file's frames go through ``map``, a C loop."""
        decode_frame = self._decoder.decode_frame
        if type(chunk) is FrameBatch:
            decoded = map(decode_frame, chunk.frames, chunk.stamps, repeat(chunk.linktype))
            return list(filter(None, decoded))  # an event is always true, a skip is None
        decode_gre = self._decoder.decode_gre
        events: list[ConnectionEvent] = []
        for item in chunk:
            if isinstance(item, GrePayload):
                event = decode_gre(item.payload, item.ts, item.mirror)
            else:
                event = decode_frame(item.frame, item.ts, item.linktype)
            if event is not None:
                events.append(event)
        return events

    def _count_drops(self, source: PacketSource) -> None:
        dropped = source.kernel_drops()
        if dropped:
            self.totals.kernel_drops += dropped
            self._metrics.kernel_drops.inc(dropped)
