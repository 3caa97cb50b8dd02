"""The broker the suite starts is a real Kafka: produce and consume through aiokafka."""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic


async def test_produce_and_consume(kafka_bootstrap: str, topic_name: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic_name, num_partitions=3, replication_factor=1)])
    finally:
        await admin.close()

    producer = AIOKafkaProducer(
        bootstrap_servers=kafka_bootstrap, acks="all", enable_idempotence=True
    )
    await producer.start()
    try:
        for i in range(30):
            await producer.send_and_wait(
                topic_name, f"value-{i}".encode(), key=f"k{i % 5}".encode()
            )
    finally:
        await producer.stop()

    consumer = AIOKafkaConsumer(
        topic_name,
        bootstrap_servers=kafka_bootstrap,
        auto_offset_reset="earliest",
        group_id=f"{topic_name}-reader",
    )
    await consumer.start()
    seen: list[tuple[bytes, bytes, int]] = []
    try:
        while len(seen) < 30:
            batches = await consumer.getmany(timeout_ms=10_000)
            assert batches, "no records arrived within 10 s"
            for records in batches.values():
                seen.extend((r.key, r.value, r.partition) for r in records)
    finally:
        await consumer.stop()

    assert sorted(v for _, v, _ in seen) == sorted(f"value-{i}".encode() for i in range(30))
    partitions_by_key: dict[bytes, set[int]] = {}
    for key, _, partition in seen:
        partitions_by_key.setdefault(key, set()).add(partition)
    assert len(partitions_by_key) == 5
    assert all(len(p) == 1 for p in partitions_by_key.values()), partitions_by_key
