"""Registers the topology stages on a Faust app: topics, the edge table, agents and /metrics.

Thin on purpose: the work happens in ``AttributionStage`` and ``EdgeStage``; this module only
moves their inputs and outputs between Kafka, the table and Prometheus.
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import faust
from mode.types.signals import BaseSignalT
from prometheus_client import CollectorRegistry, generate_latest

from config.settings import Settings
from models.anomaly_params import AnomalyParams
from models.connection_wire import decode_batch
from models.edge_params import EdgeParams
from models.errors import MeeseeksError
from models.graph_change import GraphChange
from models.inventory import Inventory
from streams.attribution_stage import AttributionStage, DeltaBatch
from streams.batch_producer import BatchProducer
from streams.bcp_views import register_bcp_views
from streams.change_publisher import ChangePublisher
from streams.cluster_finder import ClusterFinder
from streams.cluster_stage import ClusterStage, observations_from_dict, observations_to_dict
from streams.edge_stage import EdgeStage, StageOutput
from streams.edge_table import EdgeTable
from streams.inventory_service import InventoryFeed
from streams.metrics import StreamMetrics
from streams.overlay_views import register_overlay_views
from streams.page_views import register_page
from streams.query_views import register_queries
from streams.records import (
    anomaly_event,
    decode_delta_batches,
    decode_json,
    delta_messages,
    encode_anomaly,
    encode_delta_batch,
    encode_delta_batches,
    encode_json,
)

logger = logging.getLogger(__name__)

PROMETHEUS_TEXT = "text/plain; version=0.0.4"
CLUSTER_ROWS_PER_MESSAGE = 5_000
"""About 400 kB of JSON: well under Kafka's default 1 MB request."""

ATTRIBUTE_MESSAGES = 16
"""Connection messages attributed per step (at most): 8,192 events of the capture's batches."""
ATTRIBUTE_WAIT_SECONDS = 0.05
"""How long a step waits for more connection messages before it works on what it has."""

GC_THRESHOLDS = (20_000, 50, 1_000)
"""The cyclic garbage collector's thresholds in a running worker. At Python's (700, 10, 10) it
ran every few hundred allocations and its full passes over the cached edge states took about a
fifth of the worker's CPU in ``make bench-stream``. With these, a full pass comes only after a
billion or so allocations: a quarter of an hour at a soak's load, during which the cycles
asyncio and Faust leave behind pile up (RSS grew 10 MiB a minute). So a timer runs the full
pass instead, every ``MEESEEKS_GC_INTERVAL_SECONDS``, at a cost that does not follow the load."""

RAW: dict[str, Any] = {
    "key_type": bytes,
    "value_type": bytes,
    "key_serializer": "raw",
    "value_serializer": "raw",
}


def edge_params_from(settings: Settings) -> EdgeParams:
    return EdgeParams(
        window_seconds=settings.window_seconds,
        grace_seconds=settings.grace_seconds,
        stale_after_seconds=max(
            settings.stale_after_seconds, settings.window_seconds + settings.grace_seconds
        ),
        history_windows=settings.history_windows,
    )


def table_store_options(settings: Settings) -> dict[str, int]:
    """The memory bounds of each RocksDB table partition (none for the memory store)."""
    if not settings.table_store.startswith("rocksdb"):
        return {}
    return {
        "write_buffer_size": settings.table_write_buffer_bytes,
        "max_write_buffer_number": settings.table_write_buffers,
        "block_cache_size": settings.table_block_cache_bytes,
    }


def anomaly_params_from(settings: Settings) -> AnomalyParams:
    return AnomalyParams(
        window_seconds=settings.window_seconds,
        learning_seconds=settings.learning_period_seconds,
    )


