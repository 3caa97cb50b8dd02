"""The compacted inventory topic on Kafka: create it, read its current state, write records.

Compaction keeps the last record per key, so the topic itself is the live inventory: a worker
that reads it from the beginning ends up with every entry, and a tombstone removes one.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping, Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import KafkaError
from aiokafka.structs import ConsumerRecord

from models.errors import InventoryError
from models.inventory_record import EntryKey, InventoryRecord, decode_record, encode_record

logger = logging.getLogger(__name__)

TOPIC_ALREADY_EXISTS = 36
COMPACTED = {"cleanup.policy": "compact"}


async def ensure_compacted_topic(
    kafka: Mapping[str, Any], topic: str, *, partitions: int, replication_factor: int
) -> bool:
    """Create ``topic`` compacted when it is missing; True if this call created it."""
    admin = AIOKafkaAdminClient(**kafka)
    try:
        await admin.start()
        if topic in await admin.list_topics():
            await _warn_unless_compacted(admin, topic)
            return False
        new = NewTopic(topic, partitions, replication_factor, topic_configs=COMPACTED)
        response = await admin.create_topics([new])
    except KafkaError as exc:
        raise InventoryError(
            f"cannot create the inventory topic {topic!r} on {_where(kafka)} ({exc!r}); "
            "check MEESEEKS_KAFKA_BOOTSTRAP and that the broker runs"
        ) from exc
    finally:
        await admin.close()
    for name, code, *rest in response.topic_errors:
        if code not in (0, TOPIC_ALREADY_EXISTS):
            raise InventoryError(
                f"the broker refused to create the inventory topic {name!r}: error {code} "
                f"{rest[0] if rest else ''}; create it by hand with cleanup.policy=compact"
            )
    logger.info("created the compacted inventory topic %s (%d partitions)", topic, partitions)
    return True


async def _warn_unless_compacted(admin: AIOKafkaAdminClient, topic: str) -> None:
    resource = ConfigResource(ConfigResourceType.TOPIC, topic, {"cleanup.policy": None})
    for response in await admin.describe_configs([resource]):
        for resource_result in response.to_object()["resources"]:
            for entry in resource_result["config_entries"]:
                if entry["config_names"] == "cleanup.policy" and "compact" not in str(
                    entry["config_value"]
                ):
                    logger.warning(
                        "inventory topic %s has cleanup.policy=%s: old entries will be lost; "
                        "set it to compact (kafka-configs.sh --alter --add-config "
                        "cleanup.policy=compact)",
                        topic,
                        entry["config_value"],
                    )


async def read_inventory_topic(
    kafka: Mapping[str, Any], topic: str, *, timeout: float = 60.0
) -> dict[EntryKey, InventoryRecord]:
    """The live entries of the topic: every record read up to the current end, last one wins."""
    live: dict[EntryKey, InventoryRecord] = {}
    partitions = [TopicPartition(topic, n) for n in await topic_partitions(kafka, topic)]
    if not partitions:
        return live
    consumer = AIOKafkaConsumer(
        **kafka,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    try:
        await consumer.start()
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        deadline = time.monotonic() + timeout
        pending = {tp for tp in partitions if ends[tp] > 0}
        while pending:
            if time.monotonic() > deadline:
                raise InventoryError(
                    f"could not read the inventory topic {topic!r} to its end within {timeout:g} s"
                )
            batches = await consumer.getmany(*pending, timeout_ms=1000)
            for records in batches.values():
                for message in records:
                    _apply(live, message)
            for tp in list(pending):
                if await consumer.position(tp) >= ends[tp]:
                    pending.discard(tp)
    except KafkaError as exc:
        raise InventoryError(
            f"cannot read the inventory topic {topic!r} from {_where(kafka)} ({exc!r})"
        ) from exc
    finally:
        await consumer.stop()
    return live


async def topic_partitions(kafka: Mapping[str, Any], topic: str) -> list[int]:
    """The partition numbers of ``topic``; none when it does not exist."""
    admin = AIOKafkaAdminClient(**kafka)
    try:
        await admin.start()
        # Describing a missing topic would let a broker auto-create it, uncompacted: look first.
        if topic not in await admin.list_topics():
            return []
        (description,) = await admin.describe_topics([topic])
    except KafkaError as exc:
        raise InventoryError(
            f"cannot describe the inventory topic {topic!r} on {_where(kafka)} ({exc!r})"
        ) from exc
    finally:
        await admin.close()
    if description["error_code"] != 0:
        raise InventoryError(
            f"the broker cannot describe the inventory topic {topic!r}: error "
            f"{description['error_code']}"
        )
    return sorted(p["partition"] for p in description["partitions"])


def _apply(live: dict[EntryKey, InventoryRecord], message: ConsumerRecord[bytes, bytes]) -> None:
    where = f"{message.topic}[{message.partition}]@{message.offset}"
    key, value = message.key, message.value
    if key is None:
        raise InventoryError(f"{where}: an inventory record without a key")
    try:
        record = decode_record(key, value)
    except InventoryError as exc:
        raise InventoryError(f"{where}: {exc}") from exc
    if record.intervals is None:
        live.pop(record.key, None)
    else:
        live[record.key] = record


async def publish_records(
    kafka: Mapping[str, Any], topic: str, records: Sequence[InventoryRecord]
) -> int:
    """Write the records (acks=all, idempotent) and wait until the broker has them all."""
    producer = AIOKafkaProducer(**kafka, acks="all", enable_idempotence=True)
    try:
        await producer.start()
        sends = []
        for record in records:
            key, value = encode_record(record)
            sends.append(await producer.send(topic, value=value, key=key))
        await asyncio.gather(*sends)
    except KafkaError as exc:
        raise InventoryError(
            f"publishing to the inventory topic {topic!r} on {_where(kafka)} failed ({exc!r}); "
            "publishing again is safe: each record replaces the one of its key"
        ) from exc
    finally:
        await producer.stop()
    return len(records)


def _where(kafka: Mapping[str, Any]) -> str:
    return str(kafka.get("bootstrap_servers", "the brokers"))
