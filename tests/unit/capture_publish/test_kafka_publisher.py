"""The publisher against a scripted producer: back-pressure, retries, fatal errors, restarts."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from aiokafka import errors as kafka_errors
from prometheus_client import CollectorRegistry

from capture.kafka_publisher import KafkaPublisher, Producer, PublishError
from capture.metrics import CaptureMetrics
from capture.shard_batcher import Batch
from models.connection_wire import decode_batch
from tests.unit.capture_publish.samples import make_event


class ScriptedProducer:
    """Fails sends with the scripted errors first; holds acks while ``gate`` is closed."""

    def __init__(self, failures: list[Exception], start_failures: list[Exception]) -> None:
        self.failures = failures
        self.start_failures = start_failures
        self.sent: list[tuple[bytes, bytes]] = []
        self.gate = asyncio.Event()
        self.gate.set()
        self.stopped = False

    async def start(self) -> None:
        if self.start_failures:
            raise self.start_failures.pop(0)

    async def stop(self) -> None:
        self.stopped = True

    async def send(self, topic: str, value: bytes, key: bytes) -> asyncio.Future[Any]:
        if self.failures:
            raise self.failures.pop(0)
        acknowledged: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

        async def ack() -> None:
            await self.gate.wait()
            self.sent.append((key, value))
            acknowledged.set_result(None)

        asyncio.get_running_loop().create_task(ack())
        return acknowledged


class Harness:
    def __init__(
        self,
        failures: list[Exception] | None = None,
        start_failures: list[Exception] | None = None,
        max_inflight: int = 1 << 20,
    ) -> None:
        self.producers: list[ScriptedProducer] = []
        self.failures = failures or []
        self.start_failures = start_failures or []
        self.metrics = CaptureMetrics(CollectorRegistry())
        self.publisher = KafkaPublisher(
            self.new_producer,
            "topic",
            max_inflight,
            self.metrics,
            max_backoff=0.02,
            first_backoff=0.01,
        )

    def new_producer(self) -> Producer:
        producer = ScriptedProducer(self.failures, self.start_failures)
        self.producers.append(producer)
        return producer

    def metric(self, name: str) -> float:
        value = self.metrics.registry.get_sample_value(name)
        assert value is not None
        return value


def batch(events: int, shard: int = 3) -> Batch:
    return Batch(shard, tuple(make_event(sport=i) for i in range(events)))


async def test_publishes_and_counts() -> None:
    harness = Harness()
    publisher = harness.publisher
    assert await publisher.start(asyncio.Event())
    publisher.submit(batch(5))
    publisher.submit(batch(2, shard=4))
    await publisher.flush()
    (producer,) = harness.producers
    assert [key for key, _ in producer.sent] == [b"3", b"4"]
    assert decode_batch(producer.sent[0][1]) == list(batch(5).events)
    assert (publisher.published_events, publisher.published_messages) == (7, 2)
    assert publisher.unacknowledged_events == 0
    assert harness.metric("meeseeks_capture_published_events_total") == 7
    assert harness.metric("meeseeks_capture_kafka_messages_total") == 2
    assert harness.metric("meeseeks_capture_kafka_batch_events_count") == 2
    assert harness.metric("meeseeks_capture_kafka_produce_latency_seconds_count") == 2
    await publisher.close()
    assert producer.stopped


async def test_reading_waits_while_too_many_bytes_are_unacknowledged() -> None:
    ten = batch(10)
    harness = Harness(max_inflight=len(ten.value))
    publisher = harness.publisher
    await publisher.start(asyncio.Event())
    harness.producers[0].gate.clear()
    publisher.submit(ten)
    waiting = asyncio.get_running_loop().create_task(publisher.wait_for_room())
    await asyncio.sleep(0.05)
    assert not waiting.done()
    harness.producers[0].gate.set()
    await asyncio.wait_for(waiting, 1)
    await publisher.flush()
    assert publisher.published_events == 10


async def test_a_stop_request_ends_the_wait_for_room() -> None:
    one = batch(1)
    harness = Harness(max_inflight=len(one.value))
    await harness.publisher.start(asyncio.Event())
    harness.producers[0].gate.clear()
    harness.publisher.submit(one)
    stop = asyncio.Event()
    waiting = asyncio.get_running_loop().create_task(harness.publisher.wait_for_room(stop))
    await asyncio.sleep(0.02)
    assert not waiting.done()
    stop.set()
    await asyncio.wait_for(waiting, 1)


async def test_failed_sends_are_retried_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    failures: list[Exception] = [
        kafka_errors.KafkaConnectionError("broker down"),
        kafka_errors.KafkaTimeoutError(),
    ]
    harness = Harness(failures=failures)
    await harness.publisher.start(asyncio.Event())
    with caplog.at_level(logging.WARNING, logger="capture.kafka_publisher"):
        harness.publisher.submit(batch(4))
        await asyncio.wait_for(harness.publisher.flush(), 2)
    assert harness.publisher.published_events == 4
    assert harness.metric("meeseeks_capture_kafka_send_retries_total") == 2
    assert sum("Kafka unavailable, retrying in" in r.getMessage() for r in caplog.records) == 2


async def test_idempotence_error_gets_a_new_producer() -> None:
    harness = Harness(failures=[kafka_errors.OutOfOrderSequenceNumber()])
    await harness.publisher.start(asyncio.Event())
    harness.publisher.submit(batch(1))
    await asyncio.wait_for(harness.publisher.flush(), 2)
    assert len(harness.producers) == 2
    assert harness.producers[0].stopped
    assert len(harness.producers[1].sent) == 1


async def test_unfixable_error_stops_the_capture() -> None:
    harness = Harness(failures=[kafka_errors.TopicAuthorizationFailedError()])
    await harness.publisher.start(asyncio.Event())
    harness.publisher.submit(batch(1))
    with pytest.raises(PublishError, match="fix the topic"):
        await asyncio.wait_for(harness.publisher.flush(), 2)
    with pytest.raises(PublishError):
        await harness.publisher.wait_for_room()


async def test_start_retries_until_the_broker_answers(caplog: pytest.LogCaptureFixture) -> None:
    harness = Harness(start_failures=[kafka_errors.KafkaConnectionError("no broker")] * 2)
    with caplog.at_level(logging.WARNING):
        assert await asyncio.wait_for(harness.publisher.start(asyncio.Event()), 2)
    assert len(harness.producers) == 3
    assert harness.producers[0].stopped
    assert harness.producers[1].stopped
    assert "Kafka unavailable" in caplog.text


async def test_start_gives_up_when_stopped() -> None:
    harness = Harness(start_failures=[kafka_errors.KafkaConnectionError("no broker")] * 1000)
    stop = asyncio.Event()
    asyncio.get_running_loop().call_later(0.05, stop.set)
    assert not await asyncio.wait_for(harness.publisher.start(stop), 2)


async def test_abandon_reports_unacknowledged_events() -> None:
    harness = Harness()
    await harness.publisher.start(asyncio.Event())
    harness.producers[0].gate.clear()
    harness.publisher.submit(batch(6))
    await asyncio.sleep(0)
    assert harness.publisher.abandon() == 6
