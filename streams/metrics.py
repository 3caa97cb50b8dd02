"""The stream worker's Prometheus metrics, registered on a registry the app is given.

Labels are bounded: anomaly kinds and severities, change kinds, transition names, partitions.
"""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge

from models.anomaly_record import AnomalyKind, Severity


@dataclass(frozen=True)
class StreamMetrics:
    connection_batches: Counter
    events: Counter
    bad_batches: Counter
    deltas_applied: Counter
    deltas_replayed: Counter
    graph_changes: Counter
    anomaly_transitions: Counter
    anomalies_active: Gauge
    watermark: Gauge
    gc_pause: Counter
    gc_runs: Counter

    @classmethod
    def create(cls, registry: CollectorRegistry) -> StreamMetrics:
        metrics = cls(
            connection_batches=Counter(
                "meeseeks_stream_connection_batches_total",
                "Connection-event messages consumed from the capture topic.",
                registry=registry,
            ),
            events=Counter(
                "meeseeks_stream_events_total",
                "Connection events attributed to edges.",
                registry=registry,
            ),
            bad_batches=Counter(
                "meeseeks_stream_bad_messages_total",
                "Messages skipped because they did not decode, by topic.",
                ["topic"],
                registry=registry,
            ),
            gc_pause=Counter(
                "meeseeks_stream_gc_pause_seconds_total",
                "Time the worker spent in its periodic full garbage collections.",
                registry=registry,
            ),
            gc_runs=Counter(
                "meeseeks_stream_gc_runs_total",
                "Periodic full garbage collections of the worker.",
                registry=registry,
            ),
            deltas_applied=Counter(
                "meeseeks_stream_deltas_applied_total",
                "Edge deltas counted into the edge table.",
                registry=registry,
            ),
            deltas_replayed=Counter(
                "meeseeks_stream_deltas_replayed_total",
                "Edge deltas skipped because the edge had already counted their batch.",
                registry=registry,
            ),
            graph_changes=Counter(
                "meeseeks_stream_graph_changes_total",
                "Changes published to the graph-changes topic, by entity and change.",
                ["entity", "change"],
                registry=registry,
            ),
            anomaly_transitions=Counter(
                "meeseeks_anomaly_transitions_total",
                "Anomalies raised, updated and resolved, by kind.",
                ["kind", "transition"],
                registry=registry,
            ),
            anomalies_active=Gauge(
                "meeseeks_anomalies_active",
                "Anomalies currently raised on this worker's partitions, by kind and severity.",
                ["kind", "severity"],
                registry=registry,
            ),
            watermark=Gauge(
                "meeseeks_stream_watermark_timestamp_seconds",
                "Event-time watermark of each edge partition this worker owns.",
                ["partition"],
                registry=registry,
            ),
        )
        for topic in ("connections", "edge-deltas", "cluster-observations"):
            metrics.bad_batches.labels(topic)
        for kind in AnomalyKind:
            for severity in Severity:
                metrics.anomalies_active.labels(kind.value, severity.value).set(0)
        return metrics

    def set_active(self, counts: dict[tuple[str, str], int]) -> None:
        for (kind, severity), count in counts.items():
            self.anomalies_active.labels(kind, severity).set(count)
