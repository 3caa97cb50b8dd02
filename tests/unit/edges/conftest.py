"""Helpers for the edge aggregation tests: deltas, streams and a reference fold."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from hypothesis import strategies as st

from models.connection import Kind
from models.edge_aggregation import advance, apply_delta
from models.edge_delta import EdgeDelta, Observation, combine
from models.edge_params import EdgeParams
from models.edge_state import EdgeState
from models.graph_change import GraphChange
from models.topology import EdgeKey
from models.watermark import Watermarks

EDGE = EdgeKey("orders", "payments", 443)
OTHER = EdgeKey("orders", "unattributed:10.0.0.9", 5432)
PARAMS = EdgeParams()
T0 = 1_700_000_040.0  # a multiple of 60


def delta(
    start: float,
    attempts: int = 1,
    answered: int = 0,
    *,
    offset: float = 1.0,
    instances: Sequence[str] = ("i-1",),
    edge: EdgeKey = EDGE,
) -> EdgeDelta:
    """A delta of window ``start`` whose events all happened at ``start + offset``."""
    ts = start + offset
    return EdgeDelta(edge, start, attempts, answered, ts, ts, tuple(sorted(set(instances))))


Step = tuple[str, object]
"""("delta", EdgeDelta) or ("tick", watermark float)."""


@dataclass
class Run:
    """The stage's fold over a stream of deltas and ticks of one partition."""

    params: EdgeParams = PARAMS
    states: dict[EdgeKey, EdgeState] = field(default_factory=dict)
    marks: Watermarks = field(default_factory=Watermarks)
    changes: list[GraphChange] = field(default_factory=list)

    def feed(self, steps: Iterable[Step]) -> Run:
        for kind, item in steps:
            if kind == "delta":
                assert isinstance(item, EdgeDelta)
                self.delta(item)
            else:
                assert isinstance(item, float)
                self.tick(item)
        return self

    def delta(self, d: EdgeDelta) -> None:
        wm = self.marks.observe(0, d.last_ts)
        state, changes = apply_delta(self.states.get(d.edge), d, self.params, wm)
        self.states[d.edge] = state
        self.changes.extend(changes)

    def tick(self, ts: float) -> None:
        wm = self.marks.observe(0, ts)
        for edge in sorted(self.states):
            state, changes = advance(self.states[edge], wm, self.params)
            self.states[edge] = state
            self.changes.extend(changes)

    def restarted(self) -> Run:
        """A new worker resuming from this one's tables, through JSON like RocksDB would."""
        states = json.loads(json.dumps([s.to_dict() for s in self.states.values()]))
        marks = Watermarks()
        marks.load(0, json.loads(json.dumps(self.marks.snapshot(0))))
        restored = {s.edge: s for s in map(EdgeState.from_dict, states)}
        return Run(self.params, restored, marks, [])


def events(
    start: float, syns: int, syn_acks: int, edge: EdgeKey = EDGE, instance: str | None = "i-1"
) -> list[Observation]:
    """Events spread over the window starting at ``start`` (one per second, wrapping)."""
    out = [Observation(edge, start + (i % 59), Kind.SYN, instance) for i in range(syns)]
    out += [
        Observation(edge, start + (i % 59) + 0.5, Kind.SYN_ACK, instance) for i in range(syn_acks)
    ]
    return out


def deltas_of(observations: Iterable[Observation], params: EdgeParams = PARAMS) -> list[EdgeDelta]:
    return combine(observations, params.window_seconds, params.max_client_instances)


instance_ids = st.lists(st.sampled_from([f"i-{n}" for n in range(12)]), max_size=6)


@st.composite
def deltas(draw: st.DrawFn, edges: Sequence[EdgeKey] = (EDGE, OTHER)) -> EdgeDelta:
    """Deltas of a few edges over the first 21 minutes after T0."""
    edge = draw(st.sampled_from(list(edges)))
    start = T0 + 60.0 * draw(st.integers(0, 20))
    first = start + draw(st.integers(0, 59))
    last = draw(st.integers(int(first), int(start) + 59))
    ids = tuple(sorted(set(draw(instance_ids))))
    return EdgeDelta(
        edge,
        start,
        draw(st.integers(0, 50)),
        draw(st.integers(0, 50)),
        float(first),
        float(last),
        ids,
        draw(st.booleans()) if ids else False,
    )


chaos = st.lists(
    st.one_of(
        st.tuples(st.just("delta"), deltas()),
        st.tuples(st.just("tick"), st.integers(0, 1800).map(lambda s: T0 + s)),
    ),
    max_size=60,
)
"""Deltas and ticks in any order: mostly late data and jumps."""


@st.composite
def walk(draw: st.DrawFn) -> list[Step]:
    """Event time moving forward with some disorder, pauses long enough to go stale, and
    occasional late deltas: what a partition usually sees."""
    now, out = T0, []
    for _ in range(draw(st.integers(0, 80))):
        now += draw(st.sampled_from([0, 1, 7, 30, 60, 61, 200, 700]))
        if draw(st.integers(0, 4)) == 0:
            out.append(("tick", float(now)))
            continue
        ts = now - draw(st.sampled_from([0, 0, 0, 3, 15, 75]))
        ids = tuple(sorted(set(draw(instance_ids))))
        edge = draw(st.sampled_from([EDGE, OTHER]))
        attempts, answered = draw(st.integers(0, 9)), draw(st.integers(0, 9))
        start = PARAMS.window_start(ts)
        out.append(("delta", EdgeDelta(edge, start, attempts, answered, ts, ts, ids)))
    return out


steps = st.one_of(chaos, walk())
"""Streams of one partition for the state and restart properties."""
