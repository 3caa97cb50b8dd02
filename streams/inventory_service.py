"""Keeps a worker's Inventory current: the configured file at start, then the compacted topic.

Every worker reads the whole inventory topic (no consumer group) so any worker can attribute
any event. Attribution waits for ``ready`` so that a starting worker never attributes events
against a half-read inventory.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiokafka import AIOKafkaConsumer, TopicPartition

from config.inventory_file import load_inventory_file
from config.kafka_security import kafka_client_options
from config.settings import Settings
from models.errors import MeeseeksError
from models.inventory import Inventory
from models.inventory_record import decode_record
from streams.inventory_topic import topic_partitions

logger = logging.getLogger(__name__)


class InventoryFeed:
    """Loads and follows the inventory for one worker."""

    def __init__(self, settings: Settings, inventory: Inventory) -> None:
        self.settings = settings
        self.inventory = inventory
        self.ready = asyncio.Event()
        self.skipped = 0

    def load_file(self) -> None:
        path = self.settings.inventory_file
        if path is None:
            return
        records = load_inventory_file(path)
        for record in records:
            self.inventory.apply(record)
        logger.info("loaded %d inventory entries from %s", len(records), path)

    async def follow(self) -> None:
        """Read the topic to its end, signal ``ready``, then apply updates as they come."""
        consumer = AIOKafkaConsumer(
            **kafka_client_options(self.settings),
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )
        await consumer.start()
        try:
            partitions = await self._assign(consumer)
            ends = await consumer.end_offsets(partitions) if partitions else {}
            if not any(ends.values()):
                self.ready.set()
            while True:
                batches = await consumer.getmany(timeout_ms=1000)
                for records in batches.values():
                    for message in records:
                        self._apply(message.key, message.value)
                if not self.ready.is_set() and await _caught_up(consumer, ends):
                    logger.info("inventory topic read: %d entries", len(self.inventory))
                    self.ready.set()
        finally:
            with contextlib.suppress(Exception):
                await consumer.stop()

    async def _assign(self, consumer: AIOKafkaConsumer) -> list[TopicPartition]:
        topic = self.settings.inventory_topic
        partitions = await topic_partitions(kafka_client_options(self.settings), topic)
        if not partitions:
            logger.info("inventory topic %s does not exist yet; using the file only", topic)
            consumer.subscribe([topic])
            return []
        assigned = [TopicPartition(topic, p) for p in partitions]
        consumer.assign(assigned)
        await consumer.seek_to_beginning(*assigned)
        return assigned

    def _apply(self, key: bytes | None, value: bytes | None) -> None:
        if key is None:
            self.skipped += 1
            return
        try:
            self.inventory.apply(decode_record(key, value))
        except MeeseeksError as exc:
            self.skipped += 1
            logger.warning("skipped an inventory record with key %r: %s", key[:80], exc)


async def _caught_up(consumer: AIOKafkaConsumer, ends: dict[TopicPartition, int]) -> bool:
    for partition, end in ends.items():
        if await consumer.position(partition) < end:
            return False
    return True
