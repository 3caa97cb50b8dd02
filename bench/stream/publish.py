"""Pre-loading the input topics before a worker starts, so the clock sees only the worker."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable

from aiokafka import AIOKafkaProducer

from bench.stream.workload import Message
from capture.kafka_producer import compression_type
from capture.shard_batcher import server_address
from models.connection import ConnectionEvent
from models.connection_wire import encode_batch

IN_FLIGHT = 2000


async def _send_all(bootstrap: str, topic: str, records: Iterable[tuple[bytes, bytes]]) -> int:
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        compression_type=compression_type("auto"),
        linger_ms=5,
        max_request_size=8 * 1024 * 1024,
    )
    await producer.start()
    sent = 0
    try:
        pending: list[asyncio.Future[object]] = []
        for key, value in records:
            pending.append(await producer.send(topic, value=value, key=key))
            sent += 1
            if len(pending) >= IN_FLIGHT:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    return sent


def publish_batches(bootstrap: str, topic: str, messages: Iterable[Message]) -> int:
    """Meeseeks' wire format: one binary batch per message, keyed by capture shard."""
    records = ((m.key, encode_batch(m.events)) for m in messages)
    return asyncio.run(_send_all(bootstrap, topic, records))


def naive_record(event: ConnectionEvent) -> tuple[bytes, bytes]:
    """The naive pipeline's message: one JSON event, keyed by the server address."""
    value = json.dumps(event.to_json(), separators=(",", ":")).encode()
    return server_address(event).encode(), value


def publish_per_event(bootstrap: str, topic: str, events: Iterable[ConnectionEvent]) -> int:
    """The naive format: one Kafka message per event."""
    return asyncio.run(_send_all(bootstrap, topic, (naive_record(e) for e in events)))
