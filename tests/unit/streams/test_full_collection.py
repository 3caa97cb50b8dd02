"""The worker's timed full garbage collection frees reference cycles and reports its time."""

from __future__ import annotations

import gc
import weakref

from prometheus_client import CollectorRegistry

from streams.metrics import StreamMetrics
from streams.topology import GC_THRESHOLDS, _full_collection


class Node:
    other: Node | None = None


async def test_a_cycle_left_behind_is_freed_and_the_pause_counted() -> None:
    registry = CollectorRegistry()
    collect = _full_collection(StreamMetrics.create(registry))
    thresholds = gc.get_threshold()
    gc.set_threshold(*GC_THRESHOLDS)
    try:
        first, second = Node(), Node()
        first.other, second.other = second, first
        alive = weakref.ref(first)
        del first, second
        assert alive() is not None  # reference counting alone never frees a cycle
        await collect()
        await collect()
    finally:
        gc.set_threshold(*thresholds)
    assert alive() is None
    assert registry.get_sample_value("meeseeks_stream_gc_runs_total") == 2
    pause = registry.get_sample_value("meeseeks_stream_gc_pause_seconds_total")
    assert pause is not None
    assert pause > 0
