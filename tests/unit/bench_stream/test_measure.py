"""Pure helpers of the stream benchmark: Prometheus text, /proc files, percentiles."""

from __future__ import annotations

import pytest

from bench.stream.measure import (
    cpu_seconds,
    latency_summary,
    metric_sum,
    metric_value,
    percentile,
    status_kib,
)
from bench.stream.runner import ratio_of, summarize

METRICS = """# HELP meeseeks_stream_events_total Connection events attributed to edges.
# TYPE meeseeks_stream_events_total counter
meeseeks_stream_events_total 501.0
meeseeks_stream_events_created 1.7e+09
meeseeks_stream_graph_changes_total{change="appeared",entity="node"} 4.0
meeseeks_stream_graph_changes_total{change="appeared",entity="edge"} 3.0
"""


def test_metric_value_reads_only_the_exact_unlabelled_sample() -> None:
    assert metric_value(METRICS, "meeseeks_stream_events_total") == 501.0
    assert metric_value(METRICS, "meeseeks_stream_events") is None
    assert metric_value(METRICS, "meeseeks_stream_deltas_applied_total") is None


def test_metric_sum_adds_every_label_set() -> None:
    assert metric_sum(METRICS, "meeseeks_stream_graph_changes_total") == 7.0
    assert metric_sum(METRICS, "absent") == 0


def test_cpu_seconds_counts_fields_after_a_command_name_with_spaces() -> None:
    stat = "4242 (python worker) S 1 2 3 4 5 6 7 8 9 10 250 150 0 0 20 0 1 0 100 2000 300"
    assert cpu_seconds(stat, ticks_per_second=100) == pytest.approx(4.0)


def test_status_kib_reads_memory_fields() -> None:
    status = "Name:\tpython\nVmHWM:\t  524288 kB\nVmRSS:\t  400000 kB\n"
    assert status_kib(status, "VmHWM") == 524_288
    assert status_kib(status, "VmRSS") == 400_000
    assert status_kib(status, "VmSwap") is None


def test_percentiles_by_nearest_rank() -> None:
    values = [float(n) for n in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 95) == 95.0
    assert percentile([3.0], 95) == 3.0
    with pytest.raises(ValueError, match="no values"):
        percentile([], 50)
    summary = latency_summary([0.001, 0.002, 0.003, 0.004])
    assert summary["requests"] == 4
    assert summary["median_ms"] == pytest.approx(2.0)
    assert summary["p95_ms"] == pytest.approx(4.0)


def test_the_summary_is_the_median_of_the_runs() -> None:
    def pair(meeseeks: float, naive: float) -> dict[str, dict[str, float]]:
        return {"meeseeks": {"events_per_s": meeseeks}, "naive": {"events_per_s": naive}}

    pairs = [pair(30_000, 3_000), pair(20_000, 2_500), pair(40_000, 2_000)]
    summary = summarize(pairs)
    assert summary["ratios"] == [10.0, 8.0, 20.0]
    assert summary["ratio"] == 10.0
    assert summary["meeseeks"]["events_per_s"] == 30_000
    assert summary["naive"]["events_per_s"] == 2_500
    assert ratio_of(pairs[1]) == 8.0
    with pytest.raises(ValueError, match="no repeats"):
        summarize([])
