"""Delivers batches to Kafka without losing any: bounded bytes in flight, retries with back-off.

The reading loop calls :meth:`KafkaPublisher.wait_for_room` before each chunk, so a slow or
absent broker slows reading instead of growing memory: a file waits, a live socket stops
being read and the kernel drops (and counts) what it cannot hold. A message stays in memory
until the broker acknowledges it; a failed send is tried again, on a fresh producer when the
old one's idempotence state cannot recover. Delivery is therefore at least once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any, Protocol

from aiokafka import errors as kafka_errors

from capture.errors import CaptureError
from capture.metrics import CaptureMetrics
from capture.shard_batcher import Batch

logger = logging.getLogger(__name__)

# Retrying cannot fix these: the operator has to change the topic, its ACLs or the settings.
_FATAL = (
    kafka_errors.TopicAuthorizationFailedError,
    kafka_errors.ClusterAuthorizationFailedError,
    kafka_errors.AuthenticationFailedError,
    kafka_errors.SaslAuthenticationFailed,
    kafka_errors.InvalidTopicError,
    kafka_errors.MessageSizeTooLargeError,
    kafka_errors.RecordTooLargeError,
    kafka_errors.RecordListTooLargeError,
    kafka_errors.UnsupportedVersionError,
    kafka_errors.UnsupportedCodecError,
    kafka_errors.UnsupportedForMessageFormatError,
    kafka_errors.KafkaConfigurationError,
)
# The producer's idempotence sequence is broken; a new producer (new producer id) fixes it.
_NEEDS_NEW_PRODUCER = (
    kafka_errors.OutOfOrderSequenceNumber,
    kafka_errors.UnknownProducerId,
    kafka_errors.InvalidProducerEpoch,
    kafka_errors.ProducerFenced,
    kafka_errors.ProducerClosed,
)
_RETRIABLE = (kafka_errors.KafkaError, OSError, asyncio.TimeoutError)


class PublishError(CaptureError):
    """Kafka refused a message for a reason that retrying cannot fix."""


class Producer(Protocol):
    """The part of ``AIOKafkaProducer`` the publisher uses."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def send(self, topic: str, value: bytes, key: bytes) -> asyncio.Future[Any]: ...


