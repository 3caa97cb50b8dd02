"""The graph sink: graph-changes topic -> batches -> the graph store, losing nothing.

It reads the topic in a consumer group, gathers a batch (up to ``sink_batch_changes``, or
whatever came within ``sink_batch_wait_ms`` of the batch's first change), writes it with one
``apply_changes`` off the event loop, and only then commits the batch's offsets. While the
store fails, the same batch is retried with doubling back-off and nothing more is read or
committed, so after the store comes back the sink catches up from where it was. A crash
between the write and the commit replays the batch, which changes nothing: the store's upserts
are idempotent. A message that is not a change, or a change the store refuses, is counted and
skipped, never a crash.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError

from config.kafka_security import kafka_client_options
from config.settings import Settings
from models.graph_change import GraphChange
from sinks.errors import StoreInputError
from sinks.graph_sink_records import DecodedBatch, Record, decode_records, next_offsets
from sinks.metrics import SinkMetrics
from sinks.store import GraphStore

logger = logging.getLogger(__name__)

IDLE_POLL_MS = 1000
"""How long one poll waits on a quiet topic before the sink looks at its stop flag."""
METADATA_REFRESH_MS = 10_000


class ChangeConsumer(Protocol):
    """The part of ``AIOKafkaConsumer`` the sink uses (tests pass a fake)."""

    async def getmany(
        self, *partitions: TopicPartition, timeout_ms: int = 0, max_records: int | None = None
    ) -> dict[TopicPartition, list[Any]]: ...
    async def commit(self, offsets: dict[TopicPartition, int] | None = None) -> None: ...
    def assignment(self) -> set[TopicPartition]: ...
    def highwater(self, partition: TopicPartition) -> int | None: ...
    async def position(self, partition: TopicPartition) -> int: ...
    async def end_offsets(self, partitions: list[TopicPartition]) -> dict[TopicPartition, int]: ...
    async def topics(self) -> set[str]: ...


@dataclass(frozen=True, slots=True)
class SinkParams:
    """How the sink batches and retries (from the settings)."""

    topic: str
    batch_changes: int = 2000
    batch_wait_s: float = 0.5
    max_backoff_s: float = 30.0
    first_backoff_s: float = 0.5

    @classmethod
    def from_settings(cls, settings: Settings) -> SinkParams:
        return cls(
            topic=settings.graph_changes_topic,
            batch_changes=settings.sink_batch_changes,
            batch_wait_s=settings.sink_batch_wait_ms / 1000,
            max_backoff_s=settings.sink_retry_max_backoff_s,
        )


class GraphSink:
    """Moves graph changes from a consumer into a store; counts in ``totals``."""

    def __init__(
        self,
        store: GraphStore,
        consumer: ChangeConsumer,
        params: SinkParams,
        metrics: SinkMetrics | None = None,
    ) -> None:
        self.store = store
        self.consumer = consumer
        self.params = params
        self.metrics = metrics if metrics is not None else SinkMetrics.create()
        self.written = 0
        self.skipped = 0
        self.batches = 0
        self.retries = 0
        self.first_records_at: float | None = None
        """``time.perf_counter()`` when the first records arrived (after the group join)."""
        self._ends: dict[TopicPartition, int] | None = None

    async def run(self, stop: asyncio.Event, *, until_caught_up: bool = False) -> None:
        """Write batches until ``stop`` is set (or, if asked, the topic's end at start)."""
        while not stop.is_set():
            records = await self._collect(stop)
            if records:
                if self.first_records_at is None:
                    self.first_records_at = time.perf_counter()
                decoded = decode_records(records)
                self._count_skips(decoded)
                if not await self._write(decoded.changes, stop):
                    logger.info("stopping with a batch the store has not accepted; not committed")
                    return
                await self._commit(records)
            if until_caught_up and await self._caught_up():
                logger.info("caught up: %d changes written, %d skipped", self.written, self.skipped)
                return

    async def _collect(self, stop: asyncio.Event) -> list[Record]:
        """Up to ``batch_changes`` records: the first wait is open-ended, then ``batch_wait_s``."""
        records: list[Record] = []
        deadline: float | None = None
        loop = asyncio.get_running_loop()
        size = self.params.batch_changes
        while len(records) < size:
            if deadline is None:
                timeout_ms = IDLE_POLL_MS
            else:
                timeout_ms = max(0, int((deadline - loop.time()) * 1000))
            got = await self.consumer.getmany(
                timeout_ms=timeout_ms, max_records=size - len(records)
            )
            for batch in got.values():
                records.extend(batch)
            if deadline is None:
                if not records or stop.is_set():
                    break
                deadline = loop.time() + self.params.batch_wait_s
            if loop.time() >= deadline:
                break
        return records

    async def _write(self, changes: Sequence[GraphChange], stop: asyncio.Event) -> bool:
        """Write until the store accepts; False only when stopped while it still fails.

        A batch the store refuses is split in halves until the refused changes stand alone,
        which are counted and skipped: a few more transactions instead of a lost batch.
        """
        pending: deque[list[GraphChange]] = deque([list(changes)] if changes else [])
        backoff = self.params.first_backoff_s
        while pending:
            chunk = pending[0]
            started = time.perf_counter()
            try:
                await asyncio.to_thread(self.store.apply_changes, chunk)
            except StoreInputError as exc:
                pending.popleft()
                if len(chunk) == 1:
                    self._count_skips(DecodedBatch(skipped={"refused": 1}))
                    logger.warning("skipped a change the store refused: %s", exc)
                else:
                    half = len(chunk) // 2
                    pending.extendleft([chunk[half:], chunk[:half]])
                continue
            except Exception as exc:  # the store is down: keep the batch, never lose it
                self.retries += 1
                self.metrics.store_retries.inc()
                self.metrics.store_up.set(0)
                logger.warning(
                    "graph store write failed, retrying in %.1fs (%d changes pending): %s",
                    backoff,
                    sum(len(part) for part in pending),
                    exc,
                )
                if await _wait(stop, backoff):
                    return False
                backoff = min(backoff * 2, self.params.max_backoff_s)
                continue
            pending.popleft()
            self._count_written(chunk)
            self.metrics.write_seconds.observe(time.perf_counter() - started)
        self.metrics.store_up.set(1)
        return True

    async def _commit(self, records: Sequence[Record]) -> None:
        offsets = {
            TopicPartition(topic, partition): offset
            for (topic, partition), offset in next_offsets(records).items()
        }
        try:
            await self.consumer.commit(offsets)
        except KafkaError as exc:
            # A rebalance took the partitions away: their new owner reads the batch again and
            # writes it again, which the store's idempotent upserts make harmless.
            self.metrics.commit_failures.inc()
            logger.warning("offset commit failed, the batch will be written again: %s", exc)
        self.batches += 1
        self.metrics.batches.inc()
        self._update_lag(offsets)

    def _update_lag(self, offsets: dict[TopicPartition, int]) -> None:
        lag = 0
        for partition, offset in offsets.items():
            high = self.consumer.highwater(partition)
            if high is not None:
                lag += max(0, high - offset)
        self.metrics.lag.set(lag)

    async def _caught_up(self) -> bool:
        """Every assigned partition read and written up to its end as it was first seen."""
        assigned = self.consumer.assignment()
        if not assigned:
            return self.params.topic not in await self.consumer.topics()
        if self._ends is None or not set(assigned) <= set(self._ends):
            self._ends = {**(self._ends or {}), **await self.consumer.end_offsets(list(assigned))}
        for partition in assigned:
            if await self.consumer.position(partition) < self._ends[partition]:
                return False
        return True

    def _count_written(self, changes: Sequence[GraphChange]) -> None:
        self.written += len(changes)
        for change in changes:
            self.metrics.changes.labels(change.kind.value).inc()

    def _count_skips(self, decoded: DecodedBatch) -> None:
        for reason, count in decoded.skipped.items():
            self.skipped += count
            self.metrics.skipped.labels(reason).inc(count)


def kafka_consumer(settings: Settings, group_id: str | None = None) -> AIOKafkaConsumer:
    """A consumer of the graph-changes topic in the sink's group, from the earliest offset."""
    return AIOKafkaConsumer(
        settings.graph_changes_topic,
        group_id=group_id or settings.sink_group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        metadata_max_age_ms=METADATA_REFRESH_MS,
        **kafka_client_options(settings),
    )


async def run_sink(
    settings: Settings,
    store: GraphStore,
    stop: asyncio.Event,
    *,
    group_id: str | None = None,
    until_caught_up: bool = False,
    metrics: SinkMetrics | None = None,
) -> GraphSink:
    """Consume the graph-changes topic into ``store`` until ``stop`` (or caught up)."""
    consumer = kafka_consumer(settings, group_id)
    await consumer.start()
    try:
        sink = GraphSink(store, consumer, SinkParams.from_settings(settings), metrics)
        await sink.run(stop, until_caught_up=until_caught_up)
    finally:
        await consumer.stop()
    return sink


async def _wait(stop: asyncio.Event, seconds: float) -> bool:
    """Sleep ``seconds`` or until ``stop``; True when stopped."""
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        return False
    return True
