"""The combiner: per-(edge, window) deltas, associative merge and the compact codec."""

from __future__ import annotations

import json
from functools import reduce

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.connection import Kind
from models.edge_delta import EdgeDelta, Observation, cap_instances, combine, merge
from models.errors import EdgeRecordError
from tests.unit.edges.conftest import EDGE, OTHER, T0, deltas, events


def test_combine_counts_per_edge_and_event_time_window() -> None:
    batch = [
        *events(T0, syns=3, syn_acks=2),
        *events(T0 + 60, syns=1, syn_acks=0, instance="i-2"),
        *events(T0, syns=2, syn_acks=0, edge=OTHER, instance=None),
    ]
    out = combine(batch, 60.0)
    assert [(d.edge, d.window_start, d.attempts, d.answered) for d in out] == [
        (EDGE, T0, 3, 2),
        (EDGE, T0 + 60, 1, 0),
        (OTHER, T0, 2, 0),
    ]
    assert out[0].first_ts == T0
    assert out[0].last_ts == T0 + 2
    assert out[0].client_instances == ("i-1",)
    assert out[2].client_instances == ()


def test_window_start_is_floor_of_event_time() -> None:
    out = combine([Observation(EDGE, T0 + 59.999, Kind.SYN, None)], 60.0)
    assert out[0].window_start == T0
    out = combine([Observation(EDGE, T0 + 60.0, Kind.SYN, None)], 60.0)
    assert out[0].window_start == T0 + 60


def test_combine_ignores_arrival_order() -> None:
    batch = events(T0, syns=30, syn_acks=20) + events(T0 + 60, syns=5, syn_acks=5)
    assert combine(batch, 60.0) == combine(list(reversed(batch)), 60.0)


def test_client_instances_are_capped_to_the_smallest_ids() -> None:
    batch = [Observation(EDGE, T0, Kind.SYN, f"i-{n}") for n in (5, 1, 4, 2, 3)]
    (out,) = combine(batch, 60.0, max_client_instances=3)
    assert out.client_instances == ("i-1", "i-2", "i-3")
    assert out.client_instances_truncated
    (out,) = combine(batch, 60.0, max_client_instances=5)
    assert not out.client_instances_truncated
    assert cap_instances(["b", "a", "b"], 2) == (("a", "b"), False)


def test_combine_rejects_a_zero_window() -> None:
    with pytest.raises(ValueError, match="window_seconds"):
        combine([], 0)


def same_window(edge_delta: EdgeDelta) -> EdgeDelta:
    """The delta moved to EDGE@T0 so any drawn deltas can be merged."""
    return EdgeDelta(
        EDGE,
        T0,
        edge_delta.attempts,
        edge_delta.answered,
        edge_delta.first_ts,
        edge_delta.last_ts,
        edge_delta.client_instances,
        edge_delta.client_instances_truncated,
    )


window_deltas = deltas().map(same_window)


@given(window_deltas, window_deltas, window_deltas, st.integers(1, 8))
def test_merge_is_associative_and_commutative(
    a: EdgeDelta, b: EdgeDelta, c: EdgeDelta, cap: int
) -> None:
    left = merge(merge(a, b, cap), c, cap)
    right = merge(a, merge(b, c, cap), cap)
    assert left == right
    assert merge(a, b, cap) == merge(b, a, cap)


@given(st.lists(st.tuples(st.integers(0, 179), st.booleans(), st.integers(0, 9)), min_size=1))
def test_merging_combined_parts_equals_combining_the_whole(
    raw: list[tuple[int, bool, int]],
) -> None:
    batch = [
        Observation(EDGE, T0 + s, Kind.SYN if syn else Kind.SYN_ACK, f"i-{i}") for s, syn, i in raw
    ]
    half = len(batch) // 2
    parts = combine(batch[:half], 60.0, 4) + combine(batch[half:], 60.0, 4)
    merged: dict[float, EdgeDelta] = {}
    for d in parts:
        merged[d.window_start] = (
            merge(merged[d.window_start], d, 4) if d.window_start in merged else d
        )
    assert sorted(merged.values(), key=lambda d: d.window_start) == combine(batch, 60.0, 4)
    assert reduce(lambda x, y: x + y.attempts + y.answered, parts, 0) == len(batch)


def test_merge_refuses_different_windows() -> None:
    a = combine(events(T0, 1, 0), 60.0)[0]
    b = combine(events(T0 + 60, 1, 0), 60.0)[0]
    with pytest.raises(ValueError, match="cannot merge"):
        merge(a, b)


@given(deltas())
def test_delta_codec_round_trips_through_json(edge_delta: EdgeDelta) -> None:
    data = json.loads(json.dumps(edge_delta.to_dict()))
    assert data["v"] == 1
    assert EdgeDelta.from_dict(data) == edge_delta


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"v": 2}, "version 2"),
        ({}, "version None"),
        ({"v": 1, "edge": "a|b|443"}, "malformed"),
        (
            {"v": 1, "edge": "a-b", "w": 0, "syn": 1, "ack": 0, "first": 0, "last": 0, "ci": []},
            "malformed",
        ),
        (
            {"v": 1, "edge": "a|b|x", "w": 0, "syn": 1, "ack": 0, "first": 0, "last": 0, "ci": []},
            "malformed",
        ),
    ],
)
def test_delta_codec_refuses_unknown_shapes(data: dict[str, object], message: str) -> None:
    with pytest.raises(EdgeRecordError, match=message):
        EdgeDelta.from_dict(data)
