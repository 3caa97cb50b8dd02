"""The soak's readers: the worker group's offsets on a topic, and the worker's RSS.

Thin adapters over aiokafka and /proc; the arithmetic lives in ``ledger`` and ``samples``.
"""

from __future__ import annotations

from pathlib import Path

from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import TopicPartition

from bench.soak.samples import committed_by_partition, ends_by_partition, rss_kib


class GroupOffsets:
    """End offsets of topics and a consumer group's committed offsets on them."""

    def __init__(self, bootstrap: str, group: str) -> None:
        self.group = group
        self._bootstrap = bootstrap
        self._clients: tuple[AIOKafkaAdminClient, AIOKafkaConsumer] | None = None

    async def start(self) -> None:
        """Made here, not in __init__: aiokafka clients need the running event loop."""
        admin = AIOKafkaAdminClient(bootstrap_servers=self._bootstrap)
        # No group: this consumer only asks for end offsets and never joins or commits.
        consumer = AIOKafkaConsumer(bootstrap_servers=self._bootstrap, enable_auto_commit=False)
        await admin.start()
        await consumer.start()
        self._clients = admin, consumer

    async def close(self) -> None:
        if self._clients is not None:
            admin, consumer = self._clients
            await consumer.stop()
            await admin.close()
            self._clients = None

    async def read(self, topic: str, partitions: int) -> tuple[dict[int, int], dict[int, int]]:
        """(end offset, committed offset) by partition; a partition never committed is absent
        from the second."""
        if self._clients is None:
            raise RuntimeError("the offset reader is not started")
        admin, consumer = self._clients
        wanted = [TopicPartition(topic, p) for p in range(partitions)]
        ends = await consumer.end_offsets(wanted)
        committed = await admin.list_consumer_group_offsets(self.group, partitions=wanted)
        return ends_by_partition(ends, topic), committed_by_partition(committed, topic)


def worker_rss_kib(pid: int) -> int:
    return rss_kib(Path(f"/proc/{pid}/status").read_text())
