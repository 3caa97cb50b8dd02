"""Puts a graph-change stream on a fresh topic, keyed as the stream workers key it."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from aiokafka import AIOKafkaProducer

from bench.decode.broker import create_topic
from models.graph_change import GraphChange
from streams.records import encode_change

Message = tuple[bytes, bytes | None]
"""Key and value of one message."""


def change_messages(changes: Sequence[GraphChange]) -> list[Message]:
    """Each change keyed by its entity key (so one entity's changes stay in order)."""
    return [(change.key.encode(), encode_change(change)) for change in changes]


async def publish(bootstrap: str, topic: str, messages: Sequence[Message], partitions: int) -> None:
    """Create ``topic`` with ``partitions`` and write ``messages`` in order, acknowledged by all."""
    await asyncio.to_thread(create_topic, bootstrap, topic, partitions)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    await producer.start()
    try:
        pending = [await producer.send(topic, key=key, value=value) for key, value in messages]
        for future in pending:
            await future
    finally:
        await producer.stop()
