"""Stage one of the stream: connection batches in, per-partition edge-delta batches out.

Pure apart from the inventory it reads: the Faust agent in ``streams.topology`` feeds it one
Kafka message at a time and sends what it returns. Each output batch names the input message
(source partition and offset) so the edge stage can skip a batch it already applied when a
message is replayed after a crash.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from models.address_traffic import AddressTraffic
from models.attribution import attribute
from models.connection import ConnectionEvent
from models.edge_delta import Combiner, EdgeDelta
from models.graph_change import ChangeType, EntityKind, GraphChange, node_payload
from models.inventory import Inventory
from models.topology import Owner
from streams.partitioning import partition_of

TICK_SOURCE = -1
"""Source number of tick batches, which carry no events."""
BATCH_VERSION = 2


@dataclass(frozen=True, slots=True)
class DeltaBatch:
    """What the edge stage receives on one partition for one input message."""

    source: int
    """Partition of the connection topic the input message came from."""
    offset: int
    """Offset of the input message: with ``source``, the batch's identity for replays."""
    watermark: float
    """Latest event time this source has seen: moves the partition's clock even when empty."""
    deltas: tuple[EdgeDelta, ...]
    """Per-edge, per-window counts of the edges whose server lives on this partition."""
    sources: int | None = None
    """How many partitions the connection topic has: the sources each edge partition waits for."""

    @classmethod
    def tick(cls) -> DeltaBatch:
        """A batch that only tells the edge stage that wall-clock time has passed."""
        return cls(TICK_SOURCE, -1, float("-inf"), ())

    @property
    def is_tick(self) -> bool:
        return self.source == TICK_SOURCE

    def to_dict(self) -> dict[str, Any]:
        """Version 2: deltas as positional rows (``EdgeDelta.to_row``), a third of the bytes
        and work of version 1's one object per delta."""
        data: dict[str, Any] = {
            "v": BATCH_VERSION,
            "source": self.source,
            "offset": self.offset,
            "watermark": self.watermark if self.watermark != float("-inf") else None,
            "rows": [d.to_row() for d in self.deltas],
        }
        if self.sources is not None:
            data["sources"] = self.sources
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DeltaBatch:
        """Read version 2, and version 1 (one object per delta) left in the topic by an older
        worker."""
        version = data.get("v")
        if version == BATCH_VERSION:
            deltas = tuple([EdgeDelta.from_row(row) for row in data["rows"]])
        elif version == 1:
            deltas = tuple(EdgeDelta.from_dict(d) for d in data["deltas"])
        else:
            raise ValueError(f"unknown delta batch version {version!r}")
        sources = data.get("sources")
        watermark = data["watermark"]
        return cls(
            source=int(data["source"]),
            offset=int(data["offset"]),
            watermark=float("-inf") if watermark is None else float(watermark),
            deltas=deltas,
            sources=None if sources is None else int(sources),
        )


@dataclass
class AttributionStage:
    """Attributes events, combines them into deltas and routes them by server partition."""

    inventory: Inventory
    window_seconds: float
    partitions: int
    max_client_instances: int = 256
    watermarks: dict[int, float] = field(default_factory=dict)
    known_nodes: set[str] = field(default_factory=set)
    address_traffic: AddressTraffic = field(default_factory=AddressTraffic)
    """Data-store candidate traffic, drained by the cluster feed."""

    def process(
        self,
        events: list[ConnectionEvent],
        source: int,
        offset: int,
        sources: int | None = None,
    ) -> tuple[dict[int, DeltaBatch], list[GraphChange]]:
        """One input message: a batch for every edge partition, and nodes seen for the first time.

        Every partition gets a batch, empty ones included, so that each partition's watermark
        advances with this source's event time.
        """
        new_nodes: list[GraphChange] = []
        watermark = self.watermarks.get(source, float("-inf"))
        inventory, known = self.inventory, self.known_nodes
        count_traffic = self.address_traffic.add
        combiner = Combiner(self.window_seconds, self.max_client_instances)
        for event in events:
            attributed = attribute(event, inventory)
            count_traffic(event, attributed)
            ts = event.ts
            watermark = max(watermark, ts)
            edge = attributed.edge
            client = attributed.client
            instance = client.instance if client is not None else None
            # The first event of an (edge, window) is also the first to name any new node.
            if combiner.add(edge, ts, attributed.kind, instance) and (
                edge.client not in known or edge.server not in known
            ):
                for name, owner in ((edge.client, client), (edge.server, attributed.server)):
                    if name not in known:
                        known.add(name)
                        new_nodes.append(self._node_appeared(name, owner, ts))
        self.watermarks[source] = watermark
        by_partition: dict[int, list[EdgeDelta]] = {p: [] for p in range(self.partitions)}
        for delta in combiner.deltas():
            by_partition[partition_of(delta.edge.server, self.partitions)].append(delta)
        batches = {
            p: DeltaBatch(source, offset, watermark, tuple(deltas), sources)
            for p, deltas in by_partition.items()
        }
        return batches, new_nodes

    def _node_appeared(self, name: str, owner: Owner | None, ts: float) -> GraphChange:
        zone = owner.zone if owner is not None else None
        instances = self.inventory.instance_count(name) if owner is not None else None
        return GraphChange(
            EntityKind.NODE, ChangeType.APPEARED, name, ts, node_payload(name, zone, instances)
        )
