"""From consumed Kafka records to the changes a batch writes and the offsets it may commit.

Pure: a record that is not a graph change this version can read is a counted skip with its
reason logged, never an exception; its offset is still committed with the batch, so one bad
message cannot stop the sink. (Changes the store refuses are found by the store itself, which
checks every batch; the sink then splits the batch to skip them.)
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from models.errors import MeeseeksError
from models.graph_change import GraphChange

logger = logging.getLogger(__name__)


class Record(Protocol):
    """What the sink reads of an aiokafka ``ConsumerRecord``."""

    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> int: ...
    @property
    def value(self) -> bytes | None: ...


@dataclass
class DecodedBatch:
    """The changes of a batch, in consumed order, and what was skipped."""

    changes: list[GraphChange] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)
    """Reason (``undecodable`` or ``refused``) to count."""


def decode_records(records: Iterable[Record]) -> DecodedBatch:
    """The graph changes in ``records``; the rest counted by reason and logged."""
    batch = DecodedBatch()
    for record in records:
        where = f"{record.topic}/{record.partition}@{record.offset}"
        try:
            if record.value is None:
                raise MeeseeksError("a message without a value (a tombstone)")
            change = GraphChange.from_dict(json.loads(record.value))
        except (MeeseeksError, ValueError, TypeError) as exc:
            _skip(batch, "undecodable", where, exc)
            continue
        batch.changes.append(change)
    return batch


def next_offsets(records: Iterable[Record]) -> dict[tuple[str, int], int]:
    """Per (topic, partition), the offset to commit: one past the last record consumed."""
    out: dict[tuple[str, int], int] = {}
    for record in records:
        place = (record.topic, record.partition)
        out[place] = max(out.get(place, 0), record.offset + 1)
    return out


def _skip(batch: DecodedBatch, reason: str, where: str, why: Any) -> None:
    batch.skipped[reason] = batch.skipped.get(reason, 0) + 1
    logger.warning("skipped graph change %s (%s): %s", where, reason, why)
