"""Batches leave when full, when their delay runs out, and all of them on close."""

from __future__ import annotations

import asyncio

from prometheus_client import CollectorRegistry

from capture.kafka_publisher import KafkaPublisher, Producer
from capture.kafka_sink import KafkaSink
from capture.metrics import CaptureMetrics
from capture.shard_batcher import ShardBatcher
from models.connection_wire import decode_batch
from tests.unit.capture_publish.samples import make_event
from tests.unit.capture_publish.test_kafka_publisher import ScriptedProducer


def kafka_sink(max_events: int, max_delay: float) -> tuple[KafkaSink, ScriptedProducer]:
    producer = ScriptedProducer([], [])

    def new_producer() -> Producer:
        return producer

    publisher = KafkaPublisher(new_producer, "t", 1 << 20, CaptureMetrics(CollectorRegistry()))
    return KafkaSink(publisher, ShardBatcher(4, max_events, max_delay)), producer


async def test_a_quiet_shard_is_sent_after_the_delay() -> None:
    sink, producer = kafka_sink(max_events=100, max_delay=0.05)
    assert await sink.start(asyncio.Event())
    sink.accept([make_event(sport=1), make_event(sport=2)])
    await asyncio.sleep(0.02)
    assert producer.sent == []
    await asyncio.sleep(0.15)
    assert [len(decode_batch(value)) for _, value in producer.sent] == [2]
    await sink.close()


async def test_full_batches_go_at_once_and_close_sends_the_rest() -> None:
    sink, producer = kafka_sink(max_events=3, max_delay=60)
    assert await sink.start(asyncio.Event())
    sink.accept([make_event(sport=i) for i in range(7)])
    await asyncio.sleep(0.01)
    assert [len(decode_batch(value)) for _, value in producer.sent] == [3, 3]
    assert sink.unpublished_events == 1
    await sink.close()
    assert sum(len(decode_batch(value)) for _, value in producer.sent) == 7
    assert sink.publisher.published_events == 7
    assert producer.stopped


async def test_abandon_counts_pending_and_unacknowledged_events() -> None:
    sink, producer = kafka_sink(max_events=2, max_delay=60)
    assert await sink.start(asyncio.Event())
    producer.gate.clear()
    sink.accept([make_event(sport=i) for i in range(3)])  # one batch sent, one event pending
    await asyncio.sleep(0)
    assert sink.abandon() == 3
