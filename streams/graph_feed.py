"""Keeps a worker's GraphView current from the graph-changes and anomalies topics.

Every worker reads both topics whole, from the beginning and without a consumer group, so any
worker can answer a query about the whole graph. Subscribing without a group gives exactly
that (every partition, the earliest offset, and partitions added later). Each topic has its
own consumer that waits for the topic to exist: the stream creates a topic when it first
writes to it, and the anomalies topic may not exist for a long time. A message that cannot
be read is counted, logged and skipped: one bad record must not stop the view.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from enum import Enum
from functools import partial
from typing import Any, TypeVar

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError

from config.kafka_security import kafka_client_options
from config.settings import Settings
from models.anomaly_event import AnomalyEvent
from models.errors import MeeseeksError
from models.graph_change import GraphChange
from models.graph_view import GraphView
from streams.records import decode_json

logger = logging.getLogger(__name__)

METADATA_REFRESH_MS = 10_000
"""How often the consumer looks for the topics (and new partitions) while following them."""
TOPIC_POLL_SECONDS = 2.0
"""How often a starting feed looks for topics that do not exist yet."""
MAX_RECORDS = 2000
"""Messages applied per poll, so queries get the event loop between two polls."""
RETRY_MAX_SECONDS = 10.0
"""The longest wait between two attempts to reach a broker that does not answer."""

_T = TypeVar("_T")


class GraphFeed:
    """Follows the two topics into ``view`` and counts what it applied and skipped."""

    def __init__(self, settings: Settings, view: GraphView | None = None) -> None:
        self.settings = settings
        self.view = view if view is not None else GraphView()
        self.ready = asyncio.Event()
        """Set once both topics have been read up to their ends as they were at the start."""
        self.applied = 0
        self.skipped = 0
        self._state: dict[str, _TopicState] = {}

    def status(self) -> dict[str, Any]:
        """How current the view is, for the head of every query answer."""
        return {
            "ready": self.ready.is_set(),
            "applied": self.applied,
            "skipped": self.skipped,
            "topics": {topic: state.value for topic, state in self._state.items()},
        }

    def handle(self, topic: str, value: bytes | None, where: str) -> bool:
        """Apply one message of either topic; False (counted, logged) when it cannot be read."""
        try:
            if value is None:
                raise MeeseeksError("a message without a value (a tombstone)")
            data = decode_json(value)
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
        """Follow both topics, each with its own consumer, until the worker stops."""
        topics = (self.settings.graph_changes_topic, self.settings.anomalies_topic)
        self._state = dict.fromkeys(topics, _TopicState.UNKNOWN)
        await asyncio.gather(*(self._follow_topic(topic) for topic in topics))

    async def _follow_topic(self, topic: str) -> None:
        """Wait for ``topic`` to exist, read it from the beginning, then keep up with it.

        An absent topic does not hold ``ready`` back: the stream creates the anomalies topic
        with its first anomaly, and a graph without changes yet is empty, not unknown.
        """
        consumer = AIOKafkaConsumer(
            **kafka_client_options(self.settings),
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            metadata_max_age_ms=METADATA_REFRESH_MS,
        )
        await consumer.start()
        try:
            if topic not in await _retrying(consumer.topics, topic):
                logger.info("topic %s does not exist yet; following it once it does", topic)
                self._settle(topic, _TopicState.ABSENT)
                while True:  # poll the broker: no event tells this process of a new topic
                    await asyncio.sleep(TOPIC_POLL_SECONDS)
                    if topic in await _retrying(consumer.topics, topic):
                        break
            self._settle(topic, _TopicState.READING)
            consumer.subscribe([topic])  # no group: every partition, from the earliest offset
            ends: dict[TopicPartition, int] | None = None
            while True:
                batches = await consumer.getmany(timeout_ms=1000, max_records=MAX_RECORDS)
                for partition, records in batches.items():
                    for message in records:
                        where = f"{partition.topic}/{partition.partition}@{message.offset}"
                        self.handle(partition.topic, message.value, where)
                if self._state[topic] is _TopicState.CAUGHT_UP:
                    continue
                assigned = consumer.assignment()
                if ends is None and assigned:
                    ends = await _retrying(partial(consumer.end_offsets, list(assigned)), topic)
                if ends is not None and await _caught_up(consumer, ends):
                    self._settle(topic, _TopicState.CAUGHT_UP)
        finally:
            with contextlib.suppress(Exception):
                await consumer.stop()

    def _settle(self, topic: str, state: _TopicState) -> None:
        self._state[topic] = state
        settled = (_TopicState.ABSENT, _TopicState.CAUGHT_UP)
        if not self.ready.is_set() and all(s in settled for s in self._state.values()):
            logger.info("graph view caught up: %s", self.view.summary())
            self.ready.set()


async def _retrying(call: Callable[[], Awaitable[_T]], topic: str) -> _T:
    """Await ``call`` until the broker answers: a broker restart must not stop the view."""
    delay = 0.5
    while True:
        try:
            return await call()
        except KafkaError as exc:
            logger.warning("graph view: %s unreachable (%s); retrying in %.1fs", topic, exc, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_MAX_SECONDS)


class _TopicState(Enum):
    UNKNOWN = "unknown"
    ABSENT = "absent"
    READING = "reading"
    CAUGHT_UP = "caught up"


async def _caught_up(consumer: AIOKafkaConsumer, ends: dict[TopicPartition, int]) -> bool:
    for partition, end in ends.items():
        if await consumer.position(partition) < end:
            return False
    return True
