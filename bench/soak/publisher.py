"""The soak's processor stand-in: connection events at a fixed rate, sent as ``meeseeks
capture`` sends them (``ShardBatcher``: 64 shards of the server address, 512 events or
200 ms per message, the shard as the key, the capture's compression, acks=all).

Event time advances with the wall clock: each tick's connections are spread over the
wall-clock time since the previous tick, so windows close and edges go stale as they would in
production.
Every acknowledged message is recorded in the ``OffsetLedger``, which turns the worker's
offset lag into events.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass

from aiokafka import AIOKafkaProducer
from aiokafka.structs import RecordMetadata

from bench.soak.ledger import OffsetLedger
from bench.soak.pacing import Pacer
from bench.soak.traffic import SteadyTraffic
from bench.stream.workload import BATCH_EVENTS, SHARDS
from capture.kafka_producer import compression_type
from capture.shard_batcher import Batch, ShardBatcher

log = logging.getLogger(__name__)

TICK_SECONDS = 0.05
BATCH_DELAY_SECONDS = 0.2
"""The capture's default MEESEEKS_CAPTURE_BATCH_DELAY_MS."""
MAX_IN_FLIGHT = 2000


@dataclass
class PublisherCounts:
    scheduled_events: int = 0
    acked_events: int = 0
    acked_messages: int = 0
    failed_events: int = 0
    given_up_events: int = 0
    """Events the pacer dropped because the publisher fell over a second behind."""


class Publisher:
    """One aiokafka producer onto the events topic, recording what the broker acknowledged."""

    def __init__(self, bootstrap: str, topic: str, ledger: OffsetLedger) -> None:
        self.topic = topic
        self.ledger = ledger
        self.counts = PublisherCounts()
        self._bootstrap = bootstrap
        self._producer: AIOKafkaProducer | None = None
        self._pending: set[asyncio.Future[RecordMetadata]] = set()

    async def start(self) -> None:
        """Made here, not in __init__: aiokafka clients need the running event loop."""
        self._producer = AIOKafkaProducer(
            bootstrap_servers=self._bootstrap,
            acks="all",
            compression_type=compression_type("auto"),
            linger_ms=5,
        )
        await self._producer.start()

    @property
    def producer(self) -> AIOKafkaProducer:
        if self._producer is None:
            raise RuntimeError("the publisher is not started")
        return self._producer

    async def stop(self) -> None:
        await self.flush()
        await self.producer.stop()

    async def flush(self) -> None:
        if self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)

    async def send(self, batches: Iterable[Batch]) -> None:
        for batch in batches:
            future = await self.producer.send(self.topic, value=batch.value, key=batch.key)
            self._pending.add(future)
            future.add_done_callback(lambda done, n=batch.count: self._acked(done, n))
            if len(self._pending) >= MAX_IN_FLIGHT:
                await self.flush()

    def _acked(self, future: asyncio.Future[RecordMetadata], events: int) -> None:
        self._pending.discard(future)
        if future.cancelled() or future.exception() is not None:
            self.counts.failed_events += events
            log.warning("a message of %d events was not acknowledged: %r", events, future)
            return
        meta = future.result()
        self.ledger.record(meta.partition, meta.offset, events)
        self.counts.acked_events += events
        self.counts.acked_messages += 1

    async def preload(self, batches: Iterable[Batch]) -> None:
        """Send ``batches`` as fast as the broker takes them and wait for every acknowledgement."""
        await self.send(batches)
        await self.flush()

    async def steady(
        self,
        traffic: SteadyTraffic,
        rate: float,
        until: float,
        batch_delay: float = BATCH_DELAY_SECONDS,
        event_start: float | None = None,
    ) -> None:
        """Publish ``rate`` events per second until ``time.monotonic()`` reaches ``until``.

        Event time runs at wall-clock pace from ``event_start`` (default: now).
        """
        batcher = ShardBatcher(SHARDS, BATCH_EVENTS, batch_delay)
        start = time.monotonic()
        pacer = Pacer(rate, start)
        to_event_time = (time.time() if event_start is None else event_start) - start
        previous = start + to_event_time
        while (now := time.monotonic()) < until:
            event_now = now + to_event_time
            due = pacer.due(now)
            ready: list[Batch] = []
            if due:
                events = traffic.events(due, previous, event_now)
                pacer.record(len(events))
                self.counts.scheduled_events += len(events)
                ready.extend(batcher.add_all(events, now))
            ready.extend(batcher.due(now))
            await self.send(ready)
            self.counts.given_up_events = pacer.given_up
            previous = event_now
            await asyncio.sleep(TICK_SECONDS)
        await self.send(batcher.drain())
        await self.flush()
