"""Keeps a worker's GraphView current from the graph-changes and anomalies topics.

Every worker reads both topics whole, from the beginning and without a consumer group, so any
worker can answer a query about the whole graph. Subscribing without a group gives exactly
that (every partition, the earliest offset, and partitions added later); the feed waits for
the topics first, since the worker creates them while this task starts. A message that
cannot be read is counted, logged and skipped: one bad record must not stop the view.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from config.settings import Settings
from models.anomaly_event import AnomalyEvent
from models.errors import MeeseeksError
from models.graph_change import GraphChange
from models.graph_view import GraphView

logger = logging.getLogger(__name__)

METADATA_REFRESH_MS = 10_000
"""How often the consumer looks for the topics (and new partitions) while following them."""
TOPIC_POLL_SECONDS = 2.0
"""How often a starting feed looks for topics that do not exist yet."""
MAX_RECORDS = 2000
"""Messages applied per poll, so queries get the event loop between two polls."""


class GraphFeed:
    """Follows the two topics into ``view`` and counts what it applied and skipped."""

    def __init__(self, settings: Settings, view: GraphView | None = None) -> None:
        self.settings = settings
        self.view = view if view is not None else GraphView()
        self.ready = asyncio.Event()
        """Set once both topics have been read up to their ends as they were at the start."""
        self.applied = 0
        self.skipped = 0

    def status(self) -> dict[str, Any]:
        """How current the view is, for the head of every query answer."""
        return {"ready": self.ready.is_set(), "applied": self.applied, "skipped": self.skipped}

    def handle(self, topic: str, value: bytes | None, where: str) -> bool:
        """Apply one message of either topic; False (counted, logged) when it cannot be read."""
        try:
            if value is None:
                raise MeeseeksError("a message without a value (a tombstone)")
            data = json.loads(value)
            if topic == self.settings.graph_changes_topic:
                self.view.apply(GraphChange.from_dict(data))
            elif topic == self.settings.anomalies_topic:
                self.view.apply_anomaly(AnomalyEvent.from_dict(data))
            else:
                raise MeeseeksError(f"a message of topic {topic!r}, which this feed does not read")
        except (MeeseeksError, ValueError, TypeError, KeyError) as exc:
            self.skipped += 1
            logger.warning("skipped %s: %s", where, exc)
            return False
        self.applied += 1
        return True

    async def follow(self) -> None:
        """Read both topics from the beginning, set ``ready`` once caught up, then keep up."""
        topics = (self.settings.graph_changes_topic, self.settings.anomalies_topic)
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.settings.kafka_bootstrap,
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            metadata_max_age_ms=METADATA_REFRESH_MS,
        )
        await consumer.start()
        try:
            await _wait_for_topics(consumer, topics)
            consumer.subscribe(list(topics))
            ends: dict[TopicPartition, int] | None = None
            while True:
                batches = await consumer.getmany(timeout_ms=1000, max_records=MAX_RECORDS)
                for partition, records in batches.items():
                    for message in records:
                        where = f"{partition.topic}/{partition.partition}@{message.offset}"
                        self.handle(partition.topic, message.value, where)
                if self.ready.is_set():
                    continue
                if ends is None:
                    ends = await _start_ends(consumer, topics)
                if ends is not None and await _caught_up(consumer, ends):
                    logger.info("graph view caught up: %s", self.view.summary())
                    self.ready.set()
        finally:
            with contextlib.suppress(Exception):
                await consumer.stop()


async def _wait_for_topics(consumer: AIOKafkaConsumer, topics: tuple[str, ...]) -> None:
    """Return once the broker has every topic (the worker creates them as it starts)."""
    while True:
        missing = set(topics) - set(await consumer.topics())
        if not missing:
            return
        logger.info("waiting for topics %s to be created", ", ".join(sorted(missing)))
        await asyncio.sleep(TOPIC_POLL_SECONDS)


async def _start_ends(
    consumer: AIOKafkaConsumer, topics: tuple[str, ...]
) -> dict[TopicPartition, int] | None:
    """End offsets of every assigned partition, once both topics are assigned; else None."""
    assigned = consumer.assignment()
    if not all(any(tp.topic == topic for tp in assigned) for topic in topics):
        return None
    ends: dict[TopicPartition, int] = await consumer.end_offsets(list(assigned))
    return ends


async def _caught_up(consumer: AIOKafkaConsumer, ends: dict[TopicPartition, int]) -> bool:
    for partition, end in ends.items():
        if await consumer.position(partition) < end:
            return False
    return True
