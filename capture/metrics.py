"""Prometheus metrics of `meeseeks capture`, on a registry the caller owns.

Nothing registers at import time: tests and several captures in one process each bring their
own ``CollectorRegistry``. Packet and skip counts are copied from the decoder's own counters
once per chunk (as deltas), so the per-packet loop never touches a metric.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from threading import Thread
from typing import TYPE_CHECKING
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Counter, Histogram, start_http_server

if TYPE_CHECKING:
    from capture.erspan_exporter import ExportTotals

logger = logging.getLogger(__name__)

NAMESPACE = "meeseeks_capture"
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192)


class CaptureMetrics:
    """Every metric of the processor host; one instance per capture."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.packets = Counter(
            "packets",
            "Packets read from the capture source.",
            namespace=NAMESPACE,
            registry=registry,
        )
        self.events = Counter(
            "events",
            "Connection events decoded, by kind.",
            ["kind"],
            namespace=NAMESPACE,
            registry=registry,
        )
        self.skipped = Counter(
            "skipped_packets",
            "Packets the decoder skipped, by reason (the decoder's fixed reason set).",
            ["reason"],
            namespace=NAMESPACE,
            registry=registry,
        )
        self.kernel_drops = Counter(
            "kernel_dropped_packets",
            "Packets the kernel dropped before capture read them (AF_PACKET statistics).",
            namespace=NAMESPACE,
            registry=registry,
        )
        self.kafka_messages = Counter(
            "kafka_messages",
            "Kafka messages acknowledged by the broker.",
            namespace=NAMESPACE,
            registry=registry,
        )
        self.produce_latency = Histogram(
            "kafka_produce_latency_seconds",
            "Time from handing a message to the producer to its acknowledgement.",
            buckets=_LATENCY_BUCKETS,
            namespace=NAMESPACE,
            registry=registry,
        )
        self.batch_events = Histogram(
            "kafka_batch_events",
            "Events per Kafka message.",
            buckets=_BATCH_BUCKETS,
            namespace=NAMESPACE,
            registry=registry,
        )
        self.send_retries = Counter(
            "kafka_send_retries",
            "Kafka sends that failed and were tried again.",
            namespace=NAMESPACE,
            registry=registry,
        )
        self.published_events = Counter(
            "published_events",
            "Events in acknowledged Kafka messages.",
            namespace=NAMESPACE,
            registry=registry,
        )
        self._seen_skips: dict[str, int] = {}

    def count_events(self, syn: int, syn_ack: int) -> None:
        if syn:
            self.events.labels("syn").inc(syn)
        if syn_ack:
            self.events.labels("syn-ack").inc(syn_ack)

    def sync_skips(self, skips: Mapping[str, int]) -> None:
        """Raise each reason's counter to the decoder's running total."""
        for reason, total in skips.items():
            delta = total - self._seen_skips.get(reason, 0)
            if delta > 0:
                self.skipped.labels(reason).inc(delta)
                self._seen_skips[reason] = total


EXPORT_NAMESPACE = "meeseeks_export"


class ExportMetrics:
    """Counters of `meeseeks export` (the software ERSPAN exporter), raised once per burst."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self._counters = {
            name: Counter(name, text, namespace=EXPORT_NAMESPACE, registry=registry)
            for name, text in (
                ("frames", "Frames read from the mirror interface."),
                ("packets", "ERSPAN packets sent to the processor host."),
                ("bytes", "Bytes of GRE (ERSPAN header and frame) sent to the processor host."),
                ("filtered_frames", "Frames left out by --syn-only."),
                ("truncated_frames", "Frames cut to --snaplen."),
                (
                    "kernel_dropped_frames",
                    "Frames the kernel dropped before the exporter read them.",
                ),
            )
        }
        self.send_errors = Counter(
            "send_errors",
            "Sends to the processor host that failed, by errno name.",
            ["reason"],
            namespace=EXPORT_NAMESPACE,
            registry=registry,
        )
        self._seen: dict[str, int] = {}

    def observe(self, totals: ExportTotals) -> None:
        """Raise every counter to the exporter's running totals."""
        values = {
            "frames": totals.frames,
            "packets": totals.exported,
            "bytes": totals.exported_bytes,
            "filtered_frames": totals.filtered,
            "truncated_frames": totals.truncated,
            "kernel_dropped_frames": totals.kernel_drops,
        }
        values.update((f"error:{reason}", count) for reason, count in totals.send_errors.items())
        for name, total in values.items():
            delta = total - self._seen.get(name, 0)
            if delta <= 0:
                continue
            self._seen[name] = total
            if name.startswith("error:"):
                self.send_errors.labels(name.removeprefix("error:")).inc(delta)
            else:
                self._counters[name].inc(delta)


class MetricsServer:
    """``/metrics`` over HTTP in a daemon thread, stopped with the capture."""

    def __init__(self, registry: CollectorRegistry, host: str, port: int) -> None:
        self._server: WSGIServer
        self._thread: Thread
        self._server, self._thread = start_http_server(port, host, registry=registry)
        self.port = int(self._server.server_port)
        logger.info("serving metrics on http://%s:%d/metrics", host, self.port)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
