"""State codecs and the restart property: a worker resuming from its tables changes nothing."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.edge_delta import EdgeDelta
from models.edge_params import EdgeParams
from models.edge_state import EdgeState
from models.errors import EdgeRecordError
from models.watermark import Watermarks, watermark_from_states
from tests.unit.edges.conftest import EDGE, T0, Run, Step, delta, steps

SMALL = EdgeParams(
    window_seconds=60,
    grace_seconds=10,
    stale_after_seconds=300,
    history_windows=4,
    max_client_instances=3,
)


@settings(max_examples=200)
@given(steps)
def test_state_round_trips_through_json_after_many_operations(stream: list[Step]) -> None:
    run = Run(params=SMALL).feed(stream)
    for state in run.states.values():
        data = json.loads(json.dumps(state.to_dict()))
        assert data["v"] == 1
        assert EdgeState.from_dict(data) == state
    for change in run.changes:
        assert json.loads(json.dumps(change.to_dict())) == change.to_dict()


@settings(max_examples=300)
@given(steps, st.data())
def test_restarting_anywhere_gives_the_same_states_and_changes(
    stream: list[Step], data: st.DataObject
) -> None:
    split = data.draw(st.integers(0, len(stream)))
    whole = Run(params=SMALL).feed(stream)
    first = Run(params=SMALL).feed(stream[:split])
    second = first.restarted().feed(stream[split:])
    assert second.states == whole.states
    assert first.changes + second.changes == whole.changes
    assert [c.to_dict() for c in first.changes + second.changes] == [
        c.to_dict() for c in whole.changes
    ]


@settings(max_examples=200)
@given(steps, st.data())
def test_restarting_without_the_watermark_table_loses_no_counts(
    stream: list[Step], data: st.DataObject
) -> None:
    split = data.draw(st.integers(0, len(stream)))
    first = Run(params=SMALL).feed(stream[:split])
    marks = Watermarks()
    marks.restore(0, watermark_from_states(first.states.values()))
    second = Run(SMALL, dict(first.states), marks).feed(stream[split:])
    second.tick(T0 + 100_000)
    sent = [item for kind, item in stream if kind == "delta"]
    for edge, state in second.states.items():
        mine = [d for d in sent if isinstance(d, EdgeDelta) and d.edge == edge]
        assert state.attempts == sum(d.attempts for d in mine)
        in_windows = sum(s.attempts + s.answered for s in state.history)
        assert state.open_windows == ()
        if len(state.history) < SMALL.history_windows:
            assert in_windows + state.late_events == state.attempts + state.answered


def test_state_codec_refuses_unknown_versions_and_shapes() -> None:
    run = Run()
    run.delta(delta(T0))
    good = run.states[EDGE].to_dict()
    with pytest.raises(EdgeRecordError, match="version 7"):
        EdgeState.from_dict({**good, "v": 7})
    broken = dict(good)
    del broken["hist"]
    with pytest.raises(EdgeRecordError, match="malformed"):
        EdgeState.from_dict(broken)
    with pytest.raises(EdgeRecordError, match="malformed"):
        EdgeState.from_dict({**good, "status": "gone"})
    with pytest.raises(EdgeRecordError, match="malformed"):
        EdgeState.from_dict({**good, "open": [[1, 2]]})
