"""Readings into samples, and the parsing of /metrics, /proc status and group offsets."""

from __future__ import annotations

import pytest
from aiokafka.structs import OffsetAndMetadata, TopicPartition

from bench.soak.samples import (
    Reading,
    attributed_per_cpu_second,
    committed_by_partition,
    ends_by_partition,
    next_sample,
    rss_kib,
    worker_counters,
)

METRICS = """# HELP meeseeks_stream_events_total Connection events attributed to edges.
# TYPE meeseeks_stream_events_total counter
meeseeks_stream_events_total 120500.0
meeseeks_stream_events_created 1.7e+09
meeseeks_stream_deltas_applied_total 40250.0
meeseeks_stream_deltas_replayed_total 3.0
"""

STATUS = """Name:\tpython
VmPeak:\t  812344 kB
VmHWM:\t  402112 kB
VmRSS:\t  398020 kB
Threads:\t7
"""


def reading(
    t_s: float, published: int, applied: float | None, lag: int = 0, cpu: float = 0.0
) -> Reading:
    return Reading(
        t_s=t_s,
        rss_kib=1000,
        lag_events=lag,
        lag_messages=lag // 10,
        deltas_lag_messages=0,
        deltas_lag_seconds=2.5,
        events_applied=applied,
        deltas_applied=None,
        published_events=published,
        worker_cpu_s=cpu,
    )


def test_worker_counters_come_from_the_exact_samples() -> None:
    assert worker_counters(METRICS) == (120500.0, 40250.0)
    assert worker_counters("") == (None, None)


def test_rss_comes_from_vmrss_not_the_peak() -> None:
    assert rss_kib(STATUS) == 398020
    with pytest.raises(ValueError, match="VmRSS"):
        rss_kib("Name:\tpython\nState:\tZ (zombie)\n")


def test_offsets_are_taken_for_the_topic_asked_and_missing_commits_left_out() -> None:
    committed = {
        TopicPartition("events", 0): OffsetAndMetadata(120, ""),
        TopicPartition("events", 1): OffsetAndMetadata(-1, ""),
        TopicPartition("other", 0): OffsetAndMetadata(7, ""),
    }
    assert committed_by_partition(committed, "events") == {0: 120}
    ends = {TopicPartition("events", 0): 130, TopicPartition("events", 1): 4}
    assert ends_by_partition(ends, "events") == {0: 130, 1: 4}
    assert ends_by_partition(ends, "other") == {}


def test_a_sample_has_the_rates_since_the_previous_one_and_lag_in_seconds() -> None:
    first = next_sample(None, reading(0.2, 0, 500.0, cpu=40.0), soak_rate=2_000.0)
    assert (first.publish_rate, first.apply_rate, first.lag_seconds) == (0.0, None, 0.0)
    assert first.worker_cpu_share == 0.0
    second = next_sample(
        first, reading(10.2, 20_100, 19_500.0, lag=3_000, cpu=46.5), soak_rate=2_000.0
    )
    assert second.publish_rate == pytest.approx(2_010.0)
    assert second.apply_rate == pytest.approx(1_900.0)
    assert second.worker_cpu_share == pytest.approx(0.65)
    assert second.lag_seconds == 1.5
    assert second.pipeline_lag_seconds == 4.0  # plus 2.5 s behind on the edge-deltas topic
    assert second.to_dict()["lag_events"] == 3_000


def test_a_missing_metrics_answer_leaves_the_apply_rate_unknown() -> None:
    first = next_sample(None, reading(0.0, 0, 100.0), soak_rate=10.0)
    second = next_sample(first, reading(10.0, 100, None), soak_rate=10.0)
    assert second.apply_rate is None
    assert second.publish_rate == 10.0
    with pytest.raises(ValueError, match="positive"):
        next_sample(None, reading(0.0, 0, None), soak_rate=0.0)


def test_events_per_worker_cpu_second_spans_the_samples_with_counters() -> None:
    samples = [next_sample(None, reading(0.0, 0, None, cpu=10.0), soak_rate=1.0)]
    assert attributed_per_cpu_second(samples) is None
    for t, applied, cpu in ((10.0, 1_000.0, 10.5), (20.0, None, 11.0), (30.0, 5_000.0, 12.0)):
        samples.append(next_sample(samples[-1], reading(t, 0, applied, cpu=cpu), soak_rate=1.0))
    assert attributed_per_cpu_second(samples) == pytest.approx(4_000 / 1.5)
