"""Many records for one partition sent as a few Kafka record batches.

Faust sends every record through its own buffer entry, future and callbacks: tens of
microseconds each, which for the edge table's changelog and the graph changes cost more than
the work that produced the records. aiokafka can take a whole batch at once
(``create_batch``/``send_batch``). The records are the same, one per key, so readers see no
difference, and the producer's ``flush`` (which the worker's consumer awaits before it
commits offsets) waits for these batches like for any other send.

Only for at-least-once processing on the aiokafka driver: under exactly-once, Faust routes
sends through transactional producers, so callers keep Faust's own path there
(``BatchProducer.for_app`` returns None).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import faust
from faust.types.enums import ProcessingGuarantee

from models.errors import MeeseeksError

logger = logging.getLogger(__name__)

Record = tuple[bytes | None, bytes]
"""Key and value, already serialized."""


@dataclass(frozen=True, slots=True)
class Sent:
    """One queued batch."""

    future: asyncio.Future[Any]
    """Resolves to the batch's ``RecordMetadata`` (offset of its first record) once delivered."""
    records: int
    """Records in the batch."""


class RecordTooLargeError(MeeseeksError):
    """One record does not fit an empty batch (the producer's max_batch_size)."""


class BatchProducer:
    """Packs records into the producer's record batches, one partition at a time."""

    def __init__(self, producer: Callable[[], Any]) -> None:
        self._producer = producer
        """Returns the started ``AIOKafkaProducer``; looked up on each send, since Faust
        creates it when the app starts, after the topology is registered."""

    @classmethod
    def for_app(cls, app: faust.App) -> BatchProducer | None:
        """The batch producer of ``app``, or None where Faust's own sends must be used."""
        guarantee: object = app.conf.processing_guarantee
        if guarantee is not ProcessingGuarantee.AT_LEAST_ONCE:
            return None
        producer = app.producer
        ensure = getattr(producer, "_ensure_producer", None)
        if ensure is None or not callable(ensure):
            logger.info("producer %s takes no record batches; sending one by one", producer)
            return None
        return cls(ensure)

    async def partition_count(self, topic: str) -> int:
        """Partitions of ``topic`` from the producer's metadata (fetched when missing)."""
        return len(await self._producer().partitions_for(topic))

    async def send(self, topic: str, partition: int, records: Sequence[Record]) -> list[Sent]:
        """Queue ``records`` for ``topic``/``partition`` in order, in as few batches as fit."""
        producer = self._producer()
        futures: list[Sent] = []
        batch, count = producer.create_batch(), 0
        for key, value in records:
            if batch.append(key=key, value=value, timestamp=None) is None:
                if count:
                    futures.append(await self._submit(producer, batch, count, topic, partition))
                    batch, count = producer.create_batch(), 0
                if batch.append(key=key, value=value, timestamp=None) is None:
                    raise RecordTooLargeError(
                        f"a record of {len(value)} bytes for {topic} does not fit a batch; "
                        "raise the producer's max_batch_size"
                    )
            count += 1
        if count:
            futures.append(await self._submit(producer, batch, count, topic, partition))
        return futures

    @staticmethod
    async def _submit(producer: Any, batch: Any, count: int, topic: str, partition: int) -> Sent:
        batch.close()  # nothing else may join it (aiokafka would add single sends otherwise)
        future: asyncio.Future[Any] = await producer.send_batch(batch, topic, partition=partition)
        logger.debug("queued %d records for %s/%d", count, topic, partition)
        return Sent(future, count)
