"""A consumer that serves records from lists, and a store that fails when told to."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from aiokafka import TopicPartition

from models.graph_change import ChangeType, EntityKind, GraphChange, node_payload
from sinks.errors import StoreInputError, StoreUnavailableError
from sinks.graph_sink import SinkParams

TOPIC = "changes"
PARAMS = SinkParams(
    TOPIC, batch_changes=3, batch_wait_s=0.05, max_backoff_s=0.04, first_backoff_s=0.01
)


@dataclass(frozen=True)
class FakeRecord:
    topic: str
    partition: int
    offset: int
    value: bytes | None


def node_change(name: str, at: float = 1.0) -> GraphChange:
    return GraphChange(EntityKind.NODE, ChangeType.APPEARED, name, at, node_payload(name, "a"))


def encoded(change: GraphChange) -> bytes:
    from streams.records import encode_change

    return encode_change(change)


class FakeConsumer:
    """Partitions of records; ``getmany`` hands out what is past the position."""

    def __init__(self, partitions: dict[int, list[bytes | None]]) -> None:
        self.logs = {TopicPartition(TOPIC, p): values for p, values in partitions.items()}
        self.positions = dict.fromkeys(self.logs, 0)
        self.committed: dict[TopicPartition, int] = {}
        self.commits: list[dict[TopicPartition, int]] = []
        self.polls: list[int] = []

    async def getmany(
        self, *partitions: TopicPartition, timeout_ms: int = 0, max_records: int | None = None
    ) -> dict[TopicPartition, list[Any]]:
        self.polls.append(timeout_ms)
        out: dict[TopicPartition, list[Any]] = {}
        room = max_records or 10**9
        for tp, values in self.logs.items():
            start = self.positions[tp]
            take = values[start : start + room]
            if take:
                out[tp] = [
                    FakeRecord(TOPIC, tp.partition, start + i, v) for i, v in enumerate(take)
                ]
                self.positions[tp] += len(take)
                room -= len(take)
            if room <= 0:
                break
        if not out:
            await asyncio.sleep(min(timeout_ms, 5) / 1000)
        return out

    async def commit(self, offsets: dict[TopicPartition, int] | None = None) -> None:
        assert offsets is not None
        self.commits.append(dict(offsets))
        self.committed.update(offsets)

    def assignment(self) -> set[TopicPartition]:
        return set(self.logs)

    def highwater(self, partition: TopicPartition) -> int | None:
        return len(self.logs[partition])

    async def position(self, partition: TopicPartition) -> int:
        return self.positions[partition]

    async def end_offsets(self, partitions: list[TopicPartition]) -> dict[TopicPartition, int]:
        return {tp: len(self.logs[tp]) for tp in partitions}

    async def topics(self) -> set[str]:
        return {TOPIC}


@dataclass
class FakeStore:
    """Remembers accepted batches; fails ``down`` times first, refuses keys in ``refuse``."""

    down: int = 0
    refuse: set[str] = field(default_factory=set)
    batches: list[list[str]] = field(default_factory=list)
    calls: int = 0

    def apply_changes(self, changes: Sequence[GraphChange]) -> None:
        self.calls += 1
        if self.down > 0:
            self.down -= 1
            raise StoreUnavailableError("database is locked")
        bad = [c.key for c in changes if c.key in self.refuse]
        if bad:
            raise StoreInputError(f"refused {bad[0]}")
        self.batches.append([c.key for c in changes])

    def keys(self) -> list[str]:
        return [key for batch in self.batches for key in batch]