class KafkaPublisher:
    """Sends encoded batches and keeps each until the broker acknowledges it."""

    def __init__(
        self,
        new_producer: Callable[[], Producer],
        topic: str,
        max_inflight_bytes: int,
        metrics: CaptureMetrics,
        *,
        max_backoff: float = 30.0,
        first_backoff: float = 0.5,
    ) -> None:
        self._new_producer = new_producer
        self._producer: Producer | None = None
        self._topic = topic
        self._max_inflight = max_inflight_bytes
        self._metrics = metrics
        self._max_backoff = max_backoff
        self._first_backoff = first_backoff
        self._inflight_bytes = 0
        self._room = asyncio.Event()
        self._room.set()
        self._deliveries: set[asyncio.Task[None]] = set()
        self._failure: PublishError | None = None
        self._replacing = asyncio.Lock()
        self.published_events = 0
        self.published_messages = 0
        self.unacknowledged_events = 0

    async def start(self, stop: asyncio.Event) -> bool:
        """Connect, retrying until the broker answers; False when ``stop`` came first."""
        backoff = self._first_backoff
        while not stop.is_set():
            producer = self._new_producer()
            try:
                await producer.start()
            except _FATAL as exc:
                await _quietly_stop(producer)
                raise PublishError(f"Kafka refused the producer: {exc}") from exc
            except _RETRIABLE as exc:
                await _quietly_stop(producer)
                logger.warning("Kafka unavailable, retrying in %.1fs: %s", backoff, exc)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), backoff)
                backoff = min(backoff * 2, self._max_backoff)
                continue
            self._producer = producer
            return True
        return False

    async def wait_for_room(self, stop: asyncio.Event | None = None) -> None:
        """Return once the unacknowledged bytes are under the bound, or ``stop`` is set.

        Raises when Kafka refused a message for good.
        """
        while True:
            self.raise_failure()
            if self._inflight_bytes < self._max_inflight or (stop is not None and stop.is_set()):
                return
            if stop is None:
                await self._room.wait()
            else:
                await _first_of(self._room.wait(), stop.wait())

    def raise_failure(self) -> None:
        if self._failure is not None:
            raise self._failure

    def submit(self, batch: Batch) -> None:
        """Hand a batch over; from here on the publisher owns it until it is acknowledged."""
        value = batch.value
        self._inflight_bytes += len(value)
        self.unacknowledged_events += batch.count
        if self._inflight_bytes >= self._max_inflight:
            self._room.clear()
        task = asyncio.get_running_loop().create_task(self._deliver(batch, value))
        self._deliveries.add(task)
        task.add_done_callback(self._deliveries.discard)

    async def flush(self) -> None:
        """Wait until every submitted batch is acknowledged (or Kafka refused one)."""
        while self._deliveries:
            await asyncio.gather(*self._deliveries)
        self.raise_failure()

    def abandon(self) -> int:
        """Give up on unacknowledged batches (a second interrupt); returns the events lost."""
        for task in self._deliveries:
            task.cancel()
        return self.unacknowledged_events

    async def close(self) -> None:
        if self._producer is not None:
            await _quietly_stop(self._producer)
            self._producer = None

    async def _deliver(self, batch: Batch, value: bytes) -> None:
        loop = asyncio.get_running_loop()
        backoff = self._first_backoff
        try:
            while self._failure is None:
                producer = self._producer
                started = loop.time()
                try:
                    if producer is None:
                        raise kafka_errors.ProducerClosed()
                    acknowledged = await producer.send(self._topic, value, key=batch.key)
                    await acknowledged
                except _FATAL as exc:
                    self._failure = PublishError(
                        f"Kafka refused a message for topic {self._topic}: {exc}; fix the topic, "
                        "its ACLs or the capture_* batch settings, then restart"
                    )
                    self._failure.__cause__ = exc
                    break
                except _RETRIABLE as exc:
                    self._metrics.send_retries.inc()
                    logger.warning("Kafka unavailable, retrying in %.1fs: %s", backoff, exc)
                    if isinstance(exc, _NEEDS_NEW_PRODUCER):
                        await self._replace_producer(producer)
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, self._max_backoff)
                    continue
                self._acknowledged(batch, loop.time() - started)
                break
        finally:
            self._inflight_bytes -= len(value)
            if self._inflight_bytes < self._max_inflight or self._failure is not None:
                self._room.set()

    def _acknowledged(self, batch: Batch, latency: float) -> None:
        count = batch.count
        self.published_events += count
        self.published_messages += 1
        self.unacknowledged_events -= count
        self._metrics.kafka_messages.inc()
        self._metrics.published_events.inc(count)
        self._metrics.batch_events.observe(count)
        self._metrics.produce_latency.observe(latency)

    async def _replace_producer(self, broken: Producer | None) -> None:
        async with self._replacing:
            if self._producer is not broken:
                return  # another delivery already replaced it
            if broken is not None:
                await _quietly_stop(broken)
            self._producer = None
            producer = self._new_producer()
            try:
                await producer.start()
            except _RETRIABLE as exc:
                await _quietly_stop(producer)
                logger.warning("Kafka unavailable, new producer did not start: %s", exc)
                return
            self._producer = producer
            logger.info("replaced the Kafka producer after an idempotence error")


async def _first_of(*waits: Coroutine[Any, Any, Any]) -> None:
    tasks = [asyncio.ensure_future(wait) for wait in waits]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()


async def _quietly_stop(producer: Producer) -> None:
    try:
        await producer.stop()
    except _RETRIABLE as exc:
        logger.debug("ignoring an error while stopping a producer: %s", exc)