class Topology:
    """The stages, topics and table of one worker, and the agent bodies that connect them."""

    def __init__(
        self, app: faust.App, settings: Settings, registry: CollectorRegistry | None = None
    ) -> None:
        self.app = app
        self.settings = settings
        self.registry = registry if registry is not None else CollectorRegistry()
        partitions = settings.topic_partitions
        self.inventory = Inventory()
        self.feed = InventoryFeed(settings, self.inventory)
        self.feed.load_file()
        self.metrics = StreamMetrics.create(self.registry)
        self.attribution = AttributionStage(self.inventory, settings.window_seconds, partitions)
        self.edge_stage = EdgeStage(
            edge_params_from(settings),
            anomaly_params_from(settings),
            partitions,
            source_idle_seconds=settings.source_idle_seconds,
        )
        self.connections = app.topic(settings.events_topic, **RAW)
        self.deltas = app.topic(
            f"{settings.app_id}.edge-deltas.v1", partitions=partitions, internal=True, **RAW
        )
        self.changes = app.topic(
            settings.graph_changes_topic, partitions=partitions, internal=True, **RAW
        )
        self.anomalies = app.topic(settings.anomalies_topic, partitions=1, internal=True, **RAW)
        # One partition: cluster recognition needs the whole estate's data-store traffic.
        self.cluster_observations = app.topic(
            f"{settings.app_id}.cluster-observations.v1", partitions=1, internal=True, **RAW
        )
        self.cluster_stage = ClusterStage(
            interval_seconds=settings.window_seconds,
            retention_seconds=settings.cluster_retention_seconds,
        )
        self.cluster_finder = ClusterFinder()
        # Values are the compact JSON of what EdgeStage stores, written by EdgeTable.
        self.edges = app.Table(
            "edges",
            key_type=bytes,
            value_type=bytes,
            partitions=partitions,
            options=table_store_options(settings),
        )
        self.batches = BatchProducer.for_app(app)
        """Sends changelog records and graph changes in record batches (None: one by one)."""
        self.edge_table = EdgeTable(self.edges, self.batches)
        self.publisher = ChangePublisher(self.changes, self.batches, self.metrics)

    async def attribute(self, stream: Any) -> None:
        if self.batches is None:  # exactly-once: Faust's transactions follow one event at a time
            async for event in stream.events():
                await self._attribute([event])
            return
        # Several input messages per step: one delta message per edge partition carries all
        # their batches, which saves a Kafka message, a Faust event and a table write of each
        # edge they share per message. Events are acked once the step's sends are queued.
        async for events in stream.take_events(ATTRIBUTE_MESSAGES, ATTRIBUTE_WAIT_SECONDS):
            await self._attribute(events)

    async def _attribute(self, events: Sequence[Any]) -> None:
        if not self.feed.ready.is_set():
            await self.feed.ready.wait()
        per_partition: dict[int, list[DeltaBatch]] = {}
        new_nodes: list[GraphChange] = []
        for event in events:
            self.metrics.connection_batches.inc()
            message = event.message
            try:
                batch = decode_batch(event.value)
            except MeeseeksError as exc:
                self.metrics.bad_batches.labels("connections").inc()
                logger.warning(
                    "skipped connection message %s/%d@%d: %s",
                    message.topic,
                    message.partition,
                    message.offset,
                    exc,
                )
                continue
            self.metrics.events.inc(len(batch))
            batches, nodes = self.attribution.process(
                batch, message.partition, message.offset, self._source_count(message.topic)
            )
            new_nodes.extend(nodes)
            for partition, delta_batch in batches.items():
                per_partition.setdefault(partition, []).append(delta_batch)
        for partition, delta_batches in per_partition.items():
            for chunk in delta_messages(delta_batches):
                logger.debug(
                    "%d connection messages: %d deltas to edge partition %d",
                    len(chunk),
                    sum(len(b.deltas) for b in chunk),
                    partition,
                )
                await self.deltas.send(value=encode_delta_batches(chunk), partition=partition)
        await self.publish(new_nodes)

    async def aggregate(self, stream: Any) -> None:
        async for event in stream.events():
            message = event.message
            try:
                batches = decode_delta_batches(event.value)
            except (MeeseeksError, ValueError, KeyError, TypeError) as exc:
                self.metrics.bad_batches.labels("edge-deltas").inc()
                logger.warning(
                    "skipped delta message %d@%d: %s", message.partition, message.offset, exc
                )
                continue
            logger.debug(
                "edge partition %d@%d: %d deltas of %d connection messages",
                message.partition,
                message.offset,
                sum(len(batch.deltas) for batch in batches),
                len(batches),
            )
            out = self.edge_stage.process_all(batches, message.partition, self.edge_table)
            await self.edge_table.flush(message.partition)
            await self.emit(out, message.partition)
            while out.more:  # many windows closed at once: the rest, a part at a time
                out = self.edge_stage.resume(message.partition, self.edge_table)
                await self.edge_table.flush(message.partition)
                await self.emit(out, message.partition)

    def _source_count(self, topic: str) -> int | None:
        """Partitions of the connection topic, from the consumer's metadata when it has them."""
        count = self.app.consumer.topic_partitions(topic)
        return int(count) if count else None

    async def tick(self) -> None:
        """Let every edge partition re-judge silent sources even when no deltas arrive."""
        value = encode_delta_batch(DeltaBatch.tick())
        for partition in range(self.settings.topic_partitions):
            await self.deltas.send(value=value, partition=partition)

    async def flush_address_traffic(self) -> None:
        """Send the data-store candidate traffic counted since the last flush."""
        if not len(self.attribution.address_traffic) or not self.attribution.watermarks:
            return
        at = max(self.attribution.watermarks.values())
        rows = self.attribution.address_traffic.drain()
        # Bounded messages: at production size one flush is larger than a Kafka request.
        for start in range(0, len(rows), CLUSTER_ROWS_PER_MESSAGE):
            message = observations_to_dict(rows[start : start + CLUSTER_ROWS_PER_MESSAGE], at)
            await self.cluster_observations.send(value=encode_json(message))

    async def recognise_clusters(self, stream: Any) -> None:
        async for event in stream.events():
            try:
                observations, at = observations_from_dict(decode_json(event.value))
            except (ValueError, KeyError, TypeError) as exc:
                self.metrics.bad_batches.labels("cluster-observations").inc()
                logger.warning("skipped cluster observations @%d: %s", event.message.offset, exc)
                continue
            recent = self.cluster_stage.take(observations, at)
            if recent is not None:  # a recomputation is due: off the event loop
                found = await self.cluster_finder.find(recent, self.cluster_stage.params)
                await self.publish(self.cluster_stage.adopt(found, at))

    async def publish(self, changes: list[GraphChange]) -> None:
        await self.publisher.publish(changes)

    async def emit(self, out: StageOutput, partition: int) -> None:
        self.metrics.deltas_applied.inc(out.applied_deltas)
        self.metrics.deltas_replayed.inc(out.replayed_deltas)
        await self.publish(out.changes)
        for transition in out.transitions:
            anomaly = transition.anomaly
            self.metrics.anomaly_transitions.labels(anomaly.kind.value, transition.kind.value).inc()
            value = anomaly_event(transition.kind.value, anomaly, transition.at)
            await self.anomalies.send(key=anomaly.dedup_key.encode(), value=encode_anomaly(value))
        if out.transitions:
            self.metrics.set_active(self.edge_stage.tracker.counts())
        watermark = self.edge_stage.watermarks.watermark(partition)
        if watermark is not None:
            self.metrics.watermark.labels(str(partition)).set(watermark)

    def metrics_page(self) -> bytes:
        return generate_latest(self.registry)


