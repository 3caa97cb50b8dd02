"""The graph sink's Prometheus metrics, registered on a registry the sink is given.

Labels are bounded: change kinds and the reasons a message is skipped.
"""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from models.graph_change import EntityKind

SKIP_REASONS = ("undecodable", "refused")
"""Why a message is skipped: it is not a graph change, or the store refuses the change."""


@dataclass(frozen=True)
class SinkMetrics:
    registry: CollectorRegistry
    changes: Counter
    batches: Counter
    skipped: Counter
    store_retries: Counter
    commit_failures: Counter
    store_up: Gauge
    lag: Gauge
    write_seconds: Histogram

    @classmethod
    def create(cls, registry: CollectorRegistry | None = None) -> SinkMetrics:
        registry = registry if registry is not None else CollectorRegistry()
        metrics = cls(
            registry=registry,
            changes=Counter(
                "meeseeks_sink_changes_total",
                "Graph changes written to the store, by entity.",
                ["entity"],
                registry=registry,
            ),
            batches=Counter(
                "meeseeks_sink_batches_total",
                "Batches the store accepted (and whose offsets were then committed).",
                registry=registry,
            ),
            skipped=Counter(
                "meeseeks_sink_skipped_messages_total",
                "Messages of the graph-changes topic skipped, by reason.",
                ["reason"],
                registry=registry,
            ),
            store_retries=Counter(
                "meeseeks_sink_store_retries_total",
                "Store writes that failed and were retried after a back-off.",
                registry=registry,
            ),
            commit_failures=Counter(
                "meeseeks_sink_commit_failures_total",
                "Offset commits that failed (the batch is read and written again, idempotently).",
                registry=registry,
            ),
            store_up=Gauge(
                "meeseeks_sink_store_up",
                "1 when the last store write succeeded, 0 while retrying.",
                registry=registry,
            ),
            lag=Gauge(
                "meeseeks_sink_lag_messages",
                "Messages of the graph-changes topic not yet written, over assigned partitions.",
                registry=registry,
            ),
            write_seconds=Histogram(
                "meeseeks_sink_write_seconds",
                "Time the store took to accept one batch.",
                buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
                registry=registry,
            ),
        )
        for kind in EntityKind:
            metrics.changes.labels(kind.value)
        for reason in SKIP_REASONS:
            metrics.skipped.labels(reason)
        metrics.store_up.set(1)
        return metrics
