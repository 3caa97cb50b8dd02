"""One reading every 10 s during the soak, and the pure parsing behind it.

A reading is what the probes saw (worker RSS, offsets, the worker's counters, what the
publisher had acknowledged); a sample adds the rates since the previous one and the lag in
seconds of input at the soak rate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from aiokafka.structs import OffsetAndMetadata, TopicPartition

from bench.stream.measure import metric_value, status_kib


@dataclass(frozen=True)
class Reading:
    t_s: float
    """Seconds since the soak's start."""
    rss_kib: int
    lag_events: int
    """Events on the events topic the worker's group has not committed yet."""
    lag_messages: int
    deltas_lag_messages: int
    """Messages of the worker's own edge-deltas topic not committed yet (the second stage)."""
    deltas_lag_seconds: float
    """How long ago the edge-deltas topic's end was where the group's commit is now."""
    events_applied: float | None
    """``meeseeks_stream_events_total``; None when /metrics did not answer in time."""
    deltas_applied: float | None
    published_events: int
    """Events the broker acknowledged since the soak's start."""
    worker_cpu_s: float
    """User plus system CPU seconds of the worker process so far."""


@dataclass(frozen=True)
class Sample(Reading):
    lag_seconds: float
    """``lag_events`` as seconds of input at the soak rate."""
    pipeline_lag_seconds: float
    """``lag_seconds`` plus ``deltas_lag_seconds``: an event waits in one topic, then its
    delta in the other."""
    publish_rate: float
    """Events per second acknowledged since the previous sample."""
    apply_rate: float | None
    """Events per second the worker attributed since the previous sample."""
    worker_cpu_share: float
    """Worker CPU seconds per wall second since the previous sample (1.0 is one whole core)."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def next_sample(previous: Sample | None, reading: Reading, soak_rate: float) -> Sample:
    """The reading with its rates since ``previous`` (the first sample has rates of 0)."""
    if soak_rate <= 0:
        raise ValueError("the soak rate must be positive")
    publish_rate, apply_rate, cpu_share = 0.0, None, 0.0
    if previous is not None and reading.t_s > previous.t_s:
        seconds = reading.t_s - previous.t_s
        publish_rate = (reading.published_events - previous.published_events) / seconds
        cpu_share = (reading.worker_cpu_s - previous.worker_cpu_s) / seconds
        if reading.events_applied is not None and previous.events_applied is not None:
            apply_rate = (reading.events_applied - previous.events_applied) / seconds
    lag_seconds = reading.lag_events / soak_rate
    return Sample(
        **asdict(reading),
        lag_seconds=lag_seconds,
        pipeline_lag_seconds=lag_seconds + reading.deltas_lag_seconds,
        publish_rate=publish_rate,
        apply_rate=apply_rate,
        worker_cpu_share=cpu_share,
    )


def worker_counters(metrics_text: str) -> tuple[float | None, float | None]:
    """(events attributed, deltas applied) from the worker's /metrics text."""
    return (
        metric_value(metrics_text, "meeseeks_stream_events_total"),
        metric_value(metrics_text, "meeseeks_stream_deltas_applied_total"),
    )


def rss_kib(status_text: str) -> int:
    """VmRSS of /proc/PID/status in KiB."""
    value = status_kib(status_text, "VmRSS")
    if value is None:
        raise ValueError("no VmRSS line: the process has exited (a zombie has no memory)")
    return value


def committed_by_partition(
    offsets: Mapping[TopicPartition, OffsetAndMetadata], topic: str
) -> dict[int, int]:
    """The group's committed offset of each partition of ``topic`` that has one."""
    return {tp.partition: meta.offset for tp, meta in offsets.items()
            if tp.topic == topic and meta.offset >= 0}  # fmt: skip


def ends_by_partition(ends: Mapping[TopicPartition, int], topic: str) -> dict[int, int]:
    return {tp.partition: end for tp, end in ends.items() if tp.topic == topic}


def attributed_per_cpu_second(samples: Sequence[Sample]) -> float | None:
    """Events the worker attributed per CPU second of its own between the first and the last
    sample that have its counters: a rate the other tenants of a shared machine do not skew."""
    known = [(s.events_applied, s.worker_cpu_s) for s in samples if s.events_applied is not None]
    if len(known) < 2:
        return None
    (first_events, first_cpu), (last_events, last_cpu) = known[0], known[-1]
    cpu = last_cpu - first_cpu
    return (last_events - first_events) / cpu if cpu > 0 else None