async def _settle_garbage_collector() -> None:
    """Once the worker has started: what it built so far (modules, inventory, Faust) stays, so
    later collections skip it, and collections run less often (``GC_THRESHOLDS``)."""
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def _full_collection(metrics: StreamMetrics) -> Callable[[], Awaitable[None]]:
    async def collect() -> None:
        started = time.perf_counter()
        found = gc.collect()
        took = time.perf_counter() - started
        metrics.gc_pause.inc(took)
        metrics.gc_runs.inc()
        logger.debug("full garbage collection: %d unreachable objects in %.3f s", found, took)

    return collect


def register_topology(
    app: faust.App, settings: Settings, registry: CollectorRegistry | None = None
) -> Topology:
    """Create the topology's topics and table on ``app`` and start its agents with the app."""
    topology = Topology(app, settings, registry)
    app.task(_settle_garbage_collector)
    app.task(topology.feed.follow)
    app.agent(topology.connections, name="meeseeks.attribute")(topology.attribute)
    app.agent(topology.deltas, name="meeseeks.aggregate")(topology.aggregate)
    app.agent(topology.cluster_observations, name="meeseeks.clusters")(topology.recognise_clusters)
    app.timer(settings.cluster_flush_seconds)(topology.flush_address_traffic)
    app.timer(settings.tick_seconds)(topology.tick)
    app.timer(settings.gc_interval_seconds)(_full_collection(topology.metrics))

    def forget_on_revoke(
        sender: Any, /, *args: Any, signal: BaseSignalT[Any], **kwargs: Any
    ) -> None:
        topology.edge_stage.forget_partitions()
        topology.metrics.watermark.clear()
        topology.metrics.set_active(topology.edge_stage.tracker.counts())

    app.on_partitions_revoked.connect(forget_on_revoke)

    async def stop_cluster_helper(sender: Any, /, *args: Any, **kwargs: Any) -> None:
        topology.cluster_finder.close()

    app.on_before_shutdown.connect(stop_cluster_helper)

    async def metrics_view(web: Any, request: Any) -> Any:
        # aiohttp refuses a charset inside content_type; the exposition format is utf-8 anyway.
        return web.bytes(topology.metrics_page(), content_type=PROMETHEUS_TEXT)

    app.page("/metrics")(metrics_view)
    register_queries(app, topology)
    register_page(app)
    register_overlay_views(app, settings)
    register_bcp_views(app, topology)
    return topology
