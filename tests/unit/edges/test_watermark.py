"""Per-partition watermarks: min over live sources, monotone, restorable."""

from __future__ import annotations

import json

import pytest

from models.edge_aggregation import apply_delta
from models.errors import EdgeRecordError
from models.watermark import Watermarks, watermark_from_states
from tests.unit.edges.conftest import PARAMS, T0, delta


def test_one_source_is_the_highest_event_time_and_never_decreases() -> None:
    marks = Watermarks()
    assert marks.watermark(0) is None
    assert marks.observe(0, T0 + 5) == T0 + 5
    assert marks.observe(0, T0 + 2) == T0 + 5
    assert marks.observe(1, T0 + 1) == T0 + 1  # partitions are independent
    assert marks.watermark(0) == T0 + 5


def test_several_sources_wait_for_the_slowest_live_one() -> None:
    marks = Watermarks(max_source_lag_seconds=60)
    marks.observe(0, T0 + 10, "attrib-a")
    assert marks.observe(0, T0 + 40, "attrib-b") == T0 + 10
    assert marks.observe(0, T0 + 30, "attrib-a") == T0 + 30
    # attrib-a stops; once the leader is more than 60 s ahead it no longer holds windows open.
    assert marks.observe(0, T0 + 90, "attrib-b") == T0 + 30
    assert marks.observe(0, T0 + 91, "attrib-b") == T0 + 91
    assert marks.sources(0) == {"attrib-b": T0 + 91}
    # A source that shows up behind does not move the watermark back.
    assert marks.observe(0, T0 + 50, "attrib-c") == T0 + 91
    assert marks.sources(1) == {}


def test_restore_snapshot_and_forget() -> None:
    marks = Watermarks()
    marks.restore(3, None)
    assert marks.watermark(3) is None
    marks.restore(3, T0 + 100)
    assert marks.watermark(3) == T0 + 100
    assert marks.observe(3, T0 + 50) == T0 + 100
    marks.restore(3, T0 + 120)
    assert marks.watermark(3) == T0 + 120
    marks.observe(3, T0 + 130, "b")
    copy = Watermarks()
    copy.load(3, json.loads(json.dumps(marks.snapshot(3))))
    assert copy.snapshot(3) == marks.snapshot(3)
    assert copy.observe(3, T0 + 140, "b") == marks.observe(3, T0 + 140, "b")
    marks.forget(3)
    assert marks.watermark(3) is None
    assert marks.snapshot(3) == {"v": 1, "floor": None, "sources": {}}
    with pytest.raises(EdgeRecordError, match="version"):
        copy.load(0, {"v": 9})
    with pytest.raises(EdgeRecordError, match="malformed"):
        copy.load(0, {"v": 1, "floor": None, "sources": [1]})
    with pytest.raises(ValueError, match="max_source_lag"):
        Watermarks(-1)


def test_watermark_from_states_is_the_highest_state_watermark() -> None:
    assert watermark_from_states([]) is None
    a, _ = apply_delta(None, delta(T0), PARAMS, T0 + 30)
    b, _ = apply_delta(None, delta(T0 + 60), PARAMS, T0 + 20)  # ahead of its watermark
    assert watermark_from_states([a, b]) == T0 + 30
