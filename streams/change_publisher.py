"""Graph changes onto the graph-changes topic: one record per change, keyed by what it is about.

The records of one call go out as one record batch per partition (the partition Kafka's default
partitioner gives the key, so a key's changes stay in order), not as one Faust send each. A node
'appeared' change says nothing new once this worker has sent one for that node, so it is sent
once per worker.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from models.graph_change import ChangeType, EntityKind, GraphChange, unseen_node_changes
from streams.batch_producer import BatchProducer, Record
from streams.metrics import StreamMetrics
from streams.partitioning import partition_of
from streams.records import encode_change


class ChangePublisher:
    """Sends graph changes to ``topic`` (a Faust topic) and counts them."""

    def __init__(self, topic: Any, batches: BatchProducer | None, metrics: StreamMetrics) -> None:
        self.topic = topic
        self.batches = batches
        """Record batches; None sends each change through Faust (exactly-once processing)."""
        self.metrics = metrics
        self.published_nodes: set[str] = set()
        self._declared = False

    async def publish(self, changes: list[GraphChange]) -> None:
        changes = unseen_node_changes(changes, self.published_nodes)
        if not changes:
            return
        self.published_nodes.update(
            c.key for c in changes if c.kind is EntityKind.NODE and c.change is ChangeType.APPEARED
        )
        if self.batches is None:
            for change in changes:
                await self.topic.send(key=change.key.encode(), value=encode_change(change))
        else:
            await self._send_batches(self.batches, changes)
        kinds = Counter((c.kind, c.change) for c in changes)
        for (kind, change_type), sent in kinds.items():
            self.metrics.graph_changes.labels(kind.value, change_type.value).inc(sent)

    async def _send_batches(self, batches: BatchProducer, changes: list[GraphChange]) -> None:
        if not self._declared:  # Faust's own first send would have created the topic
            await self.topic.maybe_declare()
            self._declared = True
        name = self.topic.get_topic_name()
        count = await batches.partition_count(name)
        grouped: dict[int, list[Record]] = {}
        for change in changes:
            records = grouped.setdefault(partition_of(change.key, count), [])
            records.append((change.key.encode(), encode_change(change)))
        for partition, records in grouped.items():
            await batches.send(name, partition, records)
