"""Stage two of the stream: delta batches in, edge states in a table, graph changes out.

Runs inside the Faust agent that owns a partition of the delta topic, against that worker's
table (any ``MutableMapping`` of encoded edge key to stored value, so tests pass a dict). It
keeps no state that the table cannot rebuild: the timer index of due edges, the partition's
watermark and the decoded-state cache are derived from the table when a partition is first
seen, which is what lets windows keep closing after a restart.

A stored value is ``{"s": EdgeState.to_dict(), "a": {source partition: last offset}}``: the
offsets make a replayed batch a no-op for every edge that already counted it.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, Iterable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from models.anomalies import evaluate_silence, evaluate_window
from models.anomaly_params import AnomalyParams
from models.anomaly_tracker import SILENCE_KINDS, WINDOW_KINDS, AnomalyTracker, Transition
from models.edge_aggregation import advance, apply_delta, due_at
from models.edge_delta import EdgeDelta
from models.edge_params import EdgeParams
from models.edge_state import EdgeState
from models.edge_views import edge_payload
from models.graph_change import ChangeType, EntityKind, GraphChange, node_changes_for
from models.topology import EdgeKey, WindowStats
from models.watermark import Watermarks
from streams.attribution_stage import DeltaBatch
from streams.due_index import DueIndex
from streams.partitioning import partition_of

logger = logging.getLogger(__name__)

Store = MutableMapping[str, Any]


@dataclass
class _Entry:
    state: EdgeState
    applied: dict[str, int]


SWEEP_CHUNK = 5_000
"""Edges one sweep step advances at most. A watermark that closes a window of a whole estate is
worked through in parts, each written and published before the next: memory stays bounded and
the worker answers in between (300,000 closes at once held about 700 MB and a few seconds)."""


@dataclass
class StageOutput:
    """What one batch (or sweep) produced."""

    changes: list[GraphChange] = field(default_factory=list)
    transitions: list[Transition] = field(default_factory=list)
    applied_deltas: int = 0
    replayed_deltas: int = 0
    more: bool = False
    """The work was cut at ``SWEEP_CHUNK`` edges: ``EdgeStage.resume`` does the rest."""

    def extend(self, other: StageOutput) -> None:
        self.changes.extend(other.changes)
        self.transitions.extend(other.transitions)
        self.applied_deltas += other.applied_deltas
        self.replayed_deltas += other.replayed_deltas
        self.more = other.more


@dataclass
class EdgeStage:
    """Applies deltas and closes windows for the partitions this worker owns."""

    params: EdgeParams
    anomaly_params: AnomalyParams
    partitions: int
    source_idle_seconds: float = 10.0
    """Wall-clock silence after which a source no longer holds a partition's watermark back."""
    clock: Callable[[], float] = time.monotonic
    watermarks: Watermarks = field(init=False)
    tracker: AnomalyTracker = field(default_factory=AnomalyTracker)
    sweep_chunk: int = SWEEP_CHUNK
    _due: dict[int, DueIndex] = field(default_factory=dict)
    _sweeping: dict[int, float] = field(default_factory=dict)
    """Partition to the watermark of a sweep cut at ``sweep_chunk``."""
    _queued: dict[int, deque[DeltaBatch]] = field(default_factory=dict)
    """Batches of a partition waiting behind a cut sweep."""
    _stream_start: dict[int, float] = field(default_factory=dict)
    _cache: dict[str, _Entry] = field(default_factory=dict)
    _pushed: dict[str, float] = field(default_factory=dict)
    """Each key's latest due time in the heap, so an unchanged one is not pushed again."""
    _writes: dict[str, Any] = field(default_factory=dict)
    """Table values of the batch being processed, written together when it is done."""

    def __post_init__(self) -> None:
        self.watermarks = Watermarks(idle_seconds=self.source_idle_seconds)

    # -- partitions ------------------------------------------------------------------------
    def forget_partitions(self) -> None:
        """Drop everything derived; the next batch of each partition rebuilds it from the table."""
        for partition in list(self._due):
            self.watermarks.forget(partition)
        self._due.clear()
        self._sweeping.clear()
        self._queued.clear()
        self._stream_start.clear()
        self._cache.clear()
        self._pushed.clear()
        # Anomalies of partitions now owned elsewhere are the new owner's to raise and resolve.
        self.tracker = AnomalyTracker()

    def _ensure(self, partition: int, store: Store) -> None:
        if partition in self._due:
            return
        index = DueIndex()
        states = []
        for key, value in store.items():
            edge = EdgeKey.decode(key)
            if partition_of(edge.server, self.partitions) != partition:
                continue
            entry = _decode(value)
            self._cache[key] = entry
            states.append(entry.state)
            due = due_at(entry.state, self.params)
            self._pushed[key] = due
            index.push(due, key)
            index.push(self._silence_due(entry.state), key)
        self._due[partition] = index
        if states:
            self._stream_start[partition] = min(s.first_seen for s in states)
            self.watermarks.restore(
                partition,
                max(s.watermark for s in states),
                top=max(s.last_seen for s in states),
            )
        logger.info("partition %d: rebuilt the index of %d edges", partition, len(states))

    # -- batches ---------------------------------------------------------------------------
    def process(self, batch: DeltaBatch, partition: int, store: Store) -> StageOutput:
        """Apply one batch and write what it changed to ``store``, all of it at once."""
        out = self.process_all([batch], partition, store)
        while out.more:
            out.extend(self.resume(partition, store))
        return out

    def process_all(
        self, batches: Iterable[DeltaBatch], partition: int, store: Store
    ) -> StageOutput:
        """Apply batches in order, as one message each would, and write each changed edge once
        (per ``SWEEP_CHUNK`` when many windows close: then ``more`` is set)."""
        self._ensure(partition, store)
        self._queued.setdefault(partition, deque()).extend(batches)
        return self.resume(partition, store)

    def resume(self, partition: int, store: Store) -> StageOutput:
        """The next part of work cut at ``SWEEP_CHUNK``: the rest of the sweep, then the
        batches that came after it."""
        out = StageOutput()
        cut = self._sweeping.pop(partition, None)
        if cut is None or self._sweep(partition, cut, out):
            queue = self._queued.get(partition, deque())
            while queue and self._apply(queue.popleft(), partition, out):
                pass
        out.more = partition in self._sweeping
        self._write(store)
        return out

    def _apply(self, batch: DeltaBatch, partition: int, out: StageOutput) -> bool:
        """Apply one batch; False when its sweep was cut (``resume`` continues it)."""
        now = self.clock()
        if batch.is_tick:
            watermark = self.watermarks.tick(partition, now)
            return watermark is None or self._sweep(partition, watermark, out)
        # The batch's own deltas count against the clock as it stood before the batch: its
        # watermark is the newest of its events, which must not close their own windows.
        before = self.watermarks.watermark(partition)
        if before is None:  # the partition's first batch: nothing can have closed yet
            before = min((d.first_ts for d in batch.deltas), default=batch.watermark)
        applying_at = before
        source = str(batch.source)
        grouped: dict[str, list[EdgeDelta]] = {}
        for delta in batch.deltas:
            grouped.setdefault(delta.edge.encode(), []).append(delta)
        for key, deltas in grouped.items():
            # The partition's every stored edge is in the cache since _ensure: a miss is new.
            entry = self._cache.get(key)
            if entry is not None and entry.applied.get(source, -1) >= batch.offset:
                # Counted before a crash, but what it published, and its changelog record, may
                # have died in the producer's buffer: write and publish the current state again
                # (the changelog catches up with the local store; sinks upsert).
                out.replayed_deltas += len(deltas)
                self._save(key, entry, partition)
                out.changes.extend(node_changes_for(entry.state.edge, entry.state.watermark))
                out.changes.append(
                    GraphChange(
                        EntityKind.EDGE,
                        ChangeType.UPDATED,
                        key,
                        entry.state.watermark,
                        edge_payload(entry.state, self.params),
                    )
                )
                continue
            if partition not in self._stream_start:
                self._stream_start[partition] = min(d.first_ts for d in deltas)
            state = entry.state if entry is not None else None
            previous = state
            for delta in deltas:
                state, changes = apply_delta(state, delta, self.params, applying_at)
                out.changes.extend(changes)
            assert state is not None
            applied = dict(entry.applied) if entry is not None else {}
            applied[source] = batch.offset
            self._save(key, _Entry(state, applied), partition)
            self._judge(key, previous, state, partition, out)
            out.applied_deltas += len(deltas)
        watermark = self.watermarks.observe(
            partition, batch.watermark, source=source, now=now, expected=batch.sources
        )
        return self._sweep(partition, watermark, out)

    def _sweep(self, partition: int, watermark: float, out: StageOutput) -> bool:
        """Advance the edges due by ``watermark``, at most ``sweep_chunk`` of them; True when
        none is left due, else the partition remembers the cut."""
        index = self._due[partition]
        pushed = self._pushed
        seen: set[str] = set()
        for due, key in index.pop(watermark, self.sweep_chunk):
            if pushed.get(key) == due:
                del pushed[key]
            if key in seen:
                continue
            seen.add(key)
            # Every key in the index has been loaded since the partition was (re)built.
            entry = self._cache.get(key)
            if entry is None:
                continue
            state, changes = advance(entry.state, watermark, self.params)
            if state is not entry.state:
                out.changes.extend(changes)
                self._save(key, _Entry(state, entry.applied), partition)
                self._judge(key, entry.state, state, partition, out)
            silence = evaluate_silence(state.edge, state.history, watermark, self.anomaly_params)
            out.transitions.extend(self.tracker.observe(key, SILENCE_KINDS, silence, watermark))
            silent_at = self._silence_due(state)
            if not silence and silent_at > watermark:
                # Not silent yet: look again when it could be. An edge with too few windows
                # to judge stays out until new traffic closes another of its windows.
                index.push(silent_at, key)
        if index.due(watermark):
            self._sweeping[partition] = watermark
            return False
        return True

    # -- anomalies -------------------------------------------------------------------------
    def _judge(
        self, key: str, before: EdgeState | None, after: EdgeState, partition: int, out: StageOutput
    ) -> None:
        if not after.history or (before is not None and before.history is after.history):
            return  # nothing closed (the fold keeps the very same history tuple)
        for closed in _newly_closed(before, after):
            found = evaluate_window(
                after.edge,
                after.history,
                closed,
                after.first_seen,
                self._stream_start.get(partition, after.first_seen),
                self.anomaly_params,
            )
            out.transitions.extend(self.tracker.observe(key, WINDOW_KINDS, found, closed.start))

    def _silence_due(self, state: EdgeState) -> float:
        if not state.history:
            return float("inf")
        window = self.anomaly_params.window_seconds
        return state.history[-1].start + (self.anomaly_params.vanished_silent_windows + 1) * window

    # -- table access ----------------------------------------------------------------------
    def _load(self, key: str, store: Store) -> _Entry | None:
        entry = self._cache.get(key)
        if entry is None:
            value = store.get(key)
            if value is None:
                return None
            entry = self._cache[key] = _decode(value)
        return entry

    def _save(self, key: str, entry: _Entry, partition: int) -> None:
        self._cache[key] = entry
        self._writes[key] = entry
        due = due_at(entry.state, self.params)
        if self._pushed.get(key) != due:
            self._pushed[key] = due
            self._due[partition].push(due, key)

    def _write(self, store: Store) -> None:
        """One table write per edge the batch changed, however often it changed it."""
        if self._writes:
            store.update(
                {key: {"s": e.state.to_dict(), "a": e.applied} for key, e in self._writes.items()}
            )
            self._writes.clear()

    def states(self, keys: Iterable[str], store: Store) -> list[EdgeState]:
        found = (self._load(key, store) for key in keys)
        return [entry.state for entry in found if entry is not None]


def _decode(value: dict[str, Any]) -> _Entry:
    return _Entry(EdgeState.from_dict(value["s"]), {str(k): int(v) for k, v in value["a"].items()})


def _newly_closed(before: EdgeState | None, after: EdgeState) -> list[WindowStats]:
    last = before.history[-1].start if before is not None and before.history else float("-inf")
    return [window for window in after.history if window.start > last]
