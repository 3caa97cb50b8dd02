"""Publishing to Kafka: shard batches out of accepted events, sent when full or when due.

Glue between the pure :class:`ShardBatcher` and the :class:`KafkaPublisher`: a timer task
sends batches whose delay ran out, so a trickle of events still reaches Kafka within
``capture_batch_delay_ms``; closing sends everything still pending and waits for the acks.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence

from capture.fast_event import SynFactory
from capture.kafka_publisher import KafkaPublisher
from capture.shard_batcher import ShardBatcher
from models.connection import ConnectionEvent

logger = logging.getLogger(__name__)


class KafkaSink:
    """Accepts events; owns them from then on until Kafka acknowledges them."""

    def __init__(
        self,
        publisher: KafkaPublisher,
        batcher: ShardBatcher,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.publisher = publisher
        self._batcher = batcher
        self._clock = clock
        self._timer: asyncio.Task[None] | None = None

    async def start(self, stop: asyncio.Event) -> bool:
        """Connect to Kafka (retrying); False when ``stop`` came first."""
        if not await self.publisher.start(stop):
            return False
        self._timer = asyncio.get_running_loop().create_task(self._send_due_batches())
        return True

    async def wait_for_room(self, stop: asyncio.Event) -> None:
        await self.publisher.wait_for_room(stop)

    def accept(self, events: Sequence[ConnectionEvent]) -> None:
        for full in self._batcher.add_all(events, self._clock()):
            self.publisher.submit(full)

    def packer(self) -> SynFactory[int]:
        """For the decoder: each SYN's fields go straight into a shard batch's record."""
        return self._batcher.packer(self._clock())

    def packed(self) -> None:
        for full in self._batcher.take_full():
            self.publisher.submit(full)

    @property
    def unpublished_events(self) -> int:
        """Accepted events without a broker acknowledgement yet."""
        return self._batcher.pending_events + self.publisher.unacknowledged_events

    async def close(self) -> None:
        """Send what is pending and wait until Kafka acknowledged all of it."""
        if self._timer is not None:
            self._timer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._timer
        try:
            for batch in self._batcher.drain():
                self.publisher.submit(batch)
            await self.publisher.flush()
        finally:
            await self.publisher.close()
        logger.info(
            "published %d events in %d Kafka messages",
            self.publisher.published_events,
            self.publisher.published_messages,
        )

    def abandon(self) -> int:
        """Stop waiting for Kafka; returns how many accepted events were not published."""
        lost = self.unpublished_events
        self.publisher.abandon()
        return lost

    async def _send_due_batches(self) -> None:
        while True:
            deadline = self._batcher.next_deadline()
            now = self._clock()
            wait = self._batcher.max_delay if deadline is None else deadline - now
            if wait > 0:
                await asyncio.sleep(wait)
            for batch in self._batcher.due(self._clock()):
                self.publisher.submit(batch)
